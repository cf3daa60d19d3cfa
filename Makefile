# ripple: `make demo` and `make test` on a fresh machine need only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLAGSHIP := scenarios/calder_bay.yaml
# where `make demo` writes its run; tests point it at a temporary folder
DEMO_OUT ?= runs/demo

.PHONY: install demo test test-all screenshots bench chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Page tests drive Debian's chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(BIN)/ripple validate $(FLAGSHIP)
	$(BIN)/ripple run $(FLAGSHIP) --seed 7 --out $(DEMO_OUT) --html --force

test: install chromium
	$(BIN)/python -m pytest -q

test-all: install chromium
	$(BIN)/python -m pytest -q -m ""

# the page tests again, saving their screenshots to docs/img for the README
screenshots: install chromium
	RIPPLE_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q -m browser -p no:cacheprovider

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) runs results .pytest_cache
