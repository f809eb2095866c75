# `make demo` and `make test` set themselves up: they create .venv and install the pinned
# dependencies the first time, and again whenever a requirements file changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COMPILED := $(VENV)/.compiled

.PHONY: demo test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-input -r requirements-dev.txt
	touch $(STAMP)

# Byte-compile the package once, as pip does for an installed one: with PYTHONDONTWRITEBYTECODE
# set, Python would otherwise compile every module again on every run (~45 ms of a cold start).
$(COMPILED): $(STAMP) $(shell find patientdocs -name '*.py')
	$(PY) -m compileall -q patientdocs
	touch $(COMPILED)

DEMO := --patient "Zoë O'Brien" --dob 1984-03-09 --patient-id DEMO-1 --therapist "Sam Patel" --date 2026-12-01

demo: $(COMPILED)
	$(PY) generate.py seal-init
	$(PY) generate.py validate
	$(PY) generate.py info $(DEMO)
	$(PY) generate.py consent $(DEMO)
	$(PY) generate.py packet $(DEMO)
	$(PY) generate.py aftercare $(DEMO) --areas "neck (left)" --areas "upper trapezius (both)" \
		--next-visit 2026-12-08 --note "Heat for 10 minutes tonight"
	$(PY) generate.py email aftercare --to zoe@example.org $(DEMO) --areas "neck (left)" --dry-run
	$(PY) generate.py batch examples/appointments-2026-12-01.csv -o out/2026-12-01

test: $(COMPILED)
	$(PY) -m pytest -q
	$(PY) -m ruff check .
	$(PY) -m mypy

lint: $(COMPILED)
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(COMPILED)
	$(PY) bench/bench_info.py
	$(PY) bench/bench_batch.py

clean:
	rm -rf out outbox records.db .pytest_cache certs
