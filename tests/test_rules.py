import pytest

from socialtech_cli.errors import DataError
from socialtech_cli.rules import load_rules, parse_rules
from socialtech_cli.taxonomy import load_taxonomy


def ruleset(*rules):
    return parse_rules({"rule": list(rules)}, load_taxonomy())


def rule(**kw):
    base = {
        "id": "r1",
        "category": "ess_tech_solutions",
        "weight": 1.0,
        "rationale": "test",
        "phrases_fr": ["don en ligne"],
        "phrases_en": ["round-up donation"],
    }
    base.update(kw)
    return base


def test_match_ignores_case_accents_and_apostrophes():
    rs = ruleset(rule(phrases_fr=["générosité embarquée", "l'arrondi"]))
    assert [h.match for h in rs.hits("Une GENEROSITE EMBARQUEE au quotidien")] == ["GENEROSITE EMBARQUEE"]
    assert [h.match for h in rs.hits("grâce à l’arrondi solidaire")] == ["l’arrondi"]


def test_match_respects_word_boundaries():
    rs = ruleset(rule(phrases_fr=["don"]))
    assert rs.hits("Analyse de données pour les entreprises") == []
    assert rs.hits("Un abandon de poste") == []
    assert [h.match for h in rs.hits("Faites un don !")] == ["don"]


def test_multiword_phrase_needs_consecutive_words():
    rs = ruleset(rule(phrases_en=["round up donation"]))
    assert rs.hits("round the donation up") == []
    assert [h.match for h in rs.hits("A round-up donation at the till")] == ["round-up donation"]


def test_each_rule_reported_once_with_its_first_match():
    rs = ruleset(rule(phrases_fr=["don"]))
    hits = rs.hits("un don, puis un autre don")
    assert len(hits) == 1 and hits[0].id == "r1" and hits[0].weight == 1.0


def test_scores_sum_weights_per_category():
    rs = ruleset(rule(), rule(id="r2", weight=2.0, phrases_fr=["arrondi"], phrases_en=[]))
    cats = load_taxonomy().ids
    scores = rs.scores(["arrondi", "don", "en", "ligne"], cats)
    assert scores[cats.index("ess_tech_solutions")] == 3.0


@pytest.mark.parametrize(
    "bad, message",
    [
        (rule(category="nope"), "rule 'r1': unknown category 'nope'"),
        (rule(phrases_fr=["numéri*"]), "rule 'r1': bad phrase 'numéri*'"),
        (rule(phrases_fr=["(don|dons)"]), "bad phrase"),
        (rule(weight=0), "'weight' must be above 0"),
        (rule(weight="high"), "'weight' must be a number"),
        (rule(rationale=""), "rationale"),
        (rule(phrases_fr=[], phrases_en=[]), "needs at least one phrase"),
        (rule(id="Bad Id"), "'id' must be"),
        (rule(colour="red"), "unknown keys colour"),
    ],
)
def test_invalid_rules_are_refused_naming_the_rule(bad, message):
    with pytest.raises(DataError) as e:
        ruleset(bad)
    assert message in str(e.value)


def test_duplicate_rule_ids_refused():
    with pytest.raises(DataError, match="duplicate id"):
        ruleset(rule(), rule())


def test_shipped_rules_load_and_cover_every_category():
    rs = load_rules()
    assert {r.category for r in rs.rules} == set(load_taxonomy().ids)


def test_broken_toml_is_a_clear_error(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text("[[rule]\nid = ", encoding="utf-8")
    with pytest.raises(DataError, match="not valid TOML"):
        load_rules(p)
