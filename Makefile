# ivschat: `make demo` runs the quickstart against ivschat-local; `make test` runs every test.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(ROOT)/target

.PHONY: venv
venv: $(VENV)/.installed
$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@
