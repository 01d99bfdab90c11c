"""The real-corpus builder, on a tiny synthetic git snapshot made here (never the mirror)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from reservoir.evals import build_real as br
from reservoir.evals import label_real
from reservoir.evals.splits import REAL, split_for_id

RECIPE = """---
layout: default
title: Send a text when a form arrives
---

### Problem

You want to send a text message to the office every time a web form is submitted.

### Solution

Use the HTTP In node and a Twilio node to send the text.

```json
[{"id": "1", "type": "http in"}]
```

### Discussion

The office saves about 3 hours a week that used to go to checking the inbox.
See [the docs](https://example.invalid/x) for the node's `options`.
"""
AGENT = '''module Agents
  class TwilioAgent < Agent
    description <<~MD
      The Twilio Agent receives events and sends them via text message to a dental practice.

      #{'## Include `twilio-ruby` in your Gemfile!' if dependencies_missing?}

      Set `receiver_cell` to the number that should receive the texts from the agent.

      Set `sender_cell` to the number that the texts are sent from by the agent.

          { "example": "code is dropped" }
    MD
  end
end
'''


def _git(gitdir: Path, *args: str, work: Path | None = None) -> str:
    cmd = ["git", "--git-dir", str(gitdir)] + (["--work-tree", str(work)] if work else []) + list(args)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": "/tmp"}
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout.strip()


def make_snapshot(mirror: Path, repo: str, files: dict[str, str], tmp: Path) -> str:
    """A bare git directory laid out as fetch lays it (owner+name/repo); returns the commit."""
    gitdir = br.git_dir(mirror, repo)
    gitdir.parent.mkdir(parents=True)
    _git(gitdir, "init", "--bare", "-q")
    work = tmp / ("work-" + repo.replace("/", "-"))
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text, encoding="utf-8")
    _git(gitdir, "add", "-A", work=work)
    _git(gitdir, "commit", "-q", "-m", "snapshot", work=work)
    return _git(gitdir, "rev-parse", "HEAD")


@pytest.fixture
def snapshots(tmp_path: Path) -> tuple[Path, dict[str, br.Source]]:
    mirror = tmp_path / "mirror"
    recipes = make_snapshot(mirror, "someone/cookbook", {"http/text-on-form.md": RECIPE}, tmp_path)
    agents = make_snapshot(mirror, "someone/agents",
                           {"app/models/agents/twilio_agent.rb": AGENT}, tmp_path)
    sources = {"nodered": br.Source("nodered", "someone/cookbook", recipes, "Apache-2.0", "recipe"),
               "huginn": br.Source("huginn", "someone/agents", agents, "MIT", "agent-description")}
    return mirror, sources


def _label(mirror: Path, source: br.Source, doc_id: str, path: str) -> dict:
    doc = br.read_document(mirror, source, doc_id, path)
    found = label_real.label(doc)
    assert found is not None
    return found


def test_markdown_to_text_keeps_prose_and_drops_code() -> None:
    text = br.markdown_to_text(RECIPE.split("---", 2)[2])
    assert "Problem" in text.splitlines() and "http in" not in text
    assert "See the docs for the node's options." in text  # link text kept, markup gone
    sents = br.sentences(text)
    assert all(s in text for s in sents)  # verbatim substrings
    assert "Use the HTTP In node and a Twilio node to send the text." in sents


def test_huginn_description_without_ruby() -> None:
    body = br.markdown_to_text(br.huginn_description(AGENT))
    assert body.startswith("The Twilio Agent receives events") and "#{" not in body
    assert "Gemfile" not in body and "code is dropped" not in body
    assert br.camel_words("TwilioReceiveTextAgent") == "Twilio Receive Text Agent"


def test_build_writes_records_with_quotes_split_and_provenance(
        snapshots: tuple[Path, dict[str, br.Source]], tmp_path: Path) -> None:
    mirror, sources = snapshots
    recipe = _label(mirror, sources["nodered"], "nodered:http/text-on-form", "http/text-on-form.md")
    agent = _label(mirror, sources["huginn"], "huginn:twilio-agent",
                   "app/models/agents/twilio_agent.rb")
    assert recipe["opportunities"][0]["numbers"][0]["field"] == "hours_saved_week"
    annotations = {"docs": {"nodered:http/text-on-form": recipe, "huginn:twilio-agent": agent}}
    stored = json.dumps(annotations)
    assert "You want" not in stored and "receives events" not in stored  # indices, never text

    out = tmp_path / "out" / "extract-real.jsonl"
    counts = br.build(mirror, out, annotations, sources)
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert sum(counts.values()) == 2 and set(counts) <= set(REAL)
    r = rows["nodered:http/text-on-form"]
    assert set(r) >= {"id", "source", "kind", "title", "url", "language", "industry", "duplicate_of",
                      "text", "expected", "split", "repo", "commit", "path", "licence"}
    assert r["title"] == "Send a text when a form arrives" and r["split"] == split_for_id(r["id"])
    assert r["commit"] == sources["nodered"].commit and r["licence"] == "Apache-2.0"
    opp = r["expected"]["opportunities"][0]
    assert opp["tools"] == ["Node-RED"] and opp["automation_type"] == "workflow_optimization"
    assert opp["evidence"][0].startswith("You want to send a text message")
    assert opp["numbers"] == [{"field": "hours_saved_week", "value": 3.0, "quote": (
        "The office saves about 3 hours a week that used to go to checking the inbox.")}]
    assert all(q in r["text"] for q in opp["evidence"])
    h = rows["huginn:twilio-agent"]
    assert h["expected"]["opportunities"][0]["tools"] == ["Twilio"] and h["title"] == "Twilio Agent"
    assert h["industry"] is None  # "dental practice" is not one of the guideline's phrases


def test_a_moved_sentence_is_refused(snapshots: tuple[Path, dict[str, br.Source]],
                                     tmp_path: Path) -> None:
    mirror, sources = snapshots
    label = _label(mirror, sources["nodered"], "nodered:x", "http/text-on-form.md")
    label["opportunities"][0]["evidence"][0]["sentence"] += 1  # now points elsewhere
    with pytest.raises(ValueError, match="fingerprint"):
        br.build(mirror, tmp_path / "o.jsonl", {"docs": {"nodered:x": label}}, sources)


def test_missing_snapshot_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = br.missing_snapshots(tmp_path)
    assert len(missing) == len(br.SOURCES) and "fetch github:huginn/huginn" in " ".join(missing)
    code = br.main(["--mirror", str(tmp_path), "--out", str(tmp_path / "x.jsonl")])
    assert code == 3 and "missing snapshots" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_committed_annotations_are_labels_not_text() -> None:
    data = br.load_annotations()
    docs = data["docs"]
    assert len(docs) >= 150 and len({d["source"] for d in docs.values()}) >= 3
    splits = Counter(d["split"] for d in docs.values())
    assert set(splits) == set(REAL) and abs(splits["real-dev"] - splits["real-test"]) < 0.15 * len(docs)
    for doc_id, doc in docs.items():
        assert doc["split"] == split_for_id(doc_id) and doc["source"] in br.SOURCES
        assert set(doc) <= {"source", "path", "split", "sentences", "industry", "opportunities"}
        for opp in doc["opportunities"]:
            assert set(opp) == {"automation_type", "tools", "evidence", "numbers"}
            assert all(set(e) == {"sentence", "fp"} for e in opp["evidence"])
    assert data["sources"] == {k: {"repo": s.repo, "commit": s.commit, "licence": s.licence}
                               for k, s in br.SOURCES.items()}
