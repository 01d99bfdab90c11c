"""The demo corpus served on loopback for the graph tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reservoir.demo import load_labels
from reservoir.demo.server import DemoServer


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


@pytest.fixture(scope="session")
def labels() -> dict[str, Any]:
    return load_labels()
