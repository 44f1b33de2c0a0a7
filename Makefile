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

.PHONY: setup lab test release

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)" -e ".[grading,dev]"
	touch $@

setup: $(VENV)/.installed

lab: setup
	$(BIN)/jupyter lab --notebook-dir=$(NOTEBOOK_DIR) --port=$(PORT) $(HEADLESS_FLAGS) $(TOKEN_FLAG) $(ROOT_FLAG)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

release: setup
	$(BIN)/course-grade release
