# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
DEMO_ENV := DEBUG=1

.PHONY: demo test lint test-sqlite test-postgres system-deps messages clean

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

demo: $(VENV)/.runtime
	mkdir -p var
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py load_demo
	@echo "Insats körs på http://127.0.0.1:8000 (avsluta med Ctrl-C)"
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Debian's Chromium for the browser tests (Playwright cannot download browsers here) and GNU
# gettext for the translation checks.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v msgfmt >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext) \
	  || { echo "Could not install chromium and gettext (run as root)"; exit 1; }; fi

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=insats.settings_test

test-sqlite: $(VENV)/.dev system-deps
	$(BIN)/pytest -n 2 -q

# Runs when PostgreSQL answers; REQUIRE_POSTGRES=1 (set by CI) turns its absence into a failure.
test-postgres: $(VENV)/.dev system-deps
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)').close()" 2>/dev/null; then \
	  DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 -q; \
	elif [ -n "$(REQUIRE_POSTGRES)" ]; then \
	  echo "PostgreSQL is not reachable at $(PG_URL) but REQUIRE_POSTGRES is set"; exit 1; \
	else \
	  echo "PostgreSQL not reachable: skipping the PostgreSQL leg"; \
	fi

test: lint test-sqlite test-postgres

# Regenerate the English catalogue after changing user-facing text, then translate the new
# entries in insats/locale/en/LC_MESSAGES/django.po and run it again. Needs GNU gettext. Runs
# inside insats/ so that only the insats package is scanned (not .venv, tests, var) and only
# insats/locale is compiled.
messages: $(VENV)/.runtime
	cd insats && ../$(BIN)/django-admin makemessages -l en --no-obsolete --settings=insats.settings_test --pythonpath=..
	msgfmt --check --statistics -o /dev/null insats/locale/en/LC_MESSAGES/django.po
	cd insats && ../$(BIN)/django-admin compilemessages --settings=insats.settings_test --pythonpath=..

clean:
	rm -rf $(VENV) var staticfiles
