# One entry point for people and CI. Every target creates the virtual environment it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: demo test lint container-test bench install clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,render]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed  ## crawl the bundled demo site into $$ARCHIVE_URI (default ./archive)
	$(VENV)/bin/newsarchive demo

test: $(VENV)/.installed  ## unit + end-to-end tests (local directory and S3 over HTTP)
	$(PY) -m pytest -q

lint: $(VENV)/.installed  ## ruff, the import contracts (dependencies run one way) and mypy on the core
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

container-test: $(VENV)/.installed  ## build the image with podman and run the demo inside it (slow)
	$(PY) -m pytest -q -m container tests/test_container.py

bench: $(VENV)/.installed  ## crawl throughput vs bare Scrapy, same pages, same run (3-4 min)
	$(PY) bench/crawl_bench.py

clean:
	rm -rf $(VENV) archive build *.egg-info .pytest_cache .ruff_cache
