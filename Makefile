# glasslm: the two commands a new user needs.
#   make run    set up .venv and open the guide in the browser
#   make test   set up .venv (with test tools and chromium), check lint and format, run every test
.PHONY: run test setup setup-test bench vendor

run: setup
	.venv/bin/glasslm

test: setup-test
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python -m pytest

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test

# Speed checks (not tests): each prints a table and a last line of JSON.
bench: setup-test
	@for b in benchmarks/*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done

# Refresh the vendored front-end libraries from the npm registry (pinned versions).
vendor: setup
	.venv/bin/python scripts/vendor.py
