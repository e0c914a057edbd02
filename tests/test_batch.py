"""Batch labelling: every row kept in order, messy inputs, safety of the user's files."""

import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from socialtech_cli import batch as b
from socialtech_cli.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()
LABELS = list(b.LABEL_COLUMNS)


def run(*args, input=None):
    return runner.invoke(app, ["batch", *map(str, args)], input=input)


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_messy_csv_keeps_every_row_in_order(tmp_path):
    out = tmp_path / "out.csv"
    r = run(DATA / "messy_fr.csv", "-o", out, "--text-column", "Nom", "--text-column", "Objet social")
    assert r.exit_code == 0, r.output  # joined with the name, every row has text
    rows = read_csv(out)
    assert rows[0] == ["id", "Nom", "Objet social", "ville", *LABELS]
    body = rows[1:]
    assert [row[0] for row in body] == ["1", "2", "3", "4", "5", "6"]
    assert body[0][2].startswith("Plateforme de paiement") and "\n" in body[0][2]  # embedded newline kept
    assert body[0][4] == "ess_tech_solutions"
    assert body[3][:4] == ["4", "Court", "", ""]  # short row padded
    assert body[4][3] == "Paris;en trop"  # surplus cell merged, not lost
    err = dict(zip(rows[0], body[5], strict=True))["error"]
    assert err == ""  # "Chiffres" + "123 456": the name gives letters
    assert all(len(row) == len(rows[0]) for row in body)


def test_empty_text_row_is_kept_with_an_error(tmp_path):
    out = tmp_path / "out.csv"
    r = run(DATA / "messy_fr.csv", "-o", out, "-t", "Objet social")
    assert r.exit_code == 4
    rows = {row[0]: dict(zip(read_csv(out)[0], row, strict=True)) for row in read_csv(out)[1:]}
    assert rows["3"]["error"] == "the text is empty" and rows["3"]["category"] == ""
    assert rows["6"]["error"] == "the text has no letters"
    assert rows["1"]["error"] == ""


def test_guesses_the_text_column_and_says_so(tmp_path):
    r = run(DATA / "latin1.csv", "-o", tmp_path / "o.csv")
    assert r.exit_code == 0, r.output
    assert "text column: description" in r.stderr
    rows = read_csv(tmp_path / "o.csv")
    assert rows[2][1] == "Éditeur de logiciels de comptabilité pour PME"  # cp1252 decoded
    assert rows[2][2] == "out_of_scope"


def test_unknown_columns_are_listed(tmp_path):
    r = run(DATA / "messy_fr.csv", "-o", tmp_path / "o.csv", "-t", "nope")
    assert r.exit_code == 1 and "no column 'nope'" in r.stderr and "Objet social" in r.stderr
    assert not (tmp_path / "o.csv").exists()


def test_no_obvious_text_column(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text("a,b\n1,2\n")
    r = run(p, "-o", tmp_path / "o.csv")
    assert r.exit_code == 1 and "--text-column" in r.stderr and "columns: a, b" in r.stderr


def test_jsonl_in_and_out_keeps_bad_lines(tmp_path):
    out = tmp_path / "o.jsonl"
    r = run(DATA / "orgs.jsonl", "-o", out)
    assert r.exit_code == 4
    objs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [o.get("id") for o in objs] == [1, None, 2]
    assert objs[0]["tags"] == ["a"] and objs[0]["category"] == "ess_tech_solutions"
    assert objs[1]["_raw"] == "not json at all" and objs[1]["error"].startswith("invalid JSON")
    assert objs[2]["category"] and objs[2]["error"] == "" and objs[2]["id"] == 2


def test_plain_text_lines_to_stdout():
    r = run(DATA / "lines.txt", "--quiet")
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][:2] == ["line", "text"]
    assert [row[0] for row in rows[1:]] == ["1", "3"]
    assert rows[2][2] == "digital_social_innovation"


def test_stdin_input():
    r = run("-", "-q", input="description\nPlateforme de dons en ligne pour les associations\n")
    assert r.exit_code == 0
    assert "ess_tech_solutions" in r.stdout


def test_refuses_existing_output_without_force(tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("precious")
    r = run(DATA / "latin1.csv", "-o", out)
    assert r.exit_code == 1 and "--force" in r.stderr
    assert out.read_text() == "precious"
    assert run(DATA / "latin1.csv", "-o", out, "--force").exit_code == 0
    assert out.read_text() != "precious"


def test_never_writes_over_the_input(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes((DATA / "latin1.csv").read_bytes())
    before = src.read_bytes()
    r = run(src, "-o", src, "--force")
    assert r.exit_code == 1 and "output is the input" in r.stderr
    assert src.read_bytes() == before


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"\x00\x01\x02binary\x00"), "binary"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "no such file"),
    ],
)
def test_unusable_inputs_fail_in_one_line(tmp_path, make, message):
    p = tmp_path / "in.csv"
    make(p)
    r = run(p, "-o", tmp_path / "o.csv")
    assert r.exit_code == 1 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_undecodable_byte_is_reported_on_its_own_line(tmp_path, jobs):
    # The byte sits far into the file, past the reader's look-ahead: the message must still name
    # the line a user will open, and nothing is written.
    lines = ["id,description"] + [f"{i},Plateforme de dons pour les associations" for i in range(9000)]
    src = tmp_path / "in.csv"
    src.write_bytes(("\n".join(lines) + "\n").encode() + "9000,café\n".encode("cp1252"))
    r = run(src, "-o", tmp_path / "o.csv", "-t", "description", "--encoding", "utf-8", "--jobs", jobs)
    assert r.exit_code == 1 and "line 9002: invalid utf-8 byte" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists()


def test_one_megabyte_cell_is_kept_with_an_error(tmp_path):
    p = tmp_path / "big.csv"
    big = "association numérique " * 50_000
    p.write_text(f'description\n"{big}"\nPlateforme de dons pour les associations\n', encoding="utf-8")
    r = run(p, "-o", tmp_path / "o.csv")
    assert r.exit_code == 4
    rows = read_csv(tmp_path / "o.csv")
    assert rows[1][0] == big and "too long" in rows[1][-1]
    assert rows[2][1] == "ess_tech_solutions"


def test_only_uncertain_and_no_explain(tmp_path):
    out = tmp_path / "o.csv"
    r = run(DATA / "messy_fr.csv", "-o", out, "-t", "Objet social", "--only-uncertain", "--no-explain")
    rows = read_csv(out)
    header = rows[0]
    for row in rows[1:]:
        d = dict(zip(header, row, strict=True))
        assert d["uncertain"] == "true" or d["error"]
        assert d["explanation"] == ""
    assert r.exit_code == 4


def test_threshold_option(tmp_path):
    r = run(DATA / "lines.txt", "-q", "--threshold", "1.0")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert all(row["uncertain"] == "true" for row in rows)


def test_jobs_2_output_identical_to_one_job(tmp_path):
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "description"])
        texts = [
            line.split(",", 1)[1]
            for line in (Path(__file__).parents[1] / "data" / "holdout.csv")
            .read_text(encoding="utf-8")
            .splitlines()[1:60]
        ]
        for i in range(3000):
            w.writerow([i, texts[i % len(texts)]])
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert run(src, "-o", one, "-q").exit_code in (0, 4)
    assert run(src, "-o", two, "-q", "--jobs", "2").exit_code in (0, 4)
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_interrupted_run_leaves_no_output(tmp_path, jobs):
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8") as f:
        f.write("description\n")
        for i in range(400_000):
            f.write(f"Plateforme de dons en ligne numéro {i} pour les associations\n")
    out = tmp_path / "o.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "socialtech_cli", "batch", str(src), "-o", str(out), "-q", "--jobs", jobs],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "in.csv"] == []


cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(cell, cell), min_size=1, max_size=30))
def test_property_any_rows_round_trip_in_order(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("prop")
    src, out = d / "in.csv", d / "out.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "description"])
        for i, (a, _) in enumerate(rows):
            w.writerow([f"r{i}", a])
    with open(src, encoding="utf-8", newline="") as f:
        expected = [r for r in csv.reader(f)][1:]
    expected = [r for r in expected if r and not (len(r) == 1 and not r[0].strip())]
    r = run(src, "-o", out, "-q", "-t", "description", "--delimiter", ",")
    assert r.exit_code in (0, 4), r.output
    got = read_csv(out)[1:]
    assert [g[:2] for g in got] == expected
    for g in got:
        assert (g[2] != "") != (g[-1] != "")  # either a category or an error, never both/neither
