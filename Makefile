# The two commands of the README: `make run` (the app on demo data) and `make test`.
# Each installs what it needs on a fresh machine, so CI runs exactly what a new user runs.
SHELL := /bin/bash
export PYTHONPATH := $(CURDIR)
export UV_LINK_MODE := copy
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: run test setup browser-deps postgres-deps office-deps demo bench clean

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	@$(UV) sync --quiet
	@$(UV) run --quiet python -m compileall -q -j 0 dashboard  # the project's own bytecode too (see [tool.uv])

# Debian's Chromium and a CJK font (without one every Chinese character is a box);
# never a browser download.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy; then \
		echo "installing chromium and fonts-wqy-zenhei from Debian"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	fi

# Debian's PostgreSQL server binaries: the tests start a throwaway server of their own
# (dashboard/bench/pgserver.py); the package's own cluster is not used.
postgres-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql from Debian"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

# LibreOffice (the briefing's PDF), poppler-utils (its pages as PNG in the tests) and the Ming
# and Kai faces that stand in for 仿宋 and 楷体; about 75 s the first time, from Debian.
office-deps:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "AR PL UKai"; then \
		echo "installing libreoffice-writer-nogui, poppler-utils and fonts-arphic-ukai/uming from Debian"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libreoffice-writer-nogui poppler-utils fonts-arphic-ukai fonts-arphic-uming >/dev/null; \
	fi

run: setup
	$(UV) run python -m dashboard demo --if-empty
	$(UV) run python -m streamlit run dashboard/app/serve.py

test: setup browser-deps postgres-deps office-deps
	$(UV) run python -m pytest $(PYTEST_ARGS)

demo: setup
	$(UV) run python -m dashboard demo

bench: setup browser-deps
	$(UV) run python -m dashboard bench

clean:
	rm -rf .venv artifacts test-results data/dangjian.duckdb data/dangjian.duckdb.wal
