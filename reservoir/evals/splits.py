"""The extract task's splits: which examples a run covers, and where the real corpus lives.

Figures are reported per split because the splits answer different questions: `demo` and
`handwritten` are written for this project (the rules were tuned on them), `real-dev` and
`real-test` are write-ups by other people (built locally by `build_real`, never committed).
`real-test` is for reporting only: nothing is ever tuned while looking at it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

COMMITTED = ("demo", "handwritten")
REAL = ("real-dev", "real-test")
SPLITS = COMMITTED + REAL
ALIASES = {"all": SPLITS, "real": REAL, "committed": COMMITTED}
REAL_DATASET_ENV = "RESERVOIR_EVAL_REAL_DATASET"
NOT_BUILT = "real splits: not built (run make real-corpus)"


def default_real_path() -> Path:
    """Where `make real-corpus` writes the corpus: under the (gitignored) data directory."""
    return Path(".reservoir") / "evals" / "extract-real.jsonl"


def real_dataset_path() -> Path:
    return Path(os.environ.get(REAL_DATASET_ENV) or default_real_path())


def real_built() -> bool:
    return real_dataset_path().is_file()


def split_for_id(doc_id: str) -> str:
    """Decided once and for all by the id's hash: about half dev, half test."""
    return REAL[hashlib.sha256(doc_id.encode("utf-8")).digest()[0] % 2]


def split_of(example: dict[str, Any]) -> str | None:
    """An example's split: its `split` field, else a committed source name, else none."""
    split = example.get("split")
    if split in SPLITS:
        return str(split)
    source = example.get("source")
    return str(source) if source in COMMITTED else None


def parse_splits(values: Iterable[str] | None) -> tuple[str, ...] | None:
    """`--split` values (names or all/real/committed, comma lists too) -> ordered split names."""
    wanted: list[str] = []
    for value in values or []:
        for name in (v.strip() for v in value.split(",")):
            if not name:
                continue
            if name not in SPLITS and name not in ALIASES:
                known = ", ".join((*SPLITS, *ALIASES))
                raise ValueError(f"unknown split {name!r}; known: {known}")
            wanted += ALIASES.get(name, (name,))
    return tuple(s for s in SPLITS if s in wanted) or None
