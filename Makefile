# `make demo` and `make test` set themselves up: they create .venv and install the pinned
# dependencies the first time, and again whenever a requirements file changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-input -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(PY) generate.py validate
	$(PY) generate.py info --patient "Zoë O'Brien" --dob 1984-03-09 --patient-id DEMO-1 \
		--therapist "Sam Patel" --date 2026-12-01

test: $(STAMP)
	$(PY) -m pytest -q
	$(PY) -m ruff check .

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) bench/bench_info.py

clean:
	rm -rf out outbox records.db .pytest_cache
