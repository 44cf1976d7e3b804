# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AXE := node_modules/axe-core/axe.min.js

.PHONY: run test lint check bench demo migrate clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port 8501

test: lint $(AXE)
	$(PY) -m pytest

# axe-core for the browser accessibility checks (tests/e2e/axe.py), at the version package-lock.json pins. Without
# npm those checks skip on a developer machine (and fail under CI, whose .ci/run installs npm).
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else echo "npm not found: the accessibility checks in tests/e2e will skip (apt-get install npm)"; fi

# The codebase checks itself: lint and types (strict on the domain, the store and the core) before any test.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

check: $(STAMP)
	$(PY) -m modules check-banks

migrate: $(STAMP)
	$(PY) -m modules migrate

# A checked copy of the SQLite database while the app runs: `make backup DEST=/backups/clinic` (see the README).
.PHONY: backup
backup: $(STAMP)
	$(PY) -m modules backup $(or $(DEST),progress/backups)

# Every bench/bench_*.py; the slow ones (browser load, kill soak: minutes each) only with `make bench ALL=1`.
SLOW_BENCHES := bench/bench_load.py bench/bench_soak.py
bench: $(STAMP)
	@for script in bench/bench_*.py; do \
		case " $(if $(ALL),,$(SLOW_BENCHES)) " in *" $$script "*) echo "== $$script skipped (slow: make bench ALL=1)"; continue;; esac; \
		echo "== $$script"; $(PY) $$script || exit 1; done

demo: $(STAMP)
	$(PY) -m modules demo --db progress/demo.db --seed 7 --force
	TRAINING_DB_URL=sqlite:///progress/demo.db $(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port 8501

clean:
	rm -rf $(VENV) .pytest_cache node_modules
