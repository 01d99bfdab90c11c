"""Regression gate: a run's metrics against a stored baseline, each with its own tolerance.

A baseline file (reservoir/evals/baselines/*.json) names the configuration it measured and
the figures it got. The gate fails when a metric is worse than its baseline by more than the
tolerance — lower for "higher is better" metrics, higher for error metrics. Improvements pass;
refresh the file with `reservoir eval gate --baseline FILE --update` to lock them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reservoir.evals.harness import EvalConfig
from reservoir.evals.metrics import higher_is_better
from reservoir.evals.splits import COMMITTED, NOT_BUILT, REAL, real_built
from reservoir.evals.store import EvalRun

BASELINES_DIR = Path(__file__).resolve().parent / "baselines"
DEFAULT_TOLERANCE = 0.02


@dataclass
class Check:
    metric: str
    baseline: float
    tolerance: float
    measured: float | None

    @property
    def delta(self) -> float | None:
        return None if self.measured is None else round(self.measured - self.baseline, 4)

    @property
    def ok(self) -> bool:
        if self.measured is None:
            return False
        if higher_is_better(self.metric):
            return self.measured >= self.baseline - self.tolerance - 1e-9
        return self.measured <= self.baseline + self.tolerance + 1e-9


def resolve_baseline(ref: str | Path) -> Path:
    """A path, or the name of a packaged baseline ("extract-fake")."""
    path = Path(ref)
    if path.is_file():
        return path
    packaged = BASELINES_DIR / (path.name if path.suffix == ".json" else f"{path.name}.json")
    if packaged.is_file():
        return packaged
    known = ", ".join(sorted(p.stem for p in BASELINES_DIR.glob("*.json")))
    raise ValueError(f"no baseline {ref!s} (packaged ones: {known})")


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and check a baseline file: a task, a config and metrics with value and tolerance."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "task" not in data or not isinstance(data.get("metrics"), dict):
        raise ValueError(f"{path}: a baseline needs 'task' and 'metrics'")
    for name, spec in data["metrics"].items():
        if not isinstance(spec, dict) or "value" not in spec:
            raise ValueError(f"{path}: metric {name!r} needs a 'value'")
    return data


def baseline_config(baseline: dict[str, Any], **overrides: Any) -> EvalConfig:
    """The configuration the baseline measured, with any explicitly given field replaced."""
    config = dict(baseline.get("config") or {})
    values: dict[str, Any] = {
        "task": baseline["task"], "provider": config.get("provider"), "model": config.get("model"),
        "prompts": dict(config.get("prompts") or {}), "limit": config.get("limit"),
        "splits": baseline_splits(baseline),
    }
    for key, value in overrides.items():
        if key == "prompts" and value:
            values["prompts"] = {**values["prompts"], **value}
        elif value is not None and key != "prompts":
            values[key] = value
    return EvalConfig(**values)


def baseline_splits(baseline: dict[str, Any]) -> tuple[str, ...] | None:
    """The splits a baseline measured; an extract baseline from before splits = the committed ones."""
    splits = (baseline.get("config") or {}).get("splits")
    if splits:
        return tuple(splits)
    return COMMITTED if baseline["task"] == "extract" else None


def skip_reason(baseline: dict[str, Any]) -> str | None:
    """Why the gate cannot run this baseline here (the real corpus is built locally), or None."""
    if any(s in REAL for s in baseline_splits(baseline) or ()) and not real_built():
        return NOT_BUILT
    return None


def check(baseline: dict[str, Any], metrics: dict[str, float]) -> list[Check]:
    return [Check(name, float(spec["value"]), float(spec.get("tolerance", DEFAULT_TOLERANCE)),
                  metrics.get(name)) for name, spec in sorted(baseline["metrics"].items())]


def passed(checks: list[Check]) -> bool:
    return all(c.ok for c in checks)


def mismatch(baseline: dict[str, Any], run: EvalRun) -> list[str]:
    """Why the run may not be comparable with the baseline (warnings, not failures)."""
    notes = []
    if baseline["task"] != run.task:
        notes.append(f"the baseline is for task {baseline['task']!r}, the run is {run.task!r}")
    if baseline.get("dataset_hash") and baseline["dataset_hash"] != run.dataset_hash:
        notes.append("the dataset changed since the baseline was measured (refresh it with --update)")
    wanted = (baseline.get("config") or {}).get("provider")
    if wanted and wanted != run.provider:
        notes.append(f"the baseline measured provider {wanted!r}, the run used {run.provider!r}")
    return notes


def updated_baseline(baseline: dict[str, Any] | None, run: EvalRun, config: EvalConfig,
                     description: str = "") -> dict[str, Any]:
    """A baseline file's content from a run; existing tolerances (and metric choice) are kept."""
    old = baseline or {}
    old_metrics = old.get("metrics") or {}
    names = sorted(old_metrics) if old_metrics else sorted(k for k in run.metrics if k != "score")
    return {
        "task": run.task,
        "description": old.get("description") or description,
        "config": {"provider": run.provider, "model": config.model, "prompts": config.prompts,
                   "limit": config.limit,
                   **({"splits": list(config.splits)} if config.splits else {})},
        "dataset": run.dataset, "dataset_hash": run.dataset_hash,
        "measured": {"run_id": run.id, "at": run.created_at.isoformat(timespec="seconds"),
                     "examples": run.examples, "model": run.model, "prompts": run.prompts},
        "metrics": {name: {"value": run.metrics[name],
                           "tolerance": (old_metrics.get(name) or {}).get("tolerance",
                                                                          DEFAULT_TOLERANCE)}
                    for name in names if name in run.metrics},
    }


def write_baseline(path: Path, content: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
