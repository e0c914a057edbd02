"""The Python API and the decision: real texts, abstention, robustness on any input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtech_cli import Classifier, Prediction, paths, text
from socialtech_cli.classify import DECIDED_BY
from socialtech_cli.errors import InputError
from socialtech_cli.examples import load
from socialtech_cli.taxonomy import load_taxonomy

IDS = set(load_taxonomy().ids)


@pytest.mark.parametrize(
    "description, expected",
    [
        (
            "HelloAsso : plateforme de paiement en ligne gratuite pour les associations, dons et adhésions",
            "ess_tech_solutions",
        ),
        ("Too Good To Go, the app that lets shops sell their unsold food at a discount", "tech_for_good"),
        (
            "La fondation d'entreprise de l'opérateur télécom finance des associations et encourage "
            "le mécénat de compétences de ses salariés",
            "tech_philanthropy",
        ),
        (
            "Solidatech aide les associations à s'équiper en logiciels et matériel informatique "
            "à prix solidaire et forme leurs bénévoles",
            "ess_digital_transition",
        ),
        (
            "The Social Good Week is a yearly event promoting digital tools for social innovation",
            "digital_social_innovation",
        ),
        ("Start-up de cybersécurité", "out_of_scope"),
        ("Cybersecurity startup", "out_of_scope"),
    ],
)
def test_real_descriptions(clf, description, expected):
    assert clf.classify(description).category == expected


PLAIN_TECH_COMPANIES = [
    "Éditeur de logiciels de cybersécurité pour les grandes entreprises",
    "Éditeur de logiciels de paie pour PME",
    "Software company selling accounting tools to small businesses",
    "Start-up de cybersécurité",
]
# Bare "who" descriptions, written before the "actor only" data rounds and kept out of data/
# (test_examples_data checks it): they measure whether rule 6 generalises, not whether it was
# memorised.
BARE_TECH_ACTORS = [
    "Start-up de la fintech",
    "Start-up de la publicité en ligne",
    "Société de cybersécurité",
    "Éditeur de jeux vidéo mobiles",
    "Scale-up française du logiciel RH",
    "ESN spécialisée dans la migration vers le cloud",
    "Cybersecurity software vendor for banks",
    "Jeune pousse de la blockchain",
    "Éditeur de logiciels pour notaires",
    "Studio de jeux vidéo indépendant",
    "Opérateur de fibre optique",
    "Scale-up de la livraison rapide",
    "Hébergeur de sites web",
    "Cabinet de conseil en transformation digitale",
    "Fabricant de puces électroniques",
    "Agence de développement d'applications mobiles",
    "Gaming startup",
    "Managed IT services provider",
    "Adtech scale-up",
]


def _out_of_scope_or_doubtful(p: Prediction) -> bool:
    return p.category == "out_of_scope" or (p.uncertain and p.runner_up.category == "out_of_scope")


@pytest.mark.parametrize("description", PLAIN_TECH_COMPANIES)
def test_plain_tech_company_is_never_confidently_social(clf, description):
    # Taxonomy rule 6: a tech company with no social purpose is out of scope. The words of such a
    # text also describe the companies that give (tech_philanthropy), so the model may hesitate,
    # but it must then say so: out_of_scope, or an uncertain answer with out_of_scope runner-up.
    assert _out_of_scope_or_doubtful(clf.classify(description))


def test_bare_tech_actors_are_mostly_out_of_scope(clf):
    # Rule 6 on descriptions never trained on: a rate, not each one, as for any held-out measure
    # (the README lists the ones the shipped model gets wrong).
    wrong = [
        d
        for d, p in zip(BARE_TECH_ACTORS, clf.classify_many(BARE_TECH_ACTORS), strict=True)
        if not _out_of_scope_or_doubtful(p)
    ]
    # The model before the "actor only" rounds got 15 of the 19 (79 %).
    assert len(wrong) <= 0.2 * len(BARE_TECH_ACTORS), wrong


def test_prediction_fields(clf):
    text = "MicroDON propose l'arrondi sur salaire et en caisse au profit d'associations"
    p = clf.classify(text)
    assert isinstance(p, Prediction)
    assert p.category in IDS and p.runner_up.category in IDS and p.runner_up.category != p.category
    assert p.confidence >= p.runner_up.confidence
    assert sum(p.scores.values()) == pytest.approx(1, abs=1e-3)
    assert p.explanation.decided_by in DECIDED_BY
    assert {h.id for h in p.explanation.rules} >= {"embedded-giving"}
    # Each rule quotes the exact span of the text it matched first.
    assert all(h.match in text for h in p.explanation.rules)
    assert "MicroDON" in [h.match for h in p.explanation.rules]
    assert p.lang == "fr" and p.name == load_taxonomy().get(p.category).name_fr


def test_terms_explain_the_choice_against_the_runner_up(clf):
    p = clf.classify("Application mobile contre le gaspillage alimentaire pour les particuliers")
    weights = [t.weight for t in p.explanation.terms]
    assert any(w > 0 for w in weights)
    # Positive weights first (largest first), then negative ones.
    pos = [w for w in weights if w > 0]
    assert pos == sorted(pos, key=abs, reverse=True)


def test_terms_are_shown_as_the_user_wrote_them(clf):
    # A word as written, a stem as "prefix*", an opening word as "^Word": each traceable to the text.
    texts = [e.text for e in load([paths.examples_path()], load_taxonomy())[0][::40]]
    seen_marks = set()
    for t, p in zip(texts, clf.classify_many(texts), strict=True):
        words = text.raw_tokens(t)
        folded = text.fold_all(words)
        for term in p.explanation.terms:
            shown = term.term
            if shown.endswith("*"):
                seen_marks.add("*")
                assert any(f.startswith(shown[:-1]) for f in folded), (shown, t)
            elif shown.startswith(text.HEAD_MARK):
                seen_marks.add(text.HEAD_MARK)
                opening = [
                    w for w, f in zip(words, folded, strict=True) if f not in text.STOP_WORDS and len(f) > 1
                ]
                assert shown[1:] in [w for w in opening if not w.isdigit()][:2], (shown, t)
            else:
                assert shown in words, (shown, t)
    assert seen_marks == {"*", text.HEAD_MARK}


def test_uninformative_text_is_uncertain_not_an_error(clf):
    # "hello" may be a known word (part of a company name) but weighs for nothing in particular: the
    # answer rests on the base rates, in every path (one text, many texts, batch rows).
    one = clf.classify("hello")
    assert one.uncertain and one.explanation.decided_by == "no_evidence"
    [many] = clf.classify_many(["hello"])
    [row] = clf.label_many(["hello"])
    assert (many.uncertain, many.explanation.decided_by) == (True, "no_evidence")
    assert (row.uncertain, row.decided_by) == (True, "no_evidence")
    p = clf.classify("zzyzx qwertyuiop")
    assert p.uncertain and p.explanation.decided_by == "no_evidence"
    assert p.explanation.terms == [] and p.explanation.rules == []


def test_lang_option_changes_names(clf):
    text = "Plateforme de collecte de dons pour les associations"
    assert clf.classify(text, lang="en").name == load_taxonomy().get("ess_tech_solutions").name_en


def test_threshold_override(clf):
    text = "Plateforme de collecte de dons pour les associations"
    assert clf.classify(text, threshold=1.0).uncertain
    assert not clf.classify(text, threshold=0.0).uncertain


def test_classify_many_keeps_order_and_matches_classify(clf):
    texts = ["Fonds d'impact qui investit dans des start-up", "hello", "Club de football amateur"] * 3
    many = clf.classify_many(texts)
    assert [p.category for p in many] == [clf.classify(t).category for t in texts]


def test_classify_many_returns_errors_in_place_when_asked(clf):
    out = clf.classify_many(["", "Plateforme de dons", "1234"], errors="return")
    assert isinstance(out[0], InputError) and isinstance(out[2], InputError)
    assert isinstance(out[1], Prediction)
    with pytest.raises(InputError, match="empty"):
        clf.classify_many(["ok text", "  "])


@pytest.mark.parametrize(
    "bad, message",
    [("", "empty"), ("   \n", "empty"), ("1234 !!!", "no letters"), ("a" * 200_001, "too long")],
)
def test_bad_texts_raise_input_error(clf, bad, message):
    with pytest.raises(InputError, match=message):
        clf.classify(bad)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_gives_a_valid_answer_or_a_clear_error(clf, s):
    try:
        p = clf.classify(s)
    except InputError as e:
        assert str(e)
    else:
        assert p.category in IDS and 0 <= p.confidence <= 1


def test_default_load_uses_the_shipped_model():
    assert Classifier.load().bundle.path.name == "default"
