"""Schema-driven fuzzing: every operation of the OpenAPI schema, valid and invalid inputs, against
the real app (real ask graph, seeded SQLite reservoir) on a loopback port; no answer is a 5xx.

Bounded in count (EXAMPLES per operation and generation mode, HEAVY_EXAMPLES for operations that
start runs or answer questions) and in time: past BUDGET_S each remaining operation still gets
one request in each mode, so none is ever skipped.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from reservoir.api.app import create_app
from reservoir.config import Settings
from tests.api.conftest import LiveServer, make_key, seed

EXAMPLES = 8
HEAVY_EXAMPLES = 2
BUDGET_S = 60.0


def _heavy(operation: Any) -> bool:
    """Starts a discovery run or runs the ask graph: seconds per request, not milliseconds."""
    path, method = operation.path, operation.method.upper()
    return (method == "POST" and "/runs" in path) or path.endswith(("/ask", "/completions"))


@pytest.fixture
def fuzz_app(settings: Settings) -> FastAPI:
    seed(settings)
    return create_app(settings, sse_poll=0.05, sse_heartbeat=0.3, shutdown_grace=5)


def _sweep(operation: Any, mode: GenerationMode, examples: int, base: str,
           headers: dict[str, str], seen: list[int], errors: list[str]) -> None:
    """Generated requests for one operation; 5xx answers recorded, not raised."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def one(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, timeout=30)
        seen.append(response.status_code)
        if response.status_code >= 500:
            errors.append(f"{response.status_code} {case.method} {case.formatted_path} "
                          f"query={case.query} body={str(case.body)[:300]}: {response.text[:300]}")

    try:
        one()
    except Unsatisfiable:  # no parameter to get wrong (GET /health in negative mode)
        assert mode is GenerationMode.NEGATIVE


@pytest.mark.timeout(240)
def test_no_input_gets_a_server_error(settings: Settings, fuzz_app: FastAPI) -> None:
    headers = {"Authorization": f"Bearer {make_key(settings)}"}
    with LiveServer(fuzz_app) as server:
        schema = schemathesis.openapi.from_url(f"{server.base_url}/api/v1/openapi.json")
        operations = sorted((result.ok() for result in schema.get_all_operations()), key=_heavy)
        seen: list[int] = []
        errors: list[str] = []
        started = time.monotonic()
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                examples = HEAVY_EXAMPLES if _heavy(operation) else EXAMPLES
                if time.monotonic() - started > BUDGET_S:
                    examples = 1
                _sweep(operation, mode, examples, server.base_url, headers, seen, errors)
        elapsed = time.monotonic() - started
        fuzz_app.state.launcher.shutdown(10)
    print(f"\nfuzz: {len(operations)} operations, {len(seen)} requests in {elapsed:.1f} s, "
          f"{sum(s >= 500 for s in seen)} 5xx")
    assert not errors, "\n".join(errors)
    assert len(seen) >= len(operations) * 2, "too few requests generated to mean anything"
