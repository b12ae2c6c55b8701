# Two commands do everything on a fresh machine: `make reports` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Each checkout keeps its own matplotlib font cache: a shared one written by another checkout's
# venv, since deleted, lost matplotlib's own fonts (STIX) and every chart warned into the notebooks.
export MPLCONFIGDIR := $(CURDIR)/$(VENV)/matplotlib

.PHONY: setup test reports bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

reports: $(STAMP)
	$(BIN)/workbook build data/example --out reports --jobs 2

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check analysis tests bench

clean:
	rm -rf $(VENV) reports/_executed reports/_failed
