"""What one handover of the embedded Qdrant store costs: the next holder reloads the collections.

    python bench/store_handover.py 500 5000      # opportunities, chunks (384-d random vectors)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from reservoir.config import load_settings
from reservoir.memory.vectors import VectorStore, close_client


def main(opportunities: int, chunks: int) -> None:
    settings = load_settings(data_dir=Path(tempfile.mkdtemp(prefix="reservoir-handover-")))
    store = VectorStore(settings)
    rng = np.random.default_rng(0)
    for collection, n in (("opportunities", opportunities), ("documents", chunks)):
        for start in range(0, n, 2000):
            ids = list(range(start, min(n, start + 2000)))
            vectors = rng.standard_normal((len(ids), 384)).astype("float32")
            store.upsert_vectors(collection, ids, vectors, [{"status": "new"}] * len(ids))
    times = []
    for _ in range(3):
        close_client(settings)  # what a handover does to the holder
        started = time.perf_counter()
        store.count("documents")  # the next operation reopens (reloads) the store
        times.append(time.perf_counter() - started)
    print(f"{opportunities} opportunities + {chunks} chunks: reopen "
          f"{min(times) * 1000:.0f} ms (best of 3)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500,
         int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
