# Marsad: `make run` and `make test` work on a fresh machine (they create .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_STAMP := $(VENV)/.installed-lint
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: run test eval lint format bench bench-full bench-cluster chaos install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(LINT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	touch $(LINT_STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

install: $(STAMP)

# The daemon on the embedded default: SQLite ./marsad.db and the built-in source catalogue.
run: $(STAMP)
	$(BIN)/marsad run

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

# Figures on the labelled corpora beside the checkout (../shared, the rebuilt real-dev corpus);
# fails below benchmarks/eval_thresholds.toml, says so and passes when they are absent.
eval: $(STAMP)
	$(BIN)/python -m benchmarks.eval

# Style, then types: mypy reads its files and settings from pyproject.toml.
lint: $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(LINT_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks print figures; docs/benchmarks.md records them. Never run in CI.
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run

bench-full: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run --full

# Fault injection on loopback: a table of probe, expected and seen; exits 1 when a row fails.
chaos: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.chaos

# One cluster node against two (issue 18): needs PostgreSQL and Redis on 127.0.0.1, as .ci/run
# has them ($$MARSAD_BENCH_DATABASE_URL, $$MARSAD_BENCH_REDIS_URL say otherwise). A core per node,
# as if each were on a machine of its own, beside one unpinned round:
#   make bench-cluster CLUSTER_ARGS="--cores-per-node 1 --unpinned-rounds 1"
bench-cluster: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.bench_cluster $(CLUSTER_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
