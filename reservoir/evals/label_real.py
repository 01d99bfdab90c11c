"""Draft `datasets/real-annotations.json` from the snapshots, by the rules of `LABELLING.md`.

Why a script: the labels must come from the sources' structured metadata (connector product
and categories, agent class, cookbook section) and fixed written rules, not from the
analyst's own keyword tables, so that measuring the analyst against them is not circular.
The output stores sentence indices and fingerprints, never text. It is run once by a
maintainer (the split is decided here, once, by the hash of each id) and the file committed;
hand corrections go into `OVERRIDES` so a re-run keeps them.

    python -m reservoir.evals.label_real --mirror /work/.mirror
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from reservoir.evals.build_real import (
    ANNOTATIONS,
    DEFAULT_MIRROR,
    SOURCES,
    Document,
    fingerprint,
    git_dir,
    list_files,
    read_document,
    sentences,
)
from reservoir.evals.splits import split_for_id

PPC_DOCS = 90  # connectors taken, in the order of the hash of their path
MIN_SENTENCES = 3

# LABELLING.md §2: connector category -> automation type (first mapped category wins).
PPC_CATEGORY_TYPES = {
    "Sales and CRM": "lead_generation", "Marketing": "marketing", "Social Media": "marketing",
    "Communication": "client_communication", "Content and Files": "document_automation",
    "Business Intelligence": "reporting",
}
# LABELLING.md §2: Huginn agent (file stem) -> (service it talks to, automation type).
HUGINN: dict[str, tuple[tuple[str, ...], str]] = {
    "aftership_agent": (("AfterShip",), "reporting"),
    "attribute_difference_agent": ((), "workflow_optimization"),
    "change_detector_agent": ((), "reporting"), "commander_agent": ((), "workflow_optimization"),
    "csv_agent": ((), "document_automation"), "data_output_agent": ((), "document_automation"),
    "de_duplication_agent": ((), "workflow_optimization"),
    "delay_agent": ((), "workflow_optimization"), "digest_agent": ((), "reporting"),
    "dropbox_file_url_agent": (("Dropbox",), "document_automation"),
    "dropbox_watch_agent": (("Dropbox",), "document_automation"),
    "email_agent": ((), "client_communication"), "email_digest_agent": ((), "reporting"),
    "event_formatting_agent": ((), "workflow_optimization"),
    "evernote_agent": (("Evernote",), "document_automation"),
    "ftpsite_agent": ((), "document_automation"), "gap_detector_agent": ((), "reporting"),
    "google_calendar_publish_agent": (("Google Calendar",), "scheduling"),
    "google_translation_agent": (("Google Translate",), "document_automation"),
    "hipchat_agent": (("HipChat",), "client_communication"),
    "http_status_agent": ((), "reporting"),
    "human_task_agent": (("Amazon Mechanical Turk",), "workflow_optimization"),
    "imap_folder_agent": ((), "workflow_optimization"),
    "jabber_agent": (("Jabber",), "client_communication"),
    "java_script_agent": ((), "workflow_optimization"), "jira_agent": (("Jira",), "reporting"),
    "jq_agent": ((), "workflow_optimization"), "json_parse_agent": ((), "workflow_optimization"),
    "key_value_store_agent": ((), "workflow_optimization"),
    "liquid_output_agent": ((), "document_automation"),
    "local_file_agent": ((), "document_automation"),
    "manual_event_agent": ((), "workflow_optimization"),
    "mqtt_agent": (("MQTT",), "workflow_optimization"),
    "openai_image_generation_agent": (("OpenAI",), "workflow_optimization"),
    "openai_llm_agent": (("OpenAI",), "workflow_optimization"),
    "openai_speech_agent": (("OpenAI",), "workflow_optimization"),
    "openai_video_generation_agent": (("OpenAI",), "workflow_optimization"),
    "pdf_info_agent": ((), "document_automation"), "peak_detector_agent": ((), "reporting"),
    "phantom_js_cloud_agent": (("PhantomJs Cloud",), "workflow_optimization"),
    "post_agent": ((), "workflow_optimization"),
    "public_transport_agent": (("NextBus",), "reporting"),
    "pushbullet_agent": (("Pushbullet",), "client_communication"),
    "pushover_agent": (("Pushover",), "client_communication"),
    "raindrop_bookmarks_agent": (("Raindrop.io",), "workflow_optimization"),
    "raindrop_publish_agent": (("Raindrop.io",), "workflow_optimization"),
    "read_file_agent": ((), "document_automation"), "rss_agent": ((), "reporting"),
    "s3_agent": (("Amazon S3",), "document_automation"),
    "scheduler_agent": ((), "workflow_optimization"),
    "sentiment_agent": ((), "workflow_optimization"),
    "shell_command_agent": ((), "workflow_optimization"),
    "slack_agent": (("Slack",), "client_communication"),
    "stubhub_agent": (("StubHub",), "reporting"),
    "telegram_agent": (("Telegram",), "client_communication"),
    "threads_publish_agent": (("Threads",), "marketing"),
    "threads_user_agent": (("Threads",), "reporting"),
    "trigger_agent": ((), "workflow_optimization"),
    "tumblr_likes_agent": (("Tumblr",), "reporting"),
    "tumblr_publish_agent": (("Tumblr",), "marketing"),
    "twilio_agent": (("Twilio",), "client_communication"),
    "twilio_receive_text_agent": (("Twilio",), "client_communication"),
    "twitter_action_agent": (("Twitter",), "marketing"),
    "twitter_favorites": (("Twitter",), "reporting"),
    "twitter_publish_agent": (("Twitter",), "marketing"),
    "twitter_search_agent": (("Twitter",), "reporting"),
    "twitter_stream_agent": (("Twitter",), "reporting"),
    "twitter_user_agent": (("Twitter",), "reporting"),
    "user_location_agent": ((), "workflow_optimization"),
    "weather_agent": (("Pirate Weather",), "reporting"), "webhook_agent": ((), "workflow_optimization"),
    "website_agent": ((), "reporting"), "weibo_publish_agent": (("Weibo",), "marketing"),
    "weibo_user_agent": (("Weibo",), "reporting"), "witai_agent": (("Wit.ai",), "workflow_optimization"),
}
# LABELLING.md §2: cookbook recipes whose type is not the section default (workflow_optimization).
NODERED_TYPES = {
    "basic/convert-json": "document_automation", "basic/convert-xml": "document_automation",
    "basic/convert-yaml": "document_automation", "basic/generate-csv": "document_automation",
    "basic/parse-csv": "document_automation", "basic/report-by-exception": "reporting",
}
# LABELLING.md §3: an industry only where a sentence names it in these words.
INDUSTRY_PHRASES = {
    "real_estate": r"real estate|realtors?|property management",
    "insurance": r"insurance|insurers?", "healthcare": r"healthcare|health care|hospitals?|clinics?",
    "legal": r"law firms?|attorneys?|lawyers?", "restaurant": r"restaurants?",
    "education": r"education(?:al)?|schools?|teachers?|universit(?:y|ies)",
    "retail": r"retail(?:ers?)?", "ecommerce": r"e-?commerce|online stores?|web ?shops?",
    "logistics": r"logistics|freight", "recruiting": r"recruit\w*|applicant tracking",
    "construction": r"construction industry|construction compan\w+|contractors?",
    "hospitality": r"hotels?|hospitality", "accounting": r"accounting firms?|accountants?|bookkeep\w*",
}
# LABELLING.md §4: a number only in a sentence that states time saved or a running cost.
NUMBER_RULES = (
    ("hours_saved_week", re.compile(r"\bsav\w*\b.*?\b(\d+(?:\.\d+)?)\s*hours?\s*(?:a|per|each)\s*week",
                                    re.I)),
    ("tool_cost_month", re.compile(r"[$€£]\s?(\d+(?:\.\d+)?)\s*(?:/|per|a)\s*month", re.I)),
)
OVERRIDES: dict[str, dict[str, Any]] = {}


def ppc_candidates(mirror: Path) -> list[str]:
    """Connector readmes that sit next to a swagger file, in the order of their path's hash."""
    source = SOURCES["ppc"]
    files = list_files(git_dir(mirror, source.repo), source.commit)
    folders = {f.rsplit("/", 1)[0] for f in files if f.endswith("/apiDefinition.swagger.json")}
    readmes = [f for f in files if f.lower().endswith("/readme.md") and f.count("/") == 2
               and f.startswith(("certified-connectors/", "independent-publisher-connectors/"))
               and f.rsplit("/", 1)[0] in folders]
    return sorted(readmes, key=lambda p: hashlib.sha256(p.encode()).hexdigest())


def doc_id(source: str, path: str) -> str:
    if source == "ppc":
        stem = path.split("/")[1]
    elif source == "huginn":
        stem = Path(path).stem
    else:
        stem = path.removesuffix(".md")
    return f"{source}:" + re.sub(r"[^a-z0-9/]+", "-", stem.lower()).strip("-")


def prose(sents: list[str]) -> list[int]:
    """Indices of sentences that read as prose: six words or more, ending with a full stop."""
    return [i for i, s in enumerate(sents) if len(s.split()) >= 6 and s.rstrip().endswith((".", "!"))]


def evidence_of(doc: Document, sents: list[str]) -> list[int]:
    """LABELLING.md §1: the sentence that says what the automation does (two for a recipe)."""
    candidates = prose(sents)
    if doc.source == "nodered":
        picked = [next((i for i in candidates if sents[i].startswith(start)), None)
                  for start in ("You want", "Use ")]
        found = [i for i in picked if i is not None]
        if found:
            return found
    if doc.source == "ppc":  # the readme's own description, not its set-up notes
        setup = re.compile(r"issues?|limitations?|prerequisites?|credentials?|sign up|api key", re.I)
        return [i for i in candidates if not setup.search(sents[i])][:1] or candidates[:1]
    return candidates[:1]


def type_and_tools(doc: Document) -> tuple[str, list[str]]:
    if doc.source == "ppc":
        product = re.sub(r"\s*\([^()]*\)\s*$", "", doc.meta["product"])  # "(Preview)", "(deprecated)"
        kind = next((PPC_CATEGORY_TYPES[c] for c in doc.meta["categories"] if c in PPC_CATEGORY_TYPES),
                    "workflow_optimization")
        return kind, [product.strip()]
    if doc.source == "huginn":
        tools, kind = HUGINN[Path(doc.path).stem]
        return kind, list(tools)
    key = doc.path.removesuffix(".md")
    tools = ["Node-RED"] + (["MQTT"] if doc.meta["section"] == "mqtt" else [])
    return NODERED_TYPES.get(key, "workflow_optimization"), tools


def industry_of(sents: list[str]) -> dict[str, Any] | None:
    for i, sentence in enumerate(sents):
        for name, phrase in INDUSTRY_PHRASES.items():
            if re.search(rf"\b(?:{phrase})\b", sentence, re.I):
                return {"name": name, "sentence": i, "fp": fingerprint(sentence)}
    return None


def numbers_of(sents: list[str]) -> list[dict[str, Any]]:
    out = []
    for i, sentence in enumerate(sents):
        for name, rule in NUMBER_RULES:
            match = rule.search(sentence)
            if match:
                out.append({"field": name, "value": float(match.group(1)), "sentence": i,
                            "fp": fingerprint(sentence)})
    return out


def label(doc: Document) -> dict[str, Any] | None:
    """One document's label, or None when it has too little prose to describe an automation."""
    sents = sentences(doc.text)
    evidence = evidence_of(doc, sents)
    if len(prose(sents)) < MIN_SENTENCES or not evidence:
        return None
    kind, tools = type_and_tools(doc)
    out = {
        "source": doc.source, "path": doc.path, "split": split_for_id(doc.id),
        "sentences": len(sents), "industry": industry_of(sents),
        "opportunities": [{
            "automation_type": kind, "tools": tools,
            "evidence": [{"sentence": i, "fp": fingerprint(sents[i])} for i in evidence],
            "numbers": numbers_of(sents),
        }],
    }
    return {**out, **OVERRIDES.get(doc.id, {})}


def paths(mirror: Path, source: str) -> list[str]:
    spec = SOURCES[source]
    if source == "ppc":
        return ppc_candidates(mirror)
    files = list_files(git_dir(mirror, spec.repo), spec.commit)
    if source == "huginn":
        return [f for f in files if f.startswith("app/models/agents/") and f.endswith(".rb")]
    return [f for f in files if re.fullmatch(r"(basic|http|mqtt)/[\w-]+\.md", f)
            and not f.endswith("/index.md")]


def draft(mirror: Path) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    for source in SOURCES:
        taken = 0
        for path in paths(mirror, source):
            if source == "ppc" and taken >= PPC_DOCS:
                break
            ident = doc_id(source, path)
            found = label(read_document(mirror, SOURCES[source], ident, path))
            if found and ident not in docs:
                docs[ident] = found
                taken += 1
    return {
        "guideline": "reservoir/evals/LABELLING.md",
        "split_rule": "sha256(id) first byte: even = real-dev, odd = real-test (decided once)",
        "sources": {k: {"repo": s.repo, "commit": s.commit, "licence": s.licence}
                    for k, s in SOURCES.items()},
        "docs": dict(sorted(docs.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR)
    parser.add_argument("--out", type=Path, default=ANNOTATIONS)
    args = parser.parse_args(argv)
    data = draft(args.mirror)
    args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"labelled {len(data['docs'])} documents -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
