from hypothesis import given
from hypothesis import strategies as st

from socialtech_cli import text


def test_case_accents_and_ligatures_fold_to_one_form():
    assert text.tokens("Données DONNÉES donnees") == ["donnee"] * 3
    assert text.tokens("cœur Coeur") == ["coeur", "coeur"]


def test_apostrophes_of_every_style_split_words():
    for apostrophe in ("'", "’", "ʼ"):
        assert text.tokens(f"l{apostrophe}association") == ["l", "association"]


def test_decomposed_accents_are_one_word():
    assert text.tokens("e\u0301cole numérique") == text.tokens("école numérique") == ["ecole", "numerique"]


def test_plural_folding():
    assert text.fold("associations") == "association"
    assert text.fold("Réseaux") == "reseau"
    assert text.fold("business") == "business"
    assert text.fold("bus") == "bus"


def test_features_drop_function_words_and_add_stems_and_opening_words():
    assert text.features("Nous aidons les associations") == [
        "aidon",
        "association",
        "~assoc",
        "^aidon",
        "^assoc",
    ]
    assert "~numer" in text.features("numériques") and "~numer" in text.features("Numérisation")


def test_opening_words_are_the_first_two_content_words_not_numbers():
    feats = text.features("En 2019, 12 développeurs ont fondé une association de quartier")
    assert [f for f in feats if f.startswith(text.HEAD_MARK)] == ["^devel", "^fonde"]
    assert [f for f in text.features("Logiciel") if f.startswith(text.HEAD_MARK)] == ["^logic"]
    assert not [f for f in text.features("2019 le la") if f.startswith(text.HEAD_MARK)]


def test_guess_lang():
    assert text.guess_lang(text.tokens("Une association qui aide les jeunes")) == "fr"
    assert text.guess_lang(text.tokens("A charity that helps young people")) == "en"


@given(st.text())
def test_tokens_are_idempotent(s):
    toks = text.tokens(s)
    assert text.tokens(" ".join(toks)) == toks
