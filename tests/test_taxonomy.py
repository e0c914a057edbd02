import pytest

from socialtech_cli import paths
from socialtech_cli.errors import DataError
from socialtech_cli.taxonomy import load_taxonomy, parse_taxonomy, read_toml

IDS = (
    "tech_for_good",
    "tech_philanthropy",
    "ess_tech_solutions",
    "ess_digital_transition",
    "digital_social_innovation",
    "out_of_scope",
)


def test_shipped_taxonomy_has_the_six_categories_of_the_spec():
    t = load_taxonomy()
    assert t.ids == IDS
    assert t.get("ess_tech_solutions").family == "bridge"
    assert t.get("tech_philanthropy").name_fr == "Acteurs de la Tech mécènes du Social Good"
    assert "HelloAsso" in t.get("ess_tech_solutions").examples


def doc_with(**changes):
    doc = read_toml(paths.taxonomy_path())
    doc["category"][0].update(changes)
    return doc


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"family": "Other"}, "'family' must be one of"),
        ({"name_fr": ""}, "missing or empty name_fr"),
        ({"id": "Tech For Good"}, "'id' must be lower_snake_case"),
        ({"examples": "HelloAsso"}, "'examples' must be a list"),
        ({"colour": "red"}, "unknown keys colour"),
    ],
)
def test_invalid_taxonomy_is_refused(changes, message):
    with pytest.raises(DataError, match=message):
        parse_taxonomy(doc_with(**changes))


def test_out_of_scope_is_required():
    doc = read_toml(paths.taxonomy_path())
    doc["category"] = [c for c in doc["category"] if c["id"] != "out_of_scope"]
    with pytest.raises(DataError, match="'out_of_scope' is required"):
        parse_taxonomy(doc)


def test_duplicate_ids_refused():
    doc = read_toml(paths.taxonomy_path())
    doc["category"].append(dict(doc["category"][0]))
    with pytest.raises(DataError, match="duplicate id"):
        parse_taxonomy(doc)
