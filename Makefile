# The two commands of the README: `make demo` and `make test`. Both set up
# everything they need (a virtualenv in .venv with the project installed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-status demo-plain test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The Django demo: migrations, a demo superuser (its password is printed), then
# supervisord in the foreground (redis, web, 2 workers, scheduler); Ctrl+C stops all.
demo: $(STAMP)
	$(BIN)/python examples/django_demo/run_demo.py

# The demo's programs and their state, from another shell while `make demo` runs
# (supervisorctl is installed in .venv, not on PATH). JOBQ_DEMO_VAR as for the demo.
demo-status:
	@test -x $(BIN)/supervisorctl || { echo "no $(BIN)/supervisorctl: run make demo first"; exit 1; }
	$(BIN)/supervisorctl -c supervisord.conf $(if $(JOBQ_DEMO_VAR),-s unix://$(JOBQ_DEMO_VAR)/supervisor.sock) status

# The plain-Python examples: an embedded Redis (or $$REDIS_URL) and a worker, then exit.
demo-plain: $(STAMP)
	$(BIN)/python examples/plain/basic.py
	$(BIN)/python examples/plain/scheduled.py

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check jobq scheduler django_integration

typecheck: $(STAMP)
	tools/typecheck.sh

# The Django tests run twice, on SQLite and on PostgreSQL (127.0.0.1:5432, user
# postgres); each run creates and drops its own uniquely named test database.
# A third run, on PostgreSQL, uses the newest Django (its own django.tasks) in a
# second virtualenv when the machine has a Python >= 3.12 (tools/newest_django.sh).
DJANGO_TESTS := DJANGO_SETTINGS_MODULE=tests.django.settings $(BIN)/python -m pytest tests/django

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	JOBQ_TEST_DB=sqlite $(DJANGO_TESTS) $(DJANGO_PYTEST_ARGS)
	JOBQ_TEST_DB=postgres $(DJANGO_TESTS) $(DJANGO_PYTEST_ARGS)
	tools/newest_django.sh $(DJANGO_PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-newest-django var build *.egg-info
