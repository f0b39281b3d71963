# Every target builds .venv on first use, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all bench lint tables clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/allegiance

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

# After any change to allegiance/grammar.lark: the parser's stored LALR tables (see grammar_tables.py).
tables: $(STAMP)
	$(BIN)/python -c "from allegiance import grammar_tables; grammar_tables.write()"

lint: $(STAMP)
	$(BIN)/ruff check allegiance repl tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
