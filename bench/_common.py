"""Shared helpers for the benchmarks: percentiles, peak memory, timing and a plain table printer."""

from __future__ import annotations

import math
import os
import resource
import sys
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _maxrss_bytes(who: int) -> int:
    rss = resource.getrusage(who).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes (ru_maxrss)."""
    return _maxrss_bytes(resource.RUSAGE_SELF)


def peak_rss_children() -> int:
    """Largest peak RSS among terminated, waited-for children, in bytes."""
    return _maxrss_bytes(resource.RUSAGE_CHILDREN)


@dataclass
class HeapPeak:
    """Filled in when a `traced_peak()` block ends."""

    peak: int = 0


@contextmanager
def traced_peak() -> Iterator[HeapPeak]:
    """Peak Python heap (tracemalloc) allocated inside the block, in bytes; slows the block down."""
    result = HeapPeak()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield result
    finally:
        result.peak = max(0, tracemalloc.get_traced_memory()[1] - base)
        if started:
            tracemalloc.stop()


def heap_peak_of(fn: Callable[..., Any], *args: Any) -> int:
    """Peak Python heap of one call, in bytes."""
    with traced_peak() as peak:
        fn(*args)
    return peak.peak


def mib(n_bytes: float) -> str:
    return f"{n_bytes / MIB:.1f} MiB"


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.nan


def fmt(value: Any, digits: int = 1) -> str:
    """Numbers with fixed decimals, NaN/None as '-', anything else as str()."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                *, out: Any = None) -> None:
    """A plain, aligned text table (numbers right-aligned) under a title."""
    out = out or sys.stdout
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric,
                                                                         strict=True)]
        return "  ".join(parts).rstrip()

    print(f"\n{title}", file=out)
    print(line(list(headers)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print(line(row), file=out)
    out.flush()


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def print_kv(title: str, items: Sequence[tuple[str, Any]], *, out: Any = None) -> None:
    """A two-column 'name: value' block."""
    out = out or sys.stdout
    width = max((len(k) for k, _ in items), default=0)
    print(f"\n{title}", file=out)
    for key, value in items:
        print(f"  {key.ljust(width)}  {fmt(value, 2)}", file=out)
    out.flush()


def hermetic_env(prefix: str) -> list[str]:
    """Drop the caller's `prefix*` variables so a bench measures defaults; returns their names."""
    removed = sorted(k for k in os.environ if k.startswith(prefix))
    for key in removed:
        del os.environ[key]
    return removed
