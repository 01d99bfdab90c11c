"""Maintainer tool: regenerate the demo-derived examples of the eval datasets.

    python -m reservoir.evals.build_datasets          # rewrite extract.jsonl and roi.jsonl
    python -m reservoir.evals.build_datasets --check  # exit 1 when they are out of date

extract.jsonl: lines with `"source": "demo"` are rebuilt from `reservoir/demo/labels.json` and
the corpus (page text through the same extractor the scout uses); hand-written lines are kept
as they are, after the demo lines. roi.jsonl: `"source": "derived"` lines are rebuilt, one per
labelled automation of extract.jsonl (demo and hand-written alike); hand-written ROI cases are
kept. ask.jsonl is entirely hand-written.
Run it after changing the demo corpus or its labels, and commit the JSONL files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reservoir.evals.tasks import DATASETS_DIR, load_jsonl

DEMO_HOST = "http://demo.local"
ROI_FIELDS = ("hours_saved_week", "setup_hours", "tool_cost_month")
QUOTED_SLACK = 0.1  # a quoted number is expected within ±10 %
# Plausible ranges, by automation type, for a small business when no source states a number:
# (hours saved per week, setup hours, tool cost per month in USD), each (min, max). Hand-set
# from the demo corpus' own figures; a default outside them is a bad default.
PLAUSIBLE: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "lead_generation": ((2, 25), (5, 60), (20, 300)),
    "client_communication": ((2, 20), (4, 50), (15, 400)),
    "document_automation": ((2, 20), (4, 60), (10, 250)),
    "scheduling": ((1, 18), (2, 20), (0, 150)),
    "follow_up": ((1, 12), (2, 30), (0, 150)),
    "reporting": ((1, 15), (4, 60), (0, 120)),
    "marketing": ((1, 10), (4, 40), (15, 200)),
    "workflow_optimization": ((2, 20), (6, 80), (10, 200)),
    "other": ((1, 10), (4, 40), (0, 150)),
}


def _profiles() -> dict[str, dict[str, Any]]:
    from reservoir.demo import demo_profiles

    return {p["industry"]: {k: p[k] for k in ("name", "industry", "team_size", "hourly_rate")}
            for p in demo_profiles()}


def profile_for(industry: str) -> dict[str, Any]:
    """A demo profile of the same industry, else a small generic business of that industry."""
    return _profiles().get(industry) or {"name": f"Sample {industry.replace('_', ' ')} business",
                                         "industry": industry, "team_size": 6, "hourly_rate": 45.0}


def page_text(label: dict[str, Any], site: dict[str, dict[str, Any]]) -> tuple[str, str, str]:
    """(url, title, text) of a labelled page, extracted as the scout would."""
    from reservoir.demo import DEMO_DIR, newsletter_dir
    from reservoir.tools.extract import extract_page_bytes
    from reservoir.tools.sources.folder import read_document

    if label["path"].startswith("folder:"):
        name = label["path"].split(":", 1)[1]
        page = read_document(newsletter_dir() / name, 10_000_000)
        url = f"{DEMO_HOST}/newsletter/{name}"
    else:
        url = DEMO_HOST + label["path"]
        page = extract_page_bytes((DEMO_DIR / site[label["slug"]]["file"]).read_bytes(), url)
    return url, page.title or label["title"], page.text


def extract_examples() -> list[dict[str, Any]]:
    from reservoir.demo import load_labels, load_site

    site = {p["slug"]: p for p in load_site()["pages"]}
    out = []
    for label in load_labels()["pages"]:
        url, title, text = page_text(label, site)
        example: dict[str, Any] = {
            "id": label["slug"], "source": "demo", "kind": label["kind"], "title": title,
            "url": url, "language": label["language"], "industry": label["industry"],
            "duplicate_of": label["duplicate_of"],
            "text": text,
            "expected": {"opportunities": [
                {"automation_type": a["automation_type"], "tools": a["tools"],
                 "evidence": [a["quote"]], "numbers": a["numbers"]}
                for a in label["automations"]]},
        }
        if label.get("injection_quote"):
            example["forbidden"] = ["evil.example", "ignore all previous instructions"]
        out.append(example)
    return out


def roi_example(example_id: str, source: str, automation: dict[str, Any], industry: str,
                evidence: list[str], title: str) -> dict[str, Any]:
    quoted = {n["field"]: float(n["value"]) for n in automation["numbers"] if n["field"] in ROI_FIELDS}
    ranges = PLAUSIBLE[automation["automation_type"]]
    expected = {}
    for name, plausible in zip(ROI_FIELDS, ranges, strict=True):
        if name in quoted:
            value = quoted[name]
            expected[name] = {"min": round(value * (1 - QUOTED_SLACK), 2),
                              "max": round(value * (1 + QUOTED_SLACK), 2), "source": "evidence"}
        else:
            expected[name] = {"min": plausible[0], "max": plausible[1], "source": "default"}
    return {"id": example_id, "source": source,
            "opportunity": {"title": title, "automation_type": automation["automation_type"],
                            "industries": [industry], "tools": automation["tools"],
                            "evidence": evidence},
            "profile": profile_for(industry), "expected": expected}


def roi_examples(extract: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One example per labelled automation of every original extract example (copies add
    nothing); hand-written extract cases contribute theirs too (normalised numbers)."""
    out = []
    for example in extract:
        if example["kind"] in ("duplicate", "near_duplicate", "no_automation"):
            continue
        for index, auto in enumerate(example["expected"]["opportunities"], 1):
            evidence = [*auto["evidence"], *(n["quote"] for n in auto["numbers"])]
            kind = auto["automation_type"].replace("_", " ")
            title = f"{kind.capitalize()} with {', '.join(auto['tools'])} ({example['industry']})"
            out.append(roi_example(f"{example['id']}#{index}", "derived", auto,
                                   example["industry"], list(dict.fromkeys(evidence)), title))
    return out


def merged(path: Path, generated: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The generated examples first, then every kept (hand-written) line in its order."""
    sources = {e["source"] for e in generated}
    kept = [e for e in load_jsonl(path) if e.get("source") not in sources] if path.exists() else []
    ids = [e["id"] for e in generated + kept]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"{path.name}: duplicate ids {sorted(duplicates)}")
    return generated + kept


def dump(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether files are stale")
    args = parser.parse_args(argv)
    stale = []
    extract = merged(DATASETS_DIR / "extract.jsonl", extract_examples())
    for name, rows in (("extract.jsonl", extract), ("roi.jsonl", None)):
        path = DATASETS_DIR / name
        text = dump(rows if rows is not None else merged(path, roi_examples(extract)))
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "rewritten"
    print(f"{verb}: {', '.join(stale)}" if stale else "datasets are up to date")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
