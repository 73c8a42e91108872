# iodkit — every target sets itself up: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Where the DICOM standard lives: a folder of editions (<edition>/chtml/partNN/, <edition>/docbook/partNN.xml).
IODKIT_STANDARD ?= ../shared/standard
EDITION ?= 2024c
export IODKIT_STANDARD

.PHONY: all demo test generate standard bench lint clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the project metadata changes.
$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.installed-test
	$(BIN)/python -m iodkit.demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Regenerate spec and code from an edition (default: $(IODKIT_STANDARD)/$(EDITION)).
generate: $(VENV)/.installed-test
	$(BIN)/iodkit generate --source $(IODKIT_STANDARD)/$(EDITION) --out generated

# Download an edition's DocBook sources into standard_xml/<edition>/ (needs network).
standard: $(VENV)/.installed-test
	$(BIN)/iodkit standard download $(EDITION)

bench: $(VENV)/.installed-test $(VENV)/.installed-bench
	$(BIN)/python -m bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check codegen runtime generated tests bench tools
	$(BIN)/python tools/typecheck.py bench   # mypy with iodkit mapped as package-dir maps it

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
