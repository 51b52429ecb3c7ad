# Two-command set-up: `make demo` runs the main job, `make test` runs the tests.
# Each creates the virtual environment in .venv when it is missing or pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/dispatch simulate

test: $(STAMP)
	$(VENV)/bin/python -m pytest -n 2

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_routing.py
	$(VENV)/bin/python benchmarks/eta.py
	$(VENV)/bin/python benchmarks/eta_real.py
	$(VENV)/bin/python benchmarks/scheduling.py
	$(VENV)/bin/python benchmarks/matching.py
	$(VENV)/bin/python benchmarks/nemt_day.py
	$(VENV)/bin/python benchmarks/simulation.py
	$(VENV)/bin/python benchmarks/api_load.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
