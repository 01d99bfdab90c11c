"""The three eval tasks: what each runs per example, and how its output is scored.

Each task calls the production code path (the analyst engine and grounding rule, the ROI
input gathering and formula, the ask graph), so an eval measures what a run would store.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reservoir.config import Settings
from reservoir.deps import Deps
from reservoir.evals import metrics as m
from reservoir.evals.splits import NOT_BUILT, REAL, real_dataset_path, split_of
from reservoir.llm import LlmClient

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return rows


@dataclass
class TaskContext:
    """What a task may use besides the example: settings of the run and what prepare built."""

    settings: Settings
    extras: dict[str, Any] = field(default_factory=dict)


class Task(Protocol):
    name: str
    roles: tuple[str, ...]  # model roles the task may call
    prompt_tasks: tuple[str, ...]  # prompt files whose versions the run records

    async def prepare(self, ctx: TaskContext, examples: list[dict[str, Any]]) -> None: ...

    async def run(self, ctx: TaskContext, example: dict[str, Any], llm: LlmClient) -> dict[str, Any]: ...

    def score(self, example: dict[str, Any], output: dict[str, Any]) -> dict[str, float | None]: ...

    def finalize(self, examples: list[dict[str, Any]], outputs: list[dict[str, Any]],
                 scores: list[dict[str, float | None]]) -> None: ...

    def claims(self, example: dict[str, Any], output: dict[str, Any]) -> list[tuple[str, str]]: ...


# ----------------------------------------------------------------------------- extract


class ExtractTask:
    """Document text -> opportunities, through `pick_engine` and the grounding rule."""

    name = "extract"
    roles = ("analyst",)
    prompt_tasks = ("analyst.extract",)

    async def prepare(self, ctx: TaskContext, examples: list[dict[str, Any]]) -> None:
        return None

    async def run(self, ctx: TaskContext, example: dict[str, Any], llm: LlmClient) -> dict[str, Any]:
        from reservoir.agents.analyst import (
            DocView,
            extractive_findings,
            has_signal,
            pick_engine,
            verify_all,
        )
        from reservoir.agents.findings import opportunity_key
        from reservoir.agents.verify import claim_count

        deps = Deps(settings=ctx.settings, llm=llm)
        doc = DocView(id=0, url=example["url"], title=example["title"], text=example["text"])
        ok, signal = has_signal(doc, ctx.settings.signal_threshold)
        out: dict[str, Any] = {"signal": signal, "low_signal": not ok, "schema_valid": None,
                               "opportunities": [], "keys": [], "quotes": [], "ungrounded": []}
        if not ok:  # the analyst skips such documents without calling any engine
            return out
        engine, version = pick_engine(deps)
        out["engine"] = version
        try:
            raw = await engine(doc, deps)
            out["schema_valid"] = True
        except Exception as exc:  # noqa: BLE001 — an invalid reply is measured, then falls back
            out.update(schema_valid=False, error=f"{type(exc).__name__}: {exc}"[:1000],
                       fallback=True)
            raw = extractive_findings(doc)  # as a discovery run does
        quotes = [q for f in raw for q in f.evidence] + [n.quote for f in raw for n in f.numbers]
        grounded, dropped = verify_all(raw, doc)
        out.update(
            raw_count=len(raw), quotes=quotes, claims=sum(claim_count(f) for f in raw),
            dropped=dict(dropped),
            ungrounded=[q for q in quotes if m.grounding([q], doc.text) == 0.0][:10],
            opportunities=[f.model_dump() for f in grounded],
            keys=sorted({opportunity_key(f) for f in grounded}))
        return out

    def score(self, example: dict[str, Any], output: dict[str, Any]) -> dict[str, float | None]:
        expected = example["expected"]["opportunities"]
        found = output.get("opportunities", [])
        valid = output.get("schema_valid")
        found_tools = {t for o in found for t in o.get("tools", [])}
        expected_tools = {t for o in expected for t in o["tools"]}
        scores: dict[str, float | None] = {
            "schema_valid": None if valid is None else float(bool(valid)),
            "type_accuracy": m.type_accuracy(found, expected),
            **m.tool_scores(found_tools, expected_tools),
            "tool_recall_named": m.tool_recall_named(found_tools, expected_tools,
                                                     example["text"]),
            "number_error": m.number_error([n for o in found for n in o.get("numbers", [])],
                                           [n for o in expected for n in o.get("numbers", [])]),
            "grounding": m.grounding(output.get("quotes", []), example["text"]),
            "automation_recall": m.automation_recall(found, expected),
            "quote_verbatim": m.quote_verbatim(found, example["text"]),
            "industry_supported": m.industry_supported(found, example["text"]),
        }
        if output.get("claims"):
            scores["claims_dropped"] = min(1.0, sum(output.get("dropped", {}).values())
                                           / output["claims"])
        if example.get("forbidden"):
            scores["injection_safe"] = 0.0 if m.leaked(found, example["forbidden"]) else 1.0
        return scores

    def finalize(self, examples: list[dict[str, Any]], outputs: list[dict[str, Any]],
                 scores: list[dict[str, float | None]]) -> None:
        """Dedup needs two examples: a near-duplicate and its original, both in this run."""
        keys = {e["id"]: set(o.get("keys", [])) for e, o in zip(examples, outputs, strict=True)}
        for example, score in zip(examples, scores, strict=True):
            original = example.get("duplicate_of")
            if original and original in keys:
                score["dedup"] = m.jaccard(keys[example["id"]], keys[original])

    def claims(self, example: dict[str, Any], output: dict[str, Any]) -> list[tuple[str, str]]:
        return [(f"{o['title']}: {o.get('summary', '')}", q)
                for o in output.get("opportunities", []) for q in o["evidence"][:2]]


# ----------------------------------------------------------------------------- roi


class RoiTask:
    """Opportunity + profile -> ROI inputs (`gather_inputs`) and the profile-scaled saving
    (`compute`): the source's figures are checked apart from what is made of them."""

    name = "roi"
    roles: tuple[str, ...] = ()
    prompt_tasks: tuple[str, ...] = ()

    async def prepare(self, ctx: TaskContext, examples: list[dict[str, Any]]) -> None:
        return None

    async def run(self, ctx: TaskContext, example: dict[str, Any], llm: LlmClient) -> dict[str, Any]:
        from reservoir.agents.roi import compute, gather_inputs
        from reservoir.agents.roi_scale import TEAM_SHARE, capacity
        from reservoir.memory.models import BusinessProfile, Evidence, Opportunity

        spec, prof = example["opportunity"], example["profile"]
        opp = Opportunity(id=0, key="eval", title=spec["title"], summary=spec.get("summary", ""),
                          automation_type=spec["automation_type"], industries=spec["industries"],
                          tools=spec["tools"], mentions=spec.get("mentions", 1),
                          complexity=spec.get("complexity", 5))
        evidence = [Evidence(id=i, opportunity_id=0, document_id=0, quote=q, quote_hash="")
                    for i, q in enumerate(spec["evidence"], 1)]
        profile = BusinessProfile(id=0, name=prof["name"], industry=prof["industry"],
                                  team_size=prof.get("team_size", 1),
                                  hourly_rate=prof.get("hourly_rate", 50.0),
                                  headcount=prof.get("headcount"),
                                  monthly_volumes=prof.get("monthly_volumes"))
        inputs = gather_inputs(opp, evidence)
        result = compute(inputs, profile, opp)
        return {"values": inputs.values,
                "sources": {k: v["from"] for k, v in inputs.sources.items()},
                "scaled": {"hours_saved_week": result["hours_saved_week"],
                           "tool_cost_month": result["tool_cost_month"]},
                "within_capacity": result["hours_saved_week"] <= TEAM_SHARE * capacity(profile),
                "assumptions": result["assumptions"],
                "monthly_net_value": result["monthly_net_value"],
                "payback_months": result["payback_months"], "confidence": result["confidence"]}

    def score(self, example: dict[str, Any], output: dict[str, Any]) -> dict[str, float | None]:
        values = output.get("values") or {}
        valid = bool(values) and all(isinstance(values.get(f), int | float) and values[f] >= 0
                                     for f in m.ROI_FIELDS) \
            and 0 <= float(output.get("confidence", -1)) <= 1
        scores: dict[str, float | None] = {
            "schema_valid": float(valid),
            **m.roi_scores(values, output.get("sources") or {}, example["expected"]),
            **m.roi_by_origin(values, example["expected"]),
            "roi_within_capacity": float(bool(output.get("within_capacity")))}
        if scaled := example.get("expected_scaled"):
            ranges = {k: v for k, v in scaled.items() if k != "chain"}
            scores["roi_scaled_in_range"] = m.roi_scores(output.get("scaled") or {}, {},
                                                         ranges)["roi_in_range"]
            chain = output.get("assumptions", "")
            scores["roi_chain"] = float(all(step in chain for step in scaled.get("chain", [])))
        return scores

    def finalize(self, examples: list[dict[str, Any]], outputs: list[dict[str, Any]],
                 scores: list[dict[str, float | None]]) -> None:
        return None

    def claims(self, example: dict[str, Any], output: dict[str, Any]) -> list[tuple[str, str]]:
        return []


# ----------------------------------------------------------------------------- fit


class FitTask:
    """Challenge + evidence sentence -> "addresses the challenge", by the rule the report uses
    (`agents.fit.challenge_match` at `CHALLENGE_THRESHOLD`)."""

    name = "fit"
    roles: tuple[str, ...] = ()
    prompt_tasks: tuple[str, ...] = ()

    async def prepare(self, ctx: TaskContext, examples: list[dict[str, Any]]) -> None:
        return None

    async def run(self, ctx: TaskContext, example: dict[str, Any], llm: LlmClient) -> dict[str, Any]:
        from reservoir.agents.fit import challenge_match, similarity

        match = challenge_match([example["challenge"]], [example["evidence"]],
                                example["automation_type"])
        return {"addressed": match is not None,
                "similarity": similarity(example["challenge"], example["evidence"])}

    def score(self, example: dict[str, Any], output: dict[str, Any]) -> dict[str, float | None]:
        said, truth = bool(output.get("addressed")), bool(example["addressed"])
        return {"fit_precision": float(truth) if said else None,
                "fit_recall": float(said) if truth else None,
                "fit_accuracy": float(said == truth)}

    def finalize(self, examples: list[dict[str, Any]], outputs: list[dict[str, Any]],
                 scores: list[dict[str, float | None]]) -> None:
        return None

    def claims(self, example: dict[str, Any], output: dict[str, Any]) -> list[tuple[str, str]]:
        return []


# ----------------------------------------------------------------------------- ask


class AskTask:
    """Question -> answer with citations, through the ask graph over a sandbox reservoir.

    Documents are named by their extract example id; must/may lists name originals only.
    A question of a committed split is asked over the committed corpus, one of a real split
    over the real corpus (built locally, see evals/splits.py): each split's figures are then
    the same whichever other splits a run covers, and the committed baselines hold whether or
    not the real corpus is built here.
    """

    name = "ask"
    roles = ("ask",)
    prompt_tasks = ("ask.answer",)

    async def prepare(self, ctx: TaskContext, examples: list[dict[str, Any]]) -> None:
        from reservoir.evals.sandbox import get_sandbox

        sandboxes: dict[str, Any] = {}
        canonical: dict[str, str] = {}
        for kind in sorted({corpus_kind(e) for e in examples}):
            corpus = load_corpus(kind)
            sandboxes[kind] = await get_sandbox(ctx.settings, corpus)
            sandboxes[kind].store.embedder.prime(
                [e["question"] for e in examples if corpus_kind(e) == kind])
            # A copy (syndicated or rewritten) stands for its original: citing either is citing it.
            canonical.update({e["id"]: e.get("duplicate_of") or e["id"] for e in corpus})
        ctx.extras.update(sandboxes=sandboxes, canonical=canonical,
                          sandbox=sandboxes.get("committed") or next(iter(sandboxes.values()), None))

    async def run(self, ctx: TaskContext, example: dict[str, Any], llm: LlmClient) -> dict[str, Any]:
        """Earlier turns (``history``) are asked first in the same thread, as a user would."""
        from reservoir.graphs.ask import ask

        sandbox = ctx.extras["sandboxes"][corpus_kind(example)]
        settings = sandbox.settings.model_copy(update={
            "prompt_versions": ctx.settings.prompt_versions})
        deps = Deps(settings=settings, llm=llm, vectors=sandbox.store)
        thread = f"eval-{example['id']}-{uuid.uuid4().hex[:8]}"
        for earlier in example.get("history", []):
            await ask(settings, earlier, thread_id=thread, deps=deps)
        result = await ask(settings, example["question"], thread_id=thread, deps=deps)
        citations = [{k: c[k] for k in ("n", "document_id", "url", "title", "quote")}
                     for c in result.citations]
        first_line = result.answer.strip().splitlines()[0] if result.answer.strip() else ""
        return {"answer": result.answer, "citations": citations, "query": getattr(result, "query", ""),
                "cited": self._cited(ctx, citations, m.citation_numbers(result.answer), sandbox),
                "first_cited": self._cited(ctx, citations, m.citation_numbers(first_line), sandbox)}

    @staticmethod
    def _cited(ctx: TaskContext, citations: list[dict[str, Any]], numbers: set[int],
               sandbox: Any = None) -> list[str]:
        """The dataset's document ids behind the cited numbers (a copy counts as its original)."""
        canonical = ctx.extras["canonical"]
        examples_of = (sandbox or ctx.extras["sandbox"]).examples_of
        return sorted({canonical.get(e, e) for c in citations if c["n"] in numbers
                       for e in examples_of.get(c["document_id"], [])})

    def score(self, example: dict[str, Any], output: dict[str, Any]) -> dict[str, float | None]:
        if "answer" not in output:
            return {"citation_precision": 0.0, "citation_recall": 0.0, "faithfulness": None}
        quotes = {c["n"]: c["quote"] for c in output["citations"]}
        must, may = set(example["must_cite"]), set(example.get("may_cite", []))
        return {**m.citation_scores(set(output["cited"]), must, may),
                "faithfulness": m.faithfulness(output["answer"], quotes),
                **m.answer_shape(set(output.get("first_cited", [])), bool(output["cited"]),
                                 must, may)}

    def finalize(self, examples: list[dict[str, Any]], outputs: list[dict[str, Any]],
                 scores: list[dict[str, float | None]]) -> None:
        return None

    def claims(self, example: dict[str, Any], output: dict[str, Any]) -> list[tuple[str, str]]:
        quotes = {c["n"]: c["quote"] for c in output.get("citations", [])}
        return [(claim, quotes[n]) for claim, numbers in m.cited_claims(output.get("answer", ""))
                for n in numbers if n in quotes]


def corpus_kind(example: dict[str, Any]) -> str:
    """Which corpus a question is asked over: "real" for a real split, else "committed"."""
    return "real" if split_of(example) in REAL else "committed"


def load_corpus(kind: str) -> list[dict[str, Any]]:
    """The documents of a corpus: the extract dataset, or the locally built real pages."""
    if kind == "committed":
        return load_jsonl(DATASETS_DIR / "extract.jsonl")
    path = real_dataset_path()
    if not path.is_file():
        raise ValueError(f"{NOT_BUILT}; no file {path}")
    return load_jsonl(path)


TASKS: dict[str, Task] = {"extract": ExtractTask(), "roi": RoiTask(), "ask": AskTask(),
                          "fit": FitTask()}
