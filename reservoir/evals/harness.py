"""Run a task over a dataset with given prompt versions, provider and model; store the results.

Examples run concurrently (bounded), each with its own `LlmClient` so tokens and cost are
known per example; all clients share the models and the persisted response cache, so a
re-run of an unchanged configuration makes no model call at all.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from reservoir.config import Settings
from reservoir.evals import store
from reservoir.evals.metrics import aggregate, example_score
from reservoir.evals.splits import (
    COMMITTED,
    NOT_BUILT,
    REAL,
    SPLITS,
    real_built,
    real_dataset_path,
    split_of,
)
from reservoir.evals.tasks import DATASETS_DIR, TASKS, Task, TaskContext, load_jsonl
from reservoir.llm import LlmClient, get_chat_model
from reservoir.memory.hashing import short_hash
from reservoir.prompts import active_prompt

Progress = Callable[[int, int], None]

JUDGE_REF = "eval.judge=inline-v1"
JUDGE_SYSTEM = (
    "You check whether quoted evidence supports a claim. For each numbered pair, answer on its "
    "own line with the number and yes or no, like '1: yes'. Say yes only when the quote itself "
    "states what the claim says; a related topic is not enough. No other text.")


@dataclass
class EvalConfig:
    """One configuration to measure; None fields fall back to the settings."""

    task: str
    provider: str | None = None
    model: str | None = None
    prompts: dict[str, str] = field(default_factory=dict)
    concurrency: int = 4
    limit: int | None = None
    judge: bool = False
    label: str | None = None
    dataset: str | None = None
    cache: bool | None = None
    # None = every split there is (the real ones when built); see evals/splits.py
    splits: tuple[str, ...] | None = None


def parse_prompts(values: list[str] | None) -> dict[str, str]:
    """`analyst.extract=v2` pairs -> {"analyst.extract": "v2"}."""
    out: dict[str, str] = {}
    for value in values or []:
        task, sep, version = value.partition("=")
        if not sep or not re.fullmatch(r"\w+\.\w+", task.strip()) or not version.strip():
            raise ValueError(f"--prompt takes TASK=VERSION, like analyst.extract=v2 (got {value!r})")
        out[task.strip()] = version.strip()
    return out


def dataset_path(config: EvalConfig) -> Path:
    return Path(config.dataset) if config.dataset else DATASETS_DIR / f"{config.task}.jsonl"


def _select(examples: list[dict[str, Any]], splits: tuple[str, ...]) -> list[dict[str, Any]]:
    return [e for e in examples if split_of(e) in splits]


def _extract_examples(config: EvalConfig) -> tuple[list[dict[str, Any]], str]:
    """The extract examples of the wanted splits and their content hash.

    The committed file alone, in full, hashes as it always did, so that baselines measured
    before the splits existed still match.
    """
    path = dataset_path(config)
    wanted = config.splits or SPLITS
    text, examples = "", []
    if any(s in COMMITTED for s in wanted):
        text, examples = path.read_text(encoding="utf-8"), load_jsonl(path)
    real_path = real_dataset_path()
    if any(s in REAL for s in wanted):
        if real_path.is_file():
            text += real_path.read_text(encoding="utf-8")
            examples += load_jsonl(real_path)
        elif config.splits:  # asked for by name: say so rather than measure nothing
            raise ValueError(f"{NOT_BUILT}; no file {real_path}")
    chosen = _select(examples, wanted)
    if len(chosen) != len(examples):
        text += "\n#splits=" + ",".join(wanted)
    return chosen, short_hash(text)


def _task_examples(path: Path, config: EvalConfig) -> tuple[list[dict[str, Any]], str]:
    """A committed file whose rows may belong to a real split (ask questions over real pages).

    Real-split rows need the locally built corpus: without it they are left out (a run says
    "not built"), or refused when asked for by name. The hash covers the kept lines only, so
    questions added to one split leave the others' baselines valid; the whole file, kept in
    full, hashes as it always did.
    """
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = load_jsonl(path)
    if config.splits and any(s in REAL for s in config.splits) and not real_built():
        raise ValueError(f"{NOT_BUILT}; no file {real_dataset_path()}")
    keep = [i for i, row in enumerate(rows)
            if (not config.splits or split_of(row) in config.splits)
            and (split_of(row) not in REAL or real_built())]
    if len(keep) == len(rows):
        return rows, short_hash(path.read_text(encoding="utf-8"))
    return [rows[i] for i in keep], short_hash("".join(lines[i] + "\n" for i in keep))


def has_real_rows(config: EvalConfig) -> bool:
    """Whether the task's dataset names real-split rows (the run then says if they were built)."""
    if config.task == "extract":
        return not config.dataset
    path = dataset_path(config)
    return path.is_file() and any(split_of(r) in REAL for r in load_jsonl(path))


def load_dataset(config: EvalConfig) -> tuple[str, list[dict[str, Any]], str]:
    """(name, examples, content hash) — the hash tells whether two runs saw the same data."""
    path = dataset_path(config)
    if not path.is_file():
        raise ValueError(f"no dataset {path}")
    if config.task == "extract" and not config.dataset:
        examples, digest = _extract_examples(config)
    else:
        examples, digest = _task_examples(path, config)
    if config.limit:
        examples = examples[:config.limit]
    return path.stem if not config.dataset else str(path), examples, digest


def split_metrics(examples: list[dict[str, Any]], metrics: list[dict[str, Any]]) -> dict[str, float]:
    """Every metric again per split, named `split/metric` ("real-dev/tool_f1")."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for example, values in zip(examples, metrics, strict=True):
        split = split_of(example)
        if split:
            groups.setdefault(split, []).append(values)
    return {f"{split}/{name}": value for split in SPLITS if split in groups
            for name, value in aggregate(groups[split]).items()}


def split_sizes(examples: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(s for s in (split_of(e) for e in examples) if s))


def eval_settings(settings: Settings, config: EvalConfig) -> Settings:
    """The settings the examples run with: provider, model and prompt versions replaced."""
    update: dict[str, Any] = {"prompt_versions": {**settings.prompt_versions, **config.prompts}}
    if config.provider:
        update["llm_provider"] = config.provider
    if config.model:
        update["llm_model"] = config.model
        update["agent_models"] = {}
    if config.cache is not None:
        update["llm_cache"] = config.cache
    out = settings.model_copy(update=update)
    if out.llm_provider == "local" and not out.llm_local_path:
        raise ValueError("provider local needs RESERVOIR_LLM_LOCAL_PATH (a GGUF file)")
    return out


def _models(settings: Settings, task: Task, judge: bool,
            given: dict[str, BaseChatModel | None] | None) -> dict[str, BaseChatModel | None]:
    roles = list(task.roles) + (["eval"] if judge else [])
    given = given or {}
    return {role: given[role] if role in given else get_chat_model(settings, role) for role in roles}


def _model_label(settings: Settings, task: Task, models: dict[str, BaseChatModel | None]) -> str:
    if not task.roles:
        return "n/a"
    model = models.get(task.roles[0])
    if model is None:
        return "none"
    return str(getattr(model, "model_name", None) or getattr(model, "model", None)
               or settings.model_for(task.roles[0]))


async def judge_claims(llm: LlmClient, pairs: list[tuple[str, str]]) -> float | None:
    """Optional LLM judge: the share of (claim, quote) pairs it calls supported."""
    if not pairs or not llm.has_model("eval"):
        return None
    lines = [f"{i}. Claim: {claim}\n   Quote: {quote}" for i, (claim, quote) in enumerate(pairs, 1)]
    reply = await llm.complete("eval", JUDGE_REF, [SystemMessage(content=JUDGE_SYSTEM),
                                                   HumanMessage(content="\n".join(lines))])
    verdicts = dict(re.findall(r"(?im)^\s*(\d+)\s*[:.)-]\s*(yes|no)\b", reply))
    if not verdicts:
        return None
    return sum(1 for v in verdicts.values() if v.lower() == "yes") / len(verdicts)


async def _run_one(task: Task, ctx: TaskContext, example: dict[str, Any], config: EvalConfig,
                   models: dict[str, BaseChatModel | None], cache: Any,
                   limit: asyncio.Semaphore) -> tuple[dict[str, Any], dict[str, Any], store.EvalExample]:
    async with limit:
        llm = LlmClient(ctx.settings, models=models, cache=cache)
        started = time.perf_counter()
        error = None
        try:
            output = await task.run(ctx, example, llm)
        except Exception as exc:  # noqa: BLE001 — one failing example never stops a run
            error = f"{type(exc).__name__}: {exc}"[:2000]
            output = {"error": error}
        scores = task.score(example, output)
        if config.judge and error is None:
            scores["judge_support"] = await judge_claims(llm, task.claims(example, output))
        usage = llm.usage
        row = store.EvalExample(
            example_id=example["id"], output=output, error=error or output.get("error"),
            calls=usage.calls, cached=usage.cached, tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out, cost_usd=round(usage.cost_usd, 6),
            duration_s=round(time.perf_counter() - started, 4))
        return output, scores, row


def _recorded_config(config: EvalConfig, examples: list[dict[str, Any]]) -> dict[str, Any]:
    """What the run stores of its configuration, with the splits it covered and their sizes."""
    out = {k: v for k, v in asdict(config).items() if k != "prompts"}
    sizes = split_sizes(examples)
    if sizes:
        out["split_sizes"] = sizes
    if has_real_rows(config):
        out["real_splits"] = (f"built: {real_dataset_path()}" if real_dataset_path().is_file()
                              else NOT_BUILT)
    return out


async def run_eval(settings: Settings, config: EvalConfig, *,
                   models: dict[str, BaseChatModel | None] | None = None,
                   progress: Progress | None = None) -> store.EvalRun:
    """Run, score and store one configuration; returns the finished EvalRun row.

    `models` replaces the provider's model for some roles (tests pass a scripted model).
    """
    if config.task not in TASKS:
        raise ValueError(f"unknown task {config.task!r}; known: {', '.join(TASKS)}")
    task = TASKS[config.task]
    name, examples, digest = load_dataset(config)
    run_settings = eval_settings(settings, config)
    # Versions are resolved (and checked) always, but recorded only when a model reads them.
    prompts = {t: active_prompt(t, run_settings.prompt_versions).version for t in task.prompt_tasks}
    chat_models = _models(run_settings, task, config.judge, models)
    if not any(chat_models.get(role) is not None for role in task.roles):
        prompts = {}
    run_id = store.create_run(
        settings, task=task.name, dataset=name, dataset_hash=digest,
        provider=run_settings.llm_provider, model=_model_label(run_settings, task, chat_models),
        prompts=prompts, config=_recorded_config(config, examples), label=config.label)
    from reservoir.memory.llm_cache import SqlLlmCache

    cache = SqlLlmCache(settings) if run_settings.llm_cache else None
    ctx = TaskContext(settings=run_settings)
    started = time.perf_counter()
    jobs: list[asyncio.Future[Any]] = []
    try:
        await task.prepare(ctx, examples)
        # One llama.cpp model must not be entered by two threads at once.
        width = 1 if run_settings.llm_provider == "local" else max(1, config.concurrency)
        limit = asyncio.Semaphore(width)
        jobs = [asyncio.ensure_future(_run_one(task, ctx, e, config, chat_models, cache, limit))
                for e in examples]
        done = 0
        for job in asyncio.as_completed(jobs):
            await job
            done += 1
            if progress:
                progress(done, len(jobs))
        results = [job.result() for job in jobs]
    except BaseException as exc:
        for job in jobs:
            job.cancel()
        store.fail_run(settings, run_id, f"{type(exc).__name__}: {exc}")
        raise
    outputs = [r[0] for r in results]
    scores = [r[1] for r in results]
    rows = [r[2] for r in results]
    task.finalize(examples, outputs, scores)
    for row, score in zip(rows, scores, strict=True):
        row.metrics = {**score, "score": example_score(task.name, score)}
    totals = aggregate([row.metrics for row in rows])
    totals.update(split_metrics(examples, [row.metrics for row in rows]))
    store.finish_run(
        settings, run_id, rows, status="succeeded", metrics=totals, examples=len(rows),
        errors=sum(1 for r in rows if r.error), calls=sum(r.calls for r in rows),
        cached=sum(r.cached for r in rows), tokens_in=sum(r.tokens_in for r in rows),
        tokens_out=sum(r.tokens_out for r in rows),
        cost_usd=round(sum(r.cost_usd for r in rows), 6),
        duration_s=round(time.perf_counter() - started, 3))
    run = store.get_run(settings, run_id)
    assert run is not None
    return run


def run_eval_sync(settings: Settings, config: EvalConfig, **kwargs: Any) -> store.EvalRun:
    return asyncio.run(run_eval(settings, config, **kwargs))
