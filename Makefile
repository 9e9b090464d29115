# ivschat: `make demo` runs the quickstart against ivschat-local; `make test` runs every test.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(ROOT)/target

.PHONY: all demo test dist venv conformance-regen codegen bench clean

all: test

## Python tools (boto3/botocore 1.44.8 as the oracle, pytest) in .venv
venv: $(VENV)/.installed
$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

## Build ivschat-local, start it on a free port, run the quickstart, stop it.
demo:
	@echo "==> building ivschat-local and the Rust examples (the first build takes a few minutes)"
	$(CARGO) build -p ivschat-emulator --bin ivschat-local -p ivschat --features ivschat/messaging --example quickstart --example chat
	tools/demo.sh

## Every test of every language, with a pass/fail summary per language.
test: venv
	tools/test-all.sh

## Release artifacts in dist/ (release builds in target/dist-build, slow), each then installed into a
## clean environment and run by tools/test-dist.sh (also part of `make test` while dist/ exists).
dist:
	tools/dist.sh
	tools/test-dist.sh

## Regenerate the conformance cases from botocore (then: git diff --exit-code tests/conformance).
conformance-regen: venv
	$(PY) tools/oracle/generate_conformance.py

## Regenerate the core's model code from codegen/model/service-2.json.
codegen:
	python3 codegen/gen_core.py

## Benchmarks (release builds in target/bench-build, so test builds stay warm). Not part of `make test`.
BENCH_TARGET := $(ROOT)/target/bench-build
bench:
	CARGO_TARGET_DIR=$(BENCH_TARGET) $(CARGO) build --release -p ivschat-emulator -p ivschat-emulator-bench
	$(BENCH_TARGET)/release/ivschat-emulator-bench --bin $(BENCH_TARGET)/release/ivschat-local --connections 64 --seconds 10
	@for b in bench/*/run.sh; do [ -x "$$b" ] && "$$b" || true; done

clean:
	rm -rf target .venv
