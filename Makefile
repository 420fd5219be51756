# The two commands of the README: `make run` (the app on demo data) and `make test`.
# Each installs what it needs on a fresh machine, so CI runs exactly what a new user runs.
SHELL := /bin/bash
export PYTHONPATH := $(CURDIR)
export UV_LINK_MODE := copy
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: run test setup browser-deps postgres-deps demo bench clean

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	@$(UV) sync --quiet

# Debian's Chromium and a CJK font (without one every Chinese character is a box);
# never a browser download.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy; then \
		echo "installing chromium and fonts-wqy-zenhei from Debian"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	fi

# Debian's PostgreSQL server binaries: the tests start a throwaway server of their own
# (tests/support/postgres.py); the package's own cluster is not used.
postgres-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql from Debian"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

run: setup
	$(UV) run python -m dashboard demo --if-empty
	$(UV) run python -m streamlit run dashboard/app/entry.py

test: setup browser-deps postgres-deps
	$(UV) run python -m pytest $(PYTEST_ARGS)

demo: setup
	$(UV) run python -m dashboard demo

bench: setup browser-deps
	$(UV) run python -m dashboard bench

clean:
	rm -rf .venv artifacts test-results data/dangjian.duckdb data/dangjian.duckdb.wal
