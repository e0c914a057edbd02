"""The curation loop: validate, train, evaluate, review, rules audit, model safety."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialtech_cli import paths
from socialtech_cli.classify import Classifier
from socialtech_cli.cli import app
from socialtech_cli.curate import DOUBT_REASONS
from socialtech_cli.model import META_FILE
from socialtech_cli.taxonomy import load_taxonomy

runner = CliRunner()
HEADER = "id,text,label,lang,source\n"


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def small_data(tmp_path: Path, per_class: int = 24) -> Path:
    """A trainable subset of the shipped examples (fast to cross-validate)."""
    with open(paths.examples_path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    keep = []
    for c in load_taxonomy().ids:
        for lang in ("fr", "en"):
            keep += [r for r in rows if r["label"] == c and r["lang"] == lang][: per_class // 2]
    out = tmp_path / "small.csv"
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text", "label", "lang", "source"])
        w.writeheader()
        w.writerows(keep)
    return out


# -- validate ---------------------------------------------------------------------------------------


def test_validate_shipped_data_passes_with_warnings_only():
    r = run("validate", "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["status"] in ("pass", "warn") and report["examples"] >= 600


def test_validate_reports_every_problem_with_file_and_row(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "a1,Plateforme de dons pour associations,ess_tech_solutions,fr,typical\n"
        + "a2,Plateforme de dons pour associations,tech_for_good,fr,typical\n"  # same text, other label
        + "a3,,tech_for_good,fr,typical\n"  # empty text
        + "a4,Une appli pour les vélos,not_a_label,fr,typical\n"  # unknown label
        + "a5,Une appli anti-gaspi pour tous,tech_for_good,de,typical\n"  # bad lang
        + "a6,Une appli anti-gaspi,tech_for_good,fr,typical\n"
        + "a7,Une appli anti-gaspi,tech_for_good,fr,typical\n",  # duplicate
        encoding="utf-8",
    )
    r = run("validate", bad, "--json")
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert report["status"] == "fail"
    messages = [(p["row"], p["message"]) for p in report["problems"]]
    text = json.dumps(messages)
    assert "the same text has two labels" in text
    assert "empty text" in text
    assert "unknown label 'not_a_label'" in text
    assert "lang must be fr or en" in text
    assert "duplicate text" in text
    assert "at least 20 needed" in text  # too few examples per category
    assert all(p["file"].endswith("bad.csv") for p in report["problems"] if p["row"])


def test_validate_missing_columns_and_bad_rules(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,description\n1,x\n", encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nid = "r"\ncategory = "nope"\nweight = 1\nrationale = "x"\nphrases_fr = ["a*"]\n'
    )
    r = run("validate", bad, "--rules", rules, "--json")
    assert r.exit_code == 1
    text = r.stdout
    assert "missing columns: text, label, lang, source" in text
    assert "unknown category 'nope'" in text and "bad phrase 'a*'" in text


def test_validate_near_duplicates_across_labels_and_language_balance(tmp_path):
    data = small_data(tmp_path)
    with open(data, "a", encoding="utf-8") as f:
        f.write(
            "x1,Logiciel de gestion des adhérents pour les clubs sportifs amateurs,ess_tech_solutions,fr,typical\n"
        )
        f.write(
            "x2,Logiciel de gestion des adhérents pour les clubs sportifs amateurs !,out_of_scope,fr,typical\n"
        )
    r = run("validate", data, "--json")
    problems = json.loads(r.stdout)["problems"]
    assert any("near-duplicate" in p["message"] for p in problems)
    assert any("only 24 examples" in p["message"] for p in problems)


def test_validate_flags_language_balance_and_texts_in_neither_language(tmp_path):
    data = small_data(tmp_path)
    with open(data, "a", encoding="utf-8") as f:
        for i in range(8):  # tip tech_for_good towards French
            f.write(f"y{i},Une appli de covoiturage numéro {i} pour les villages,tech_for_good,fr,typical\n")
        f.write(
            "z1,Wir entwickeln eine App gegen Lebensmittelverschwendung in deutschen Städten,tech_for_good,en,typical\n"
        )
    problems = json.loads(run("validate", data, "--json").stdout)["problems"]
    messages = [p["message"] for p in problems]
    assert any("category tech_for_good:" in m and "in en (under 40%)" in m for m in messages)
    assert any(m == "text looks like neither French nor English" for m in messages)


# -- train, evaluate -----------------------------------------------------------------------------------


def test_train_writes_a_loadable_model_with_metadata(tmp_path):
    out = tmp_path / "model"
    r = run("train", "--data", small_data(tmp_path), "--out", out, "--folds", "3", "--json")
    assert r.exit_code == 0, r.output
    meta = json.loads((out / META_FILE).read_text())
    assert set(meta["labels"]) == set(load_taxonomy().ids)
    assert meta["metrics"]["cv"]["folds"] == 3
    assert 0 < meta["decision"]["threshold"] <= 1
    assert meta["data"]["examples"] == 144
    clf = Classifier.load(out)
    assert clf.classify("Plateforme de dons en ligne pour les associations").category in load_taxonomy().ids


def test_train_reports_the_mean_over_repeated_splits(tmp_path):
    out = tmp_path / "model"
    r = run("train", "--data", small_data(tmp_path), "--out", out, "--folds", "3", "--repeats", "2")
    assert r.exit_code == 0, r.output
    assert "over 2 different splits" in r.output
    cv = json.loads((out / META_FILE).read_text())["metrics"]["cv"]
    rep = cv["repeated"]
    assert [run["seed"] for run in rep["runs"]] == [0, 1]
    # The first split is the one the reported tables come from; the mean is over both.
    assert rep["runs"][0]["all"] == cv["combined"]["macro_f1"]
    assert rep["runs"][0]["fr"] == cv["combined"]["by_lang"]["fr"]["macro_f1"]
    for k in ("all", "fr", "en"):
        assert rep["mean"][k] == pytest.approx((rep["runs"][0][k] + rep["runs"][1][k]) / 2, abs=1e-4)


def test_train_defaults_to_the_user_model_directory_which_classify_then_uses(tmp_path, isolated_home):
    r = run("train", "--data", small_data(tmp_path), "--folds", "3")
    assert r.exit_code == 0, r.output
    assert (isolated_home / "model" / META_FILE).exists()
    r = run("model", "--json")
    info = json.loads(r.stdout)
    assert info["chosen_by"] == "user-trained model" and info["examples"] == 144


def test_interrupted_training_keeps_the_previous_model(tmp_path, monkeypatch):
    out = tmp_path / "model"
    shutil.copytree(paths.shipped_model_dir(), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("socialtech_cli.train.sha256_file", boom)
    r = run("train", "--data", small_data(tmp_path), "--out", out, "--folds", "3")
    assert r.exit_code == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".model")] == []


def test_train_refuses_invalid_data(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "1,,tech_for_good,fr,typical\n")
    r = run("train", "--data", bad, "--out", tmp_path / "m")
    assert r.exit_code == 1 and "problem(s) in the curated data" in r.stderr
    assert not (tmp_path / "m").exists()


def test_later_data_file_wins(tmp_path):
    from socialtech_cli.examples import load

    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text(HEADER + "x1,Un texte,tech_for_good,fr,typical\nx2,Autre texte,out_of_scope,fr,typical\n")
    b.write_text(HEADER + "x1,Un texte,tech_philanthropy,fr,typical\n")
    examples, _ = load([a, b], load_taxonomy())
    assert {e.id: e.label for e in examples} == {"x1": "tech_philanthropy", "x2": "out_of_scope"}


def test_evaluate_json_shape():
    r = run("evaluate", "--data", Path(paths.data_dir()) / "holdout.csv", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    for part in ("model", "rules", "combined"):
        assert 0 <= d[part]["macro_f1"] <= 1
        assert set(d[part]["by_lang"]) == {"fr", "en"}
        assert set(d[part]["per_class"]["tech_for_good"]) == {"precision", "recall", "f1", "support"}
    assert len(d["confusion"]["matrix"]) == 6
    assert d["abstention"]["threshold"] > 0
    assert all({"text", "label", "predicted", "summary"} <= set(e) for e in d["worst_errors"])


@pytest.mark.parametrize("name", ["holdout.csv", "holdout_others.csv"])
def test_shipped_model_on_the_hold_out_sets(name):
    # Texts never trained on (holdout_others.csv: written by authors who never saw the training
    # data): the shipped model must stay above the 0.85 in each language there too.
    r = run("evaluate", "--data", Path(paths.data_dir()) / name, "--json")
    assert r.exit_code == 0, r.output
    by_lang = json.loads(r.stdout)["combined"]["by_lang"]
    assert by_lang["fr"]["macro_f1"] >= 0.85 and by_lang["en"]["macro_f1"] >= 0.85, by_lang


def test_learning_curve(tmp_path):
    r = run("evaluate", "--data", small_data(tmp_path), "--learning-curve", "--json")
    assert r.exit_code == 0, r.output
    lc = json.loads(r.stdout)["learning_curve"]
    assert lc["fractions"] == [0.25, 0.5, 0.75, 1.0]
    assert all(len(v) == 4 for v in lc["per_class_f1"].values())


# -- review, audit ---------------------------------------------------------------------------------------


def test_doubt_reasons_flag_what_they_should():
    found = {
        f.__name__: f(label="a", pred="b", conf=0.9, margin=0.05, rule_cats={"c"}, other_labels={"d"})
        for f in DOUBT_REASONS
    }
    assert all(found.values())
    calm = {
        f.__name__: f(label="a", pred="a", conf=0.9, margin=0.5, rule_cats={"a"}, other_labels=set())
        for f in DOUBT_REASONS
    }
    assert not any(calm.values())


def test_review_export_ranks_curated_rows(tmp_path):
    out = tmp_path / "ranked.csv"
    r = run("review", "--data", small_data(tmp_path), "--export", out)
    assert r.exit_code == 0, r.output
    rows = read_rows(out)
    assert rows and all(r["reasons"] for r in rows)
    doubts = [float(r["doubt"]) for r in rows]
    assert doubts == sorted(doubts, reverse=True)


def test_end_to_end_batch_review_train_reclassifies_the_corrected_row(tmp_path):
    text = "Zorblatt Quimperlé, société fondée par Zorblatt, reverse 1 % de son capital à Zorblatt"
    src = tmp_path / "orgs.csv"
    src.write_text(
        f"id,description\nz1,{text}\nz2,Plateforme de dons en ligne pour les associations\n", encoding="utf-8"
    )
    labelled = tmp_path / "labelled.csv"
    r = run("batch", src, "-o", labelled, "--id-column", "id", "-q", "--threshold", "0.999")
    assert r.exit_code == 0, r.output
    corrections = tmp_path / "corrections.csv"
    ids = list(load_taxonomy().ids)
    key = str(ids.index("tech_philanthropy") + 1)
    # Scripted keystrokes: correct the first row to tech_philanthropy, skip the second.
    r = run("review", labelled, "--id-column", "id", "--corrections", corrections, input=f"{key}\ns\n")
    assert r.exit_code == 0, r.output
    rows = read_rows(corrections)
    assert len(rows) == 1
    assert rows[0]["id"] == "z1" and rows[0]["label"] == "tech_philanthropy"
    assert rows[0]["reviewed"] in ("corrected", "accepted") and rows[0]["date"]
    model = tmp_path / "model"
    r = run(
        "train",
        "--data",
        paths.examples_path(),
        "--data",
        corrections,
        "--out",
        model,
        "--folds",
        "3",
        "--repeats",
        "1",
    )
    assert r.exit_code == 0, r.output
    assert Classifier.load(model).classify(text).category == "tech_philanthropy"


def test_review_quits_cleanly_and_keeps_earlier_decisions(tmp_path):
    labelled = tmp_path / "labelled.csv"
    src = tmp_path / "in.txt"
    src.write_text("Plateforme de dons\nClub de football\nAppli anti-gaspi\n", encoding="utf-8")
    run("batch", src, "-o", labelled, "-q", "--threshold", "0.999")
    corrections = tmp_path / "c.csv"
    r = run("review", labelled, "--corrections", corrections, input="a\nq\n")
    assert r.exit_code == 0
    assert len(read_rows(corrections)) == 1


def test_rules_audit_json():
    r = run("rules", "audit", "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    by_id = {row["id"]: row for row in rows}
    assert by_id["embedded-giving"]["fires"] > 0
    assert all(row["precision"] is None or 0 <= row["precision"] <= 1 for row in rows)


def test_model_command_reports_the_shipped_model():
    r = run("model", "--json")
    assert r.exit_code == 0
    info = json.loads(r.stdout)
    assert info["chosen_by"] == "shipped model" and info["examples"] >= 600
    # The quality target, as the shipped model records it: 0.85 in each language.
    assert info["cv_macro_f1_repeated"]["fr"] >= 0.85 and info["cv_macro_f1_repeated"]["en"] >= 0.85


def test_version_mismatch_warns(model_copy):
    meta = json.loads((model_copy / META_FILE).read_text())
    meta["versions"]["socialtech"] = "0.0.1"
    (model_copy / META_FILE).write_text(json.dumps(meta))
    r = run("classify", "--model", model_copy, "Plateforme de dons")
    assert r.exit_code == 0 and "trained with socialtech 0.0.1" in r.stderr
