# The README's two commands:
#   make lab    set up .venv, install the course and open JupyterLab on notebooks/
#               (HEADLESS=1: no browser, for servers and tests; PORT=, TOKEN= to choose)
#   make test   set up .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch (the CUDA build is several GB); any torch >= 2.0 works with the course.
TORCH ?= torch==2.13.0
PORT ?= 8888
# The folder JupyterLab serves (tests point it at a temporary copy).
NOTEBOOK_DIR ?= notebooks
TOKEN ?=
HEADLESS ?=
PYTEST_ARGS ?=

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
HEADLESS_FLAGS := $(if $(HEADLESS),--no-browser --ServerApp.ip=127.0.0.1)
TOKEN_FLAG := $(if $(TOKEN),--IdentityProvider.token=$(TOKEN))

.PHONY: setup system-packages lab test release

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)" -e ".[torch,grading,dev]"
	touch $@

setup: $(VENV)/.installed

lab: setup
	$(BIN)/jupyter lab --notebook-dir=$(NOTEBOOK_DIR) --port=$(PORT) $(HEADLESS_FLAGS) $(TOKEN_FLAG) $(ROOT_FLAG)

# The test suite needs two programs from the system: bubblewrap (the grading sandbox) and
# Chromium (the browser test drives JupyterLab in it). Installed with apt-get when missing.
SYSTEM_PROGRAMS := bwrap:bubblewrap chromium:chromium
system-packages:
	@missing=""; for pair in $(SYSTEM_PROGRAMS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  echo "Installing$$missing (apt-get) for the test suite..."; \
	  log=$$(mktemp); \
	  if ! { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	         --no-install-recommends $$missing; } >$$log 2>&1; then \
	    tail -n 30 $$log; echo "Could not install$$missing with apt-get (log above)." >&2; exit 1; fi; \
	fi

test: setup system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

release: setup
	$(BIN)/course-grade release
