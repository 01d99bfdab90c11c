"""Build the real-text extract corpus from pinned snapshots of public repositories.

Why a builder and not a data file: nothing fetched from those repositories may be committed.
The repository holds only this script, the labels (`datasets/real-annotations.json`: tools,
type, industry and numbers per document, with sentence *indices* and fingerprints, never the
text) and `PROVENANCE.md`. The text is read from local git snapshots (`--mirror`, one
`owner+name/repo` git directory per source, as the search tool's `fetch` lays them out) at the
pinned commit, turned into plain text the same way every time, split into sentences, and joined
with the labels into `extract-real.jsonl` (the record shape of `datasets/extract.jsonl` plus
`split`, `repo`, `commit`, `path`, `licence`).

    python -m reservoir.evals.build_real --mirror /work/.mirror --out .reservoir/evals/extract-real.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reservoir.evals.splits import REAL_DATASET_ENV, default_real_path, split_for_id

ANNOTATIONS = Path(__file__).resolve().parent / "datasets" / "real-annotations.json"
DEFAULT_MIRROR = Path("/work/.mirror")


@dataclass(frozen=True)
class Source:
    """One public repository, pinned: the commit every build reads, and its licence."""

    key: str
    repo: str
    commit: str
    licence: str
    kind: str  # the record's `kind`: what sort of write-up its documents are


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("ppc", "microsoft/PowerPlatformConnectors", "8bff86eac6d04e939faee0de15298e911b118c21",
           "MIT", "connector-readme"),
    Source("huginn", "huginn/huginn", "9faad4aeee0d97570693377e0a281567e775abb4", "MIT",
           "agent-description"),
    Source("nodered", "node-red/cookbook.nodered.org", "051ad613ffb4c09280d50f1cc801397b7685bdc0",
           "Apache-2.0", "recipe"),
)}


class MissingSnapshots(RuntimeError):
    """The mirror lacks a source's git directory or its pinned commit."""


# ----------------------------------------------------------------------------- git


def git_dir(mirror: Path, repo: str) -> Path:
    return Path(mirror) / repo.replace("/", "+") / "repo"


def _git(gitdir: Path, *args: str) -> str:
    done = subprocess.run(["git", "--git-dir", str(gitdir), *args], capture_output=True,
                          check=False)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)} in {gitdir}: {done.stderr.decode(errors='replace')}")
    # A stray byte in one file must not stop the build; the BOM some JSON files carry is dropped.
    return done.stdout.decode("utf-8-sig", errors="replace")


def show(gitdir: Path, commit: str, path: str) -> str:
    return _git(gitdir, "show", f"{commit}:{path}")


def list_files(gitdir: Path, commit: str, under: str = "") -> list[str]:
    args = ["ls-tree", "-r", "--name-only", commit] + ([under] if under else [])
    return [line for line in _git(gitdir, *args).splitlines() if line]


def has_commit(gitdir: Path, commit: str) -> bool:
    if not gitdir.is_dir():
        return False
    done = subprocess.run(["git", "--git-dir", str(gitdir), "cat-file", "-e", f"{commit}^{{commit}}"],
                          capture_output=True, check=False)
    return done.returncode == 0


def missing_snapshots(mirror: Path, sources: dict[str, Source] | None = None) -> list[str]:
    """What the mirror lacks, one sentence per source (empty when everything is there)."""
    out = []
    for source in (sources or SOURCES).values():
        gitdir = git_dir(mirror, source.repo)
        if not gitdir.is_dir():
            out.append(f"{source.repo}: no git directory {gitdir} (fetch github:{source.repo})")
        elif not has_commit(gitdir, source.commit):
            out.append(f"{source.repo}: the snapshot in {gitdir} lacks commit {source.commit}")
    return out


# ----------------------------------------------------------------------------- plain text

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_INTERPOLATION = re.compile(r"#\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}")
_LIQUID = re.compile(r"\{%.*?%\}|\{:[^}]*\}")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


def _clean_inline(line: str) -> str:
    line = re.sub(r"^\s*(?:>\s*)+", "", line)  # blockquote markers
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _TAG.sub("", line)
    line = _LIQUID.sub("", line)
    line = line.replace("**", "").replace("`", "").replace("&nbsp;", " ")
    line = line.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    if line.lstrip().startswith("|"):  # a table row; a pipe inside prose stays
        line = " ".join(cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip())
    return " ".join(line.split())


def markdown_to_text(markdown: str) -> str:
    """Markdown -> plain paragraphs, one per line: no code, no markup, link texts kept.

    Headings and list items stay lines of their own; a wrapped paragraph becomes one line, so
    that a sentence never breaks in the middle. Code (fenced or indented) is dropped: it is
    configuration, not prose.
    """
    lines: list[str] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            lines.append(" ".join(paragraph))
            paragraph.clear()

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(raw):
            in_fence = not in_fence
            flush()
            continue
        if in_fence or raw.startswith(("    ", "\t")) and not _LIST.match(raw) and not paragraph:
            continue
        if not raw.strip() or _TABLE_RULE.match(raw):
            flush()
            continue
        heading, item = bool(_HEADING.match(raw)), bool(_LIST.match(raw))
        text = _clean_inline(_LIST.sub("", _HEADING.sub("", raw)))
        if not text:
            continue
        if heading or item:
            flush()
            lines.append(text)
        else:
            paragraph.append(text)
    flush()
    return "\n".join(lines)


# A sentence ends at . ! ? before a capital, digit or opening mark; not after an abbreviation.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\bU\.S\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)"
                           r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bNo\.)\s+(?=[A-Z0-9\"“(\[])")


def sentences(text: str) -> list[str]:
    """The text's sentences, each a verbatim substring: lines, then sentence ends inside them."""
    out = []
    for line in text.split("\n"):
        out += [part for part in _SENTENCE_END.split(line.strip()) if part.strip()]
    return out


def fingerprint(sentence: str) -> str:
    """A short hash that tells whether a labelled sentence index still points at its sentence."""
    return hashlib.sha256(" ".join(sentence.split()).encode("utf-8")).hexdigest()[:10]


# ----------------------------------------------------------------------------- per source


@dataclass
class Document:
    id: str
    source: str
    path: str
    title: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def _front_matter(markdown: str) -> tuple[dict[str, str], str]:
    """Jekyll front matter's top-level `key: value` pairs, and the body after it."""
    if not markdown.startswith("---"):
        return {}, markdown
    end = markdown.find("\n---", 3)
    if end < 0:
        return {}, markdown
    meta = {}
    for line in markdown[3:end].splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "-")) and value.strip():
            meta[key.strip()] = value.strip().strip("'\"")
    return meta, markdown[end + 4:]


def swagger_metadata(raw: str) -> tuple[dict[str, Any], str]:
    """(info, categories) of a connector's swagger; a few files are not strict JSON."""
    try:
        swagger = json.loads(raw, strict=False)
    except json.JSONDecodeError:
        title = re.search(r'"title"\s*:\s*"([^"]+)"', raw)
        cats = re.search(r'"Categories"\s*,\s*"propertyValue"\s*:\s*"([^"]*)"', raw)
        return {"title": title.group(1)} if title else {}, cats.group(1) if cats else ""
    categories = next((m.get("propertyValue", "") for m in swagger.get("x-ms-connector-metadata") or []
                       if isinstance(m, dict) and m.get("propertyName") == "Categories"), "")
    return swagger.get("info") or {}, categories


def read_ppc(gitdir: Path, commit: str, path: str) -> Document:
    """A Power Platform connector: its readme, titled by the swagger's `info.title`."""
    folder = path.rsplit("/", 1)[0]
    info, categories = swagger_metadata(show(gitdir, commit, f"{folder}/apiDefinition.swagger.json"))
    text = markdown_to_text(show(gitdir, commit, path))
    title = str(info.get("title") or folder.rsplit("/", 1)[-1])
    return Document(id="", source="ppc", path=path, title=title, text=text,
                    meta={"product": title, "categories": [c.strip() for c in categories.split(";")
                                                           if c.strip()]})


_HEREDOC = re.compile(r"^\s*description\s*(?:do\s*)?<<[~-]MD\s*\n(.*?)^\s*MD\s*$", re.M | re.S)
_CLASS = re.compile(r"^\s*class\s+(\w+)\s*<", re.M)


def huginn_description(ruby: str) -> str:
    """The agent's `description <<~MD … MD` heredoc, with Ruby interpolations removed."""
    match = _HEREDOC.search(ruby)
    if not match:
        return ""
    body = _INTERPOLATION.sub("", match.group(1))
    lines = body.split("\n")
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    return "\n".join(x[indent:] for x in lines)


def camel_words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)


def read_huginn(gitdir: Path, commit: str, path: str) -> Document:
    """A Huginn agent: its description, titled by its class name ("TwilioAgent" -> "Twilio Agent")."""
    ruby = show(gitdir, commit, path)
    cls = _CLASS.search(ruby)
    title = camel_words(cls.group(1)) if cls else Path(path).stem.replace("_", " ").title()
    return Document(id="", source="huginn", path=path, title=title,
                    text=markdown_to_text(huginn_description(ruby)), meta={"class": title})


def read_nodered(gitdir: Path, commit: str, path: str) -> Document:
    """A Node-RED cookbook recipe: front-matter title, Problem/Solution/Discussion prose."""
    meta, body = _front_matter(show(gitdir, commit, path))
    return Document(id="", source="nodered", path=path, title=meta.get("title") or Path(path).stem,
                    text=markdown_to_text(body), meta={"section": path.split("/", 1)[0]})


READERS = {"ppc": read_ppc, "huginn": read_huginn, "nodered": read_nodered}


def read_document(mirror: Path, source: Source, doc_id: str, path: str) -> Document:
    doc = READERS[source.key](git_dir(mirror, source.repo), source.commit, path)
    doc.id = doc_id
    return doc


# ----------------------------------------------------------------------------- records


def _sentence(sents: list[str], index: int, print_: str | None, where: str) -> str:
    if not 0 <= index < len(sents):
        raise ValueError(f"{where}: sentence {index} out of range ({len(sents)} sentences)")
    if print_ and fingerprint(sents[index]) != print_:
        raise ValueError(f"{where}: sentence {index} changed (fingerprint mismatch)")
    return sents[index]


def expected_of(label: dict[str, Any], sents: list[str], where: str) -> dict[str, Any]:
    """The label's opportunities with sentence indices resolved into verbatim quotes."""
    opportunities = []
    for n, opp in enumerate(label.get("opportunities", [])):
        at = f"{where} opportunity {n}"
        opportunities.append({
            "automation_type": opp["automation_type"], "tools": list(opp.get("tools", [])),
            "evidence": [_sentence(sents, e["sentence"], e.get("fp"), at) for e in opp["evidence"]],
            "numbers": [{"field": x["field"], "value": x["value"],
                         "quote": _sentence(sents, x["sentence"], x.get("fp"), at)}
                        for x in opp.get("numbers", [])],
        })
    return {"opportunities": opportunities}


def record(doc: Document, source: Source, label: dict[str, Any]) -> dict[str, Any]:
    """One JSONL line: the extract record shape plus split and provenance."""
    sents = sentences(doc.text)
    industry = label.get("industry")
    if industry:
        _sentence(sents, industry["sentence"], industry.get("fp"), f"{doc.id} industry")
    return {
        "id": doc.id, "source": "real", "kind": source.kind, "title": doc.title,
        "url": f"https://github.com/{source.repo}/blob/{source.commit}/{quote(doc.path)}",
        "language": "en", "industry": industry["name"] if industry else None,
        "duplicate_of": None, "text": doc.text, "expected": expected_of(label, sents, doc.id),
        "split": label.get("split") or split_for_id(doc.id), "repo": source.repo,
        "commit": source.commit, "path": doc.path, "licence": source.licence,
    }


def load_annotations(path: Path = ANNOTATIONS) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data.get("docs"), dict):
        raise ValueError(f"{path}: annotations need a 'docs' object")
    return data


def build(mirror: Path, out: Path, annotations: dict[str, Any] | None = None,
          sources: dict[str, Source] | None = None) -> Counter[str]:
    """Write the corpus; returns the number of documents per split. Raises MissingSnapshots."""
    sources = sources or SOURCES
    data = annotations if annotations is not None else load_annotations()
    used = {label["source"] for label in data["docs"].values()}
    missing = missing_snapshots(mirror, {k: v for k, v in sources.items() if k in used})
    if missing:
        raise MissingSnapshots("; ".join(missing))
    rows = []
    for doc_id, label in sorted(data["docs"].items()):
        source = sources[label["source"]]
        doc = read_document(mirror, source, doc_id, label["path"])
        rows.append(record(doc, source, label))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(out)
    return Counter(r["split"] for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR,
                        help="folder of owner+name/repo git directories (default /work/.mirror)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"JSONL to write (default ${REAL_DATASET_ENV} or {default_real_path()})")
    parser.add_argument("--annotations", type=Path, default=ANNOTATIONS)
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    out = args.out or Path(os.environ.get(REAL_DATASET_ENV) or default_real_path())
    try:
        counts = build(args.mirror, out, load_annotations(args.annotations))
    except MissingSnapshots as exc:
        print(f"real corpus not built: missing snapshots: {exc}", file=sys.stderr)
        return 3
    if not args.quiet:
        sizes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"wrote {sum(counts.values())} documents to {out} ({sizes})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
