# The README's two commands: `make demo` and `make test`. Both set everything up.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,crewai]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/reservoir demo

test: $(STAMP)
	$(VENV)/bin/ruff check reservoir tests bench
	$(PY) -m pytest -q -ra

lint: $(STAMP)
	$(VENV)/bin/ruff check reservoir tests bench

bench: $(STAMP)
	$(PY) bench/search.py --quick
	$(PY) bench/fetch.py
	$(PY) bench/discover.py

clean:
	rm -rf $(VENV) .reservoir
