# make run: the demo (demo data and demo accounts) on http://127.0.0.1:5000; SHELTER_OPS_DEMO=0 make run without
# make test: the whole test suite
# make bench: the benchmarks (docs/PERFORMANCE.md)
# Each target installs what it needs first: .venv, the package, the npm browser libraries, and the
# compiled translation catalogs (.mo from each .po: the app does not compile them on start).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
VENDORED := shelter_ops/static/vendor/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard shelter_ops/translations/*/LC_MESSAGES/*.po))

.PHONY: run test bench setup clean catalogs

setup: $(INSTALLED) $(VENDORED) $(CATALOGS)

catalogs: $(CATALOGS)

%.mo: %.po $(INSTALLED)
	@$(VENV)/bin/pybabel -q compile -i $< -o $@

$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENDORED): package.json shelter_ops/vendor.py $(INSTALLED)
	npm install --no-audit --no-fund --loglevel=error
	$(PY) -m shelter_ops.vendor install
	touch $@

run: setup
	SHELTER_OPS_DEMO=$${SHELTER_OPS_DEMO:-1} $(PY) run.py

test: setup
	$(PY) -m pytest -q -n auto

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules shelter_ops/static/vendor $(CATALOGS)
