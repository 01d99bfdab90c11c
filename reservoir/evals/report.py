"""Side-by-side comparison of eval runs: a rich table in the terminal, an HTML page with plots.

The plots are matplotlib (Agg backend, no display needed) embedded as base64 PNG, so the
report is one self-contained file: metric bars per variant, and cost against quality.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from reservoir.evals.metrics import HEADLINE, METRICS, higher_is_better
from reservoir.evals.splits import NOT_BUILT, REAL, SPLITS
from reservoir.evals.store import EvalExample, EvalRun

OPERATIONAL = ("examples", "errors", "calls", "cached", "tokens_in", "tokens_out", "cost_usd",
               "duration_s")
EPS = 1e-9


def run_label(run: EvalRun) -> str:
    prompts = ",".join(f"{k.split('.')[-1]}={v}" for k, v in sorted(run.prompts.items()))
    base = run.label or f"{run.provider}:{run.model}"
    return f"{base} [{prompts}]" if prompts and not run.label else base


def split_table(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of a run's metrics: one column for all examples, one per split it covered.

    The splits answer different questions (tuned-on demo and hand-written text vs other
    people's write-ups), so a single mean would hide what matters; see evals/splits.py.
    """
    present = [s for s in SPLITS if any(k.startswith(f"{s}/") for k in run.metrics)]
    sizes = (run.config or {}).get("split_sizes") or {}
    names = [k for k in run.metrics if "/" not in k]
    columns = ["metric", f"all (n={run.examples})", *[f"{s} (n={sizes.get(s, '?')})" for s in present]]
    rows = []
    for name in names:
        arrow = " ↑" if higher_is_better(name) else " ↓"
        cells = [fmt(run.metrics.get(name)), *[fmt(run.metrics.get(f"{s}/{name}")) for s in present]]
        rows.append([name + arrow, *cells])
    return columns, rows


def real_splits_note(run: EvalRun) -> str | None:
    """The report's line on the real splits: covered, or not built (and how to build them)."""
    state = (run.config or {}).get("real_splits")
    if state is None:
        return None
    if any(f"{s}/" in k for s in REAL for k in run.metrics):
        return f"real splits: {state}"
    return NOT_BUILT if state == NOT_BUILT else f"real splits: not in this run ({state})"


@dataclass
class Comparison:
    runs: list[EvalRun]
    metrics: list[str]
    # per other run (index >= 1): example id -> (score in run 0, score in that run)
    changes: list[dict[str, tuple[float | None, float | None]]] = field(default_factory=list)

    def wins_losses(self, index: int) -> tuple[int, int, int]:
        """(wins, losses, ties) of run `index` against the first run, by example score."""
        wins = losses = ties = 0
        for a, b in self.changes[index - 1].values():
            if a is None or b is None:
                continue
            if b > a + EPS:
                wins += 1
            elif b < a - EPS:
                losses += 1
            else:
                ties += 1
        return wins, losses, ties

    def biggest(self, index: int, limit: int = 10) -> list[tuple[str, float, float]]:
        rows = [(k, a, b) for k, (a, b) in self.changes[index - 1].items()
                if a is not None and b is not None and abs(b - a) > EPS]
        return sorted(rows, key=lambda r: (-abs(r[2] - r[1]), r[0]))[:limit]


def compare(runs: list[EvalRun], examples: dict[str, list[EvalExample]]) -> Comparison:
    if len(runs) < 2:
        raise ValueError("compare needs at least two runs")
    tasks = {r.task for r in runs}
    if len(tasks) > 1:
        raise ValueError(f"runs of different tasks cannot be compared: {sorted(tasks)}")
    task = runs[0].task
    names = {k for r in runs for k in r.metrics}
    ordered = [m for m in (*HEADLINE.get(task, ()), "score") if m in names]
    ordered += sorted(names - set(ordered))
    first = {e.example_id: e.metrics.get("score") for e in examples[runs[0].id]}
    changes = []
    for run in runs[1:]:
        other = {e.example_id: e.metrics.get("score") for e in examples[run.id]}
        changes.append({k: (first[k], other[k]) for k in sorted(set(first) & set(other))})
    return Comparison(runs, ordered, changes)


def fmt(value: Any) -> str:
    """Counts as integers, metrics with four decimals, large floats with thousands."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


def _delta_text(name: str, base: float | None, value: float | None) -> str:
    if base is None or value is None:
        return ""
    delta = value - base
    if abs(delta) < EPS:
        return "[dim]±0[/]"
    good = (delta > 0) == higher_is_better(name)
    colour = "green" if good else "red"
    return f"[{colour}]{delta:+.4f}[/]"


def print_comparison(console: Console, comp: Comparison, examples_limit: int = 10) -> None:
    table = Table(title=f"eval compare · task {comp.runs[0].task}")
    table.add_column("metric")
    for i, run in enumerate(comp.runs):
        table.add_column(f"{run.id}\n{run_label(run)}", justify="right")
        if i:
            table.add_column("Δ", justify="right")
    for name in [*comp.metrics, *OPERATIONAL]:
        values = [r.metrics.get(name) if name in comp.metrics else getattr(r, name)
                  for r in comp.runs]
        arrow = "" if name in OPERATIONAL else (" ↑" if higher_is_better(name) else " ↓")
        row = [name + arrow]
        for i, value in enumerate(values):
            row.append(fmt(value))
            if i:
                row.append(_delta_text(name, values[0], value) if name in comp.metrics
                           else _plain_delta(values[0], value))
        table.add_row(*row)
    console.print(table)
    for i, run in enumerate(comp.runs[1:], 1):
        wins, losses, ties = comp.wins_losses(i)
        console.print(f"{run.id} vs {comp.runs[0].id}: [green]{wins} wins[/], "
                      f"[red]{losses} losses[/], {ties} ties (per-example score)")
        changed = comp.biggest(i, examples_limit)
        if changed:
            detail = Table(show_header=True, box=None, padding=(0, 2))
            for column in ("example", comp.runs[0].id, run.id, "Δ"):
                detail.add_column(column)
            for key, a, b in changed:
                detail.add_row(key, f"{a:.3f}", f"{b:.3f}", _delta_text("score", a, b))
            console.print(detail)


def _plain_delta(base: Any, value: Any) -> str:
    if not isinstance(base, int | float) or not isinstance(value, int | float):
        return ""
    delta = value - base
    return "[dim]±0[/]" if abs(delta) < EPS else ("+" if delta > 0 else "") + fmt(delta)


# ----------------------------------------------------------------------------- HTML


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plot_metric_bars(comp: Comparison) -> str:
    """Grouped bars: one group per metric, one bar per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [m for m in comp.metrics if m in METRICS]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(names) + 2), 4))
    width = 0.8 / len(comp.runs)
    for i, run in enumerate(comp.runs):
        xs = [j + i * width for j in range(len(names))]
        ax.bar(xs, [run.metrics.get(n) or 0.0 for n in names], width, label=f"{run.id} {run_label(run)}")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))])
    ax.set_xticklabels([n + ("" if higher_is_better(n) else " (↓)") for n in names],
                       rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("value (0–1)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("Metrics per variant")
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def plot_cost_quality(comp: Comparison) -> str:
    """One point per run: cost (or tokens, or time when everything was free) vs mean score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if any(r.cost_usd for r in comp.runs):
        xs, xlabel = [r.cost_usd for r in comp.runs], "cost (USD)"
    elif any(r.tokens_in + r.tokens_out for r in comp.runs):
        xs, xlabel = [float(r.tokens_in + r.tokens_out) for r in comp.runs], "tokens"
    else:
        xs, xlabel = [r.duration_s for r in comp.runs], "time (s) — no model was paid"
    ys = [r.metrics.get("score") or 0.0 for r in comp.runs]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(xs, ys, s=60)
    for x, y, run in zip(xs, ys, comp.runs, strict=True):
        ax.annotate(f"{run.id}\n{run_label(run)}", (x, y), fontsize=7, xytext=(5, 5),
                    textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean example score")
    ax.set_ylim(0, 1.05)
    ax.set_title("Cost vs quality")
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def _cell(value: Any) -> str:
    return html.escape(fmt(value))


def render_html(comp: Comparison) -> str:
    runs = comp.runs
    head = "".join(f"<th>{html.escape(r.id)}<br><small>{html.escape(run_label(r))}</small></th>"
                   for r in runs)
    rows = []
    for name in [*comp.metrics, *OPERATIONAL]:
        values = [r.metrics.get(name) if name in comp.metrics else getattr(r, name) for r in runs]
        cells = "".join(f"<td>{_cell(v)}</td>" for v in values)
        rows.append(f"<tr><th>{html.escape(name)}</th>{cells}</tr>")
    outcomes = []
    for i, run in enumerate(runs[1:], 1):
        wins, losses, ties = comp.wins_losses(i)
        items = "".join(f"<li>{html.escape(k)}: {a:.3f} → {b:.3f}</li>" for k, a, b in comp.biggest(i))
        outcomes.append(f"<h3>{html.escape(run.id)} vs {html.escape(runs[0].id)}: {wins} wins, "
                        f"{losses} losses, {ties} ties</h3><ul>{items}</ul>")
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>Reservoir eval compare · {html.escape(runs[0].task)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}}
img{{max-width:100%}}</style></head><body>
<h1>Eval compare · task {html.escape(runs[0].task)}</h1>
<table><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>
<h2>Metrics per variant</h2><img alt="metric bars" src="data:image/png;base64,{plot_metric_bars(comp)}">
<h2>Cost vs quality</h2><img alt="cost vs quality" src="data:image/png;base64,{plot_cost_quality(comp)}">
<h2>Per-example wins and losses</h2>{''.join(outcomes)}
</body></html>
"""


def write_html(comp: Comparison, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(comp), encoding="utf-8")
    return path
