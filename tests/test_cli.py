"""The commands as a user runs them: exit codes, JSON for scripts, one clear line on errors."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialtech_cli import paths
from socialtech_cli.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_help_lists_commands():
    r = run("--help")
    assert r.exit_code == 0
    for command in ("classify", "categories"):
        assert command in r.output


def test_classify_json_has_the_documented_keys():
    r = run("classify", "--json", "Application anti-gaspillage qui revend les invendus des boulangeries")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["category"] == "tech_for_good"
    for key in (
        "category",
        "name",
        "family",
        "confidence",
        "uncertain",
        "runner_up",
        "scores",
        "explanation",
    ):
        assert key in d
    assert set(d["runner_up"]) >= {"category", "confidence"}
    assert set(d["explanation"]) >= {"terms", "rules", "decided_by", "summary"}
    assert all(set(t) == {"term", "weight"} for t in d["explanation"]["terms"])
    assert all(set(r) >= {"id", "category", "match", "weight"} for r in d["explanation"]["rules"])
    assert abs(sum(d["scores"].values()) - 1) < 1e-3


def test_classify_rich_panel_shows_category_rules_and_reasoning():
    r = run("classify", "--lang", "en", "MicroDON: round-up donations at the checkout for charities")
    assert r.exit_code == 0, r.output
    assert "Tech solutions built for the ESS" in r.stdout
    assert "embedded-giving" in r.stdout
    assert "Runner-up" in r.stdout


def test_classify_reads_stdin_and_files():
    expected = json.loads(run("classify", "--json", (DATA / "helloasso_fr.txt").read_text()).stdout)[
        "category"
    ]
    r = run("classify", "--json", "-", input=(DATA / "helloasso_fr.txt").read_text())
    assert r.exit_code == 0 and json.loads(r.stdout)["category"] == expected
    r = run("classify", "--json", "--file", str(DATA / "helloasso_fr.txt"))
    assert r.exit_code == 0 and json.loads(r.stdout)["category"] == expected


def test_classify_reads_a_cp1252_file():
    r = run("classify", "--json", "--file", str(DATA / "cp1252.txt"))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["category"] == "ess_tech_solutions"


def test_uninformative_text_is_uncertain_exit_0():
    r = run("classify", "--json", "hello")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["uncertain"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["classify", ""], "the text is empty"),
        (["classify", "   "], "the text is empty"),
        (["classify", "12345 !!"], "no letters"),
        (["classify", "--file", str(DATA / "binary.bin")], "binary"),
        (["classify", "--file", "/nonexistent/file.txt"], "no such file"),
        (["classify", "--file", str(DATA)], "is a directory"),
        (["classify"], "nothing to classify"),
        (["classify", "x" * 1_000_000], "too long"),
        (["classify", "--model", "/nonexistent/model", "Plateforme de dons"], "model directory not found"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_1(args, message):
    r = run(*args)
    assert r.exit_code == 1
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.output and r.stdout == ""


def test_one_megabyte_file_is_refused(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("association numérique " * 50_000)
    r = run("classify", "--file", str(big))
    assert (r.exit_code == 1 and "larger than" in r.stderr) or "too long" in r.stderr


def test_bad_lang_is_a_usage_error():
    r = run("classify", "--lang", "de", "Plateforme de dons")
    assert r.exit_code == 2


def test_corrupted_model_is_refused(model_copy):
    (model_copy / "terms.txt").write_text("tampered")
    r = run("classify", "--model", str(model_copy), "Plateforme de dons")
    assert r.exit_code == 1 and "does not match the hash" in r.stderr


def test_invalid_data_file_is_reported(data_copy, monkeypatch):
    (data_copy / "taxonomy.toml").write_text("[[category]]\nid = 'x'\n", encoding="utf-8")
    monkeypatch.setenv(paths.ENV_DATA, str(data_copy))
    from socialtech_cli.taxonomy import _load_cached

    _load_cached.cache_clear()
    r = run("categories")
    assert r.exit_code == 1
    assert "taxonomy.toml" in r.stderr and "'family' must be one of" in r.stderr
    _load_cached.cache_clear()


def test_model_env_variable_is_honoured(monkeypatch):
    monkeypatch.setenv(paths.ENV_MODEL, "/nonexistent/env-model")
    r = run("classify", "Plateforme de dons")
    assert r.exit_code == 1 and "/nonexistent/env-model" in r.stderr


def test_categories_json_lists_the_six_categories():
    r = run("categories", "--json")
    assert r.exit_code == 0
    ids = [c["id"] for c in json.loads(r.stdout)]
    assert ids[-1] == "out_of_scope" and len(ids) == 6


def test_categories_table_in_french():
    r = run("categories", "--lang", "fr")
    assert r.exit_code == 0 and "Hors champ" in r.stdout
