# iodkit — every target sets itself up: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Where the DICOM standard lives: a folder of editions (<edition>/chtml/partNN/, <edition>/docbook/partNN.xml).
IODKIT_STANDARD ?= ../shared/standard
EDITION ?= 2024c
export IODKIT_STANDARD

.PHONY: all demo test generate standard bench lint clean fuzz compiled

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# An editable install of the package-dir mapping (iodkit -> runtime/ …) goes through an import
# hook, and setuptools says so in a note ("Editable installation.", category InformationOnly)
# that pip shows as a warning. It is the only thing a clean install prints (tests/test_packaging.py
# checks that the build itself warns of nothing), so it is filtered by its words here.
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet

# Re-install when the project metadata changes.
$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml setup.py | $(BIN)/python
	$(PIP_INSTALL) -e '.[bench]'
	touch $@

# The validator's hot modules compiled with mypyc into the environment (runtime/speedups.py),
# again whenever one of their sources changes. Where they cannot be built (no C compiler), the
# same modules run as pure Python: the same findings, about half as fast.
COMPILED := $(VENV)/iodkit-compiled/manifest.json
$(COMPILED): $(shell $(PYTHON) tools/compiled_sources.py) runtime/speedups.py runtime/compile.py | $(VENV)/.installed-test
	$(BIN)/iodkit compile || true  # without it (no C compiler) iodkit runs pure Python

compiled: $(COMPILED)

demo: $(VENV)/.installed-test $(COMPILED)
	$(BIN)/python -m iodkit.demo

test: $(VENV)/.installed-test $(COMPILED)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Regenerate spec and code from an edition (default: $(IODKIT_STANDARD)/$(EDITION)).
generate: $(VENV)/.installed-test
	$(BIN)/iodkit generate --source $(IODKIT_STANDARD)/$(EDITION) --out generated

# Download an edition's DocBook sources into standard_xml/<edition>/ (needs network).
standard: $(VENV)/.installed-test
	$(BIN)/iodkit standard download $(EDITION)

bench: $(VENV)/.installed-test $(VENV)/.installed-bench $(COMPILED)
	$(BIN)/python -m bench

# Mutants of the test data through the validator and every reader (seeded; minutes, not in `test`).
fuzz: $(VENV)/.installed-test $(COMPILED)
	$(BIN)/python tools/fuzz.py --mutants $(or $(MUTANTS),10000) --seed $(or $(SEED),12) --jobs 2

lint: $(VENV)/.installed-test
	$(BIN)/ruff check codegen runtime generated tests bench tools
	$(BIN)/python tools/typecheck.py bench   # mypy with iodkit mapped as package-dir maps it

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
