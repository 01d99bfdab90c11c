"""`reservoir eval`: measure prompts and models on labelled datasets, compare runs, gate regressions.

Register in cli/main.py with `app.add_typer(evals.app, name="eval")`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

from reservoir.cli.common import JsonOpt, console, err_console, fail, print_json, print_table, settings

app = typer.Typer(help="Evaluate prompts and models on labelled datasets; compare runs; gate "
                       "regressions.", no_args_is_help=True)

TaskOpt = typer.Option(None, "--task", help="extract | roi | ask.")
PromptOpt = typer.Option(None, "--prompt", help="Prompt version override TASK=VERSION, e.g. "
                                                "analyst.extract=v2 (repeatable).")
ProviderOpt = typer.Option(None, "--provider", help="none | fake | openai | local (default: settings).")
ModelOpt = typer.Option(None, "--model", help="Model name (default: settings).")
ConcurrencyOpt = typer.Option(4, "--concurrency", min=1, max=256, help="Examples in flight.")


def _run_summary(run: Any) -> dict[str, Any]:
    return {"id": run.id, "task": run.task, "dataset": run.dataset, "provider": run.provider,
            "model": run.model, "prompts": run.prompts, "label": run.label, "status": run.status,
            "examples": run.examples, "errors": run.errors, "metrics": run.metrics,
            "calls": run.calls, "cached": run.cached, "tokens_in": run.tokens_in,
            "tokens_out": run.tokens_out, "cost_usd": run.cost_usd, "duration_s": run.duration_s,
            "created_at": run.created_at}


def _execute(config: Any, quiet: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from reservoir.evals.harness import run_eval

    cfg = settings()
    if quiet:
        return asyncio.run(run_eval(cfg, config))
    with Progress(TextColumn(f"eval {config.task}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as progress:
        bar = progress.add_task("examples", total=None)
        return asyncio.run(run_eval(cfg, config, progress=lambda done, total: progress.update(
            bar, completed=done, total=total)))


def _print_run(run: Any) -> None:
    from reservoir.evals.report import real_splits_note, split_table

    columns, rows = split_table(run)
    prompts = ", ".join(f"{k}={v}" for k, v in run.prompts.items()) or "-"
    print_table(f"eval {run.id} · {run.task} · {run.provider}:{run.model} · prompts {prompts}",
                columns, rows)
    note = real_splits_note(run)
    if note:
        console.print(note, highlight=False)
    console.print(f"{run.examples} examples, {run.errors} errors · model calls {run.calls}, "
                  f"cached {run.cached} · tokens {run.tokens_in}+{run.tokens_out} · "
                  f"${run.cost_usd:.4f} · {run.duration_s:.1f}s", highlight=False)


SplitOpt = typer.Option(None, "--split", help="extract only: demo | handwritten | real-dev | "
                                             "real-test | real | committed | all (repeatable; "
                                             "default: every split there is).")


@app.command("run")
def run(task_arg: str = typer.Argument(None, metavar="[TASK]", help="extract | roi | ask."),
        task: str = TaskOpt, split: list[str] = SplitOpt,
        prompt: list[str] = PromptOpt, provider: str = ProviderOpt, model: str = ModelOpt,
        concurrency: int = ConcurrencyOpt,
        limit: int = typer.Option(None, "--limit", min=1, help="Only the first N examples."),
        judge: bool = typer.Option(False, "--judge", help="Add an LLM-judge metric (role 'eval')."),
        label: str = typer.Option(None, "--label", help="A name for this variant in reports."),
        dataset: Path = typer.Option(None, "--dataset", help="Another JSONL file of the task's shape."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the response cache."),
        as_json: bool = JsonOpt) -> None:
    """Run a task over its dataset with the given prompts and model; store and print the metrics.

    Extract figures are printed per split (demo, handwritten, real-dev, real-test).
    """
    from reservoir.evals.harness import EvalConfig, parse_prompts
    from reservoir.evals.splits import parse_splits
    from reservoir.prompts import PromptError

    if task_arg and task and task_arg != task:
        fail(f"two tasks given: {task_arg!r} and --task {task!r}", code=2)
    if not (task_arg or task):
        fail("which task? `reservoir eval run extract` (or --task extract | roi | ask)", code=2)
    try:
        config = EvalConfig(task=task_arg or task, provider=provider, model=model,
                            prompts=parse_prompts(prompt), concurrency=concurrency, limit=limit,
                            judge=judge, label=label, dataset=str(dataset) if dataset else None,
                            cache=False if no_cache else None, splits=parse_splits(split))
        result = _execute(config, quiet=as_json)
    except (ValueError, RuntimeError, PromptError) as exc:  # RuntimeError: a missing extra
        fail(str(exc), code=2)
    if as_json:
        print_json(_run_summary(result))
    else:
        _print_run(result)


@app.command("compare")
def compare(run_ids: list[str] = typer.Argument(..., help="Two or more eval run ids (or unique prefixes)."),
            html: Path = typer.Option(None, "--html", help="Where to write the HTML report."),
            no_html: bool = typer.Option(False, "--no-html", help="Terminal table only."),
            examples: int = typer.Option(10, "--examples", min=0, help="Changed examples to list.")
            ) -> None:
    """Side by side with deltas and per-example wins/losses; an HTML report with plots."""
    from reservoir.evals import report, store

    cfg = settings()
    runs = []
    for ref in run_ids:
        found = store.get_run(cfg, ref)
        if found is None:
            fail(f"no eval run {ref!r} (see `reservoir eval list`)")
        runs.append(found)
    try:
        comp = report.compare(runs, {r.id: store.get_examples(cfg, r.id) for r in runs})
    except ValueError as exc:
        fail(str(exc), code=2)
    report.print_comparison(console, comp, examples)
    if not no_html:
        path = html or cfg.data_dir / "evals" / f"compare-{'-'.join(r.id for r in runs)}.html"
        console.print(f"report: {report.write_html(comp, path)}", highlight=False)


@app.command("gate")
def gate(baseline_ref: str = typer.Option(..., "--baseline", help="Baseline JSON file, or the name "
                                           "of a packaged one (extract-none, extract-fake, ...)."),
         run_id: str = typer.Option(None, "--run", help="Check a stored run instead of running."),
         task: str = TaskOpt, prompt: list[str] = PromptOpt, provider: str = ProviderOpt,
         model: str = ModelOpt, concurrency: int = ConcurrencyOpt,
         update: bool = typer.Option(False, "--update", help="Rewrite the baseline with the "
                                                             "measured figures (maintainers).")) -> None:
    """Exit 1 when a metric is worse than the baseline by more than its tolerance."""
    from reservoir.evals import gate as gates
    from reservoir.evals import store
    from reservoir.evals.harness import parse_prompts
    from reservoir.prompts import PromptError

    try:
        baseline = gates.resolve_baseline(baseline_ref)
        data = gates.load_baseline(baseline)
        config = gates.baseline_config(data, provider=provider, model=model,
                                       prompts=parse_prompts(prompt), concurrency=concurrency,
                                       label=f"gate:{baseline.stem}")
        if task and task != data["task"]:
            fail(f"{baseline.name} is a baseline for task {data['task']!r}, not {task!r}", code=2)
        skipped = gates.skip_reason(data) if not run_id else None
        if skipped:
            console.print(f"gate skipped for {baseline.name}: {skipped}", highlight=False)
            return
        if run_id:
            measured = store.get_run(settings(), run_id)
            if measured is None:
                fail(f"no eval run {run_id!r}")
        else:
            measured = _execute(config, quiet=False)
    except (ValueError, RuntimeError, PromptError) as exc:
        fail(str(exc), code=2)
    for note in gates.mismatch(data, measured):
        err_console.print(f"[yellow]warning:[/] {note}", highlight=False)
    checks = gates.check(data, measured.metrics)
    print_table(f"gate {baseline.name} · run {measured.id}",
                ["metric", "baseline", "tolerance", "measured", "Δ", "status"],
                [[c.metric, f"{c.baseline:.4f}", f"{c.tolerance:.4f}",
                  "missing" if c.measured is None else f"{c.measured:.4f}",
                  "" if c.delta is None else f"{c.delta:+.4f}",
                  "ok" if c.ok else "REGRESSION"] for c in checks])
    if update:
        gates.write_baseline(baseline, gates.updated_baseline(data, measured, config))
        console.print(f"baseline {baseline} updated from run {measured.id}")
        return
    if not gates.passed(checks):
        err_console.print(f"[bold red]gate failed:[/] {sum(not c.ok for c in checks)} metric(s) "
                          f"regressed beyond tolerance against {baseline.name}", highlight=False)
        raise typer.Exit(1)
    console.print(f"gate passed against {baseline.name}")


@app.command("list")
def list_(task: str = TaskOpt,
          limit: int = typer.Option(20, "--limit", min=1, max=500, help="Runs to show."),
          as_json: bool = JsonOpt) -> None:
    """Stored eval runs, newest first."""
    from reservoir.evals import store

    runs = store.list_runs(settings(), task=task, limit=limit)
    if as_json:
        print_json({"items": [_run_summary(r) for r in runs], "total": len(runs)})
        return
    rows = [[r.id, r.created_at.strftime("%m-%d %H:%M"), r.task, f"{r.provider}:{r.model}",
             ",".join(f"{k.split('.')[-1]}={v}" for k, v in r.prompts.items()), r.examples,
             f"{r.metrics.get('score', 0):.3f}", r.calls, f"{r.cost_usd:.4f}", f"{r.duration_s:.1f}",
             r.label or "", r.status] for r in runs]
    print_table("Eval runs (score: mean of the task's headline metrics per example)",
                ["id", "created", "task", "provider:model", "prompts", "n", "score", "calls", "$",
                 "s", "label", "status"], rows)
