# Depesche: the two commands of the README, and a few for developers.
#   make run    install into .venv, prepare the SQLite database with demo data, serve app + worker
#   make test   install what the tests need and run the whole suite (twice where services run)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEPESCHE := $(BIN)/depesche
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

SEMGREP_VENV := .venv-semgrep
SEMGREP := $(SEMGREP_VENV)/bin/semgrep

.PHONY: appliance appliance-test appliance-deps run test test-embedded test-services bench lint security format translations system-deps browser-deps backup-deps mail-deps clean .venv

# The virtual environment alone (created, or updated when pyproject.toml changed).
.venv: $(STAMP)
	@$(DEPESCHE) translate compile >/dev/null

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	@test -x $(BIN)/python || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Depesche needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Debian packages the app needs: venv support and the libraries WeasyPrint loads.
system-deps:
	@sh .ci/system-deps python3-venv libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core whiptail

# Debian's chromium for the browser tests (without it they are skipped with a reason).
browser-deps:
	@sh .ci/system-deps chromium chromium-driver

# Debian's borg and borgmatic for the backup tests (without them they are skipped with a reason),
# and the OpenSSH server for the site reached over SSH: the test runs a throw-away sshd of its
# own, so the system service the package starts when it is newly installed is stopped and
# disabled again.
backup-deps:
	@sh .ci/system-deps borgbackup borgmatic
	@if ! dpkg-query -W -f='$${Status}' openssh-server 2>/dev/null | grep -q "install ok installed"; then \
	  sh .ci/system-deps openssh-server && \
	  { systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true; }; \
	fi

# Debian's Dovecot for the bounce mailbox tests, which start a throw-away server of their
# own (without it they are skipped with a reason). The system service the package starts
# when it is newly installed is stopped and disabled again: nothing here needs it.
mail-deps:
	@if ! dpkg-query -W -f='$${Status}' dovecot-imapd 2>/dev/null | grep -q "install ok installed"; then \
	  sh .ci/system-deps dovecot-imapd && \
	  { systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true; }; \
	fi

run: .venv
	$(DEPESCHE) init-db
	$(DEPESCHE) demo-data --if-empty --contacts 5000
	@echo "Depesche: http://$(HOST):$(PORT)/  (Ctrl-C stops the web app and the worker)"
	@trap 'kill -INT $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(DEPESCHE) worker & worker=$$!; \
	  $(DEPESCHE) serve --host $(HOST) --port $(PORT)

test: .venv browser-deps backup-deps mail-deps lint security
	@$(MAKE) --no-print-directory test-embedded
	@if $(BIN)/python -m tests.services "$(PG_TEST_URL)" "$(REDIS_TEST_URL)"; then \
	  $(MAKE) --no-print-directory test-services; \
	elif [ -n "$$DEPESCHE_REQUIRE_SERVICES" ]; then \
	  echo "PostgreSQL or Redis does not answer, but DEPESCHE_REQUIRE_SERVICES is set" >&2; exit 1; \
	else \
	  echo "PostgreSQL and Redis not both running on localhost: the services run is skipped"; \
	fi

# The embedded default: SQLite and huey's SQLite queue.
test-embedded:
	@echo "== test suite: SQLite, SQLite queue"
	$(BIN)/python -m pytest -n auto -p no:cacheprovider $(PYTEST_ARGS)

# Production backends: a fresh PostgreSQL database for the run, Redis with a queue of its own.
test-services:
	@echo "== test suite: PostgreSQL, Redis"
	DEPESCHE_TEST_POSTGRES=$(PG_TEST_URL) DEPESCHE_TEST_REDIS=$(REDIS_TEST_URL) \
	  $(BIN)/python -m pytest -n auto -p no:cacheprovider $(PYTEST_ARGS)

bench: .venv
	$(BIN)/python -m tests.bench

lint: .venv
	$(BIN)/ruff check app tests backup
	$(BIN)/ruff format --check app tests backup

# Static security checks: bandit (medium and high findings) and the project's semgrep rules
# (.ci/semgrep/: no SQL built from strings, no |safe on unsanitised data), which are
# themselves tested with their own good and bad cases. semgrep lives in a virtual
# environment of its own: its dependencies pin an older peewee than the app's.
security: .venv $(SEMGREP)
	$(BIN)/bandit -q -ll -r app
	$(SEMGREP) --test --metrics=off --quiet .ci/semgrep/
	$(SEMGREP) scan --metrics=off --error --quiet --disable-version-check \
	  --config .ci/semgrep/sql-from-strings.yml --config .ci/semgrep/no-safe-filter.yml app templates

$(SEMGREP):
	$(PYTHON) -m venv $(SEMGREP_VENV)
	$(SEMGREP_VENV)/bin/python -m pip install --quiet 'semgrep>=1.100'

format: .venv
	$(BIN)/ruff format app tests backup
	$(BIN)/ruff check --fix app tests backup

# Extract strings and merge them into the catalogues; translate the German ones by hand.
translations: .venv
	$(DEPESCHE) translate update

# The appliance (README "Operators: the appliance"): a Debian 12 root file system and raw
# disk image built with debootstrap (root needed), and its checks booted in systemd-nspawn.
appliance-deps:
	@sh .ci/system-deps debootstrap e2fsprogs fdisk mount extlinux syslinux-common systemd-container qemu-system-x86

appliance: appliance-deps
	sh appliance/build.sh

appliance-test: .venv appliance-deps
	DEPESCHE_APPLIANCE_TEST=1 $(BIN)/python -m pytest -p no:cacheprovider -m appliance -v -rfEsP tests/appliance

clean:
	rm -rf $(VENV) $(SEMGREP_VENV) .pytest_cache .ruff_cache test-artifacts
