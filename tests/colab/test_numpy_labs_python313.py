"""Colab's current runtime, rehearsed for the NumPy labs: Python 3.13 with numpy 2.1, ipywidgets
7.7.1 and Colab's notebook stack, and the course package installed WITHOUT torch (the NumPy
labs 01-05 need none; torch is the extra ``dl-course[torch]``). Every student notebook of those
labs runs there with the reference answers filled in: every check passes, the summary counts
every exercise, and the only course modules that do not import are the PyTorch ones, each
saying in one sentence how to install torch.

The helpers (building the working-tree copy, the rehearsal notebook, the kernel run) are those of
``test_minimal_environment``, which rehearses the 3.11 runtime with torch for every lab.
"""
import glob
import json
import os
import shutil
import subprocess
import time
import types
from pathlib import Path

import pytest

from course import colab
from course.optional_torch import INSTALL
from tests.colab import test_minimal_environment as rehearsal
from tests.notebook_tools import ROOT, errors, nbgrader_meta, text

NUMPY_LABS = sorted(p for p in (ROOT / "solutions").glob("0[1-5]_*/*.ipynb"))
# Colab's runtime of 2026 (Python 3.13): numpy 2.1.3, ipywidgets 7.7.1, ipython 7.34, ipykernel 6.17,
# notebook 6.5, matplotlib 3.10, tqdm 4.67, scikit-learn (lab 05's digits); each installs on 3.13.
COLAB_313_STACK = ["numpy==2.1.3", "ipywidgets==7.7.1", "ipython==7.34.0", "ipykernel==6.17.1", "notebook==6.5.7",
                   "matplotlib==3.10.*", "tqdm==4.67.1", "scikit-learn==1.6.1"]


def python313():
    """A Python 3.13 that runs: pyenv's own (``pyenv root``/versions/3.13.x; its shim on the PATH
    may point to another version), else python3.13 on the PATH."""
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    try:
        roots.insert(0, subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=30).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    candidates = sorted({path for r in roots if r for path in glob.glob(f"{r}/versions/3.13*/bin/python3.13")},
                        reverse=True) + [shutil.which("python3.13")]
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                     capture_output=True, text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version == "(3, 13)":
            return candidate
    return None


@pytest.fixture(scope="module")
def colab_313(tmp_path_factory):
    python = python313()
    if python is None:
        pytest.skip("Python 3.13 is not installed (neither python3.13 on the PATH nor a pyenv 3.13.x), so Colab's "
                    "3.13 runtime cannot be rehearsed here")
    started = time.monotonic()
    base = tmp_path_factory.mktemp("colab313")
    venv = base / "venv"
    rehearsal.run([python, "-m", "venv", venv], "creating the Python 3.13 environment", base)
    venv_python = venv / "bin" / "python"
    pip = [venv_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    rehearsal.run(pip + COLAB_313_STACK + rehearsal.runtime_dependencies(),
                  "installing Colab's 3.13 stack and the runtime dependencies", base)
    source = rehearsal.copy_of_working_tree(base / "repository")
    rehearsal.run(pip + [f"{colab.PACKAGE} @ {source.as_uri()}"], "installing the course package without torch", base)
    installed = rehearsal.installed_versions(venv_python, base)
    kernels = base / "kernels"
    (kernels / rehearsal.KERNEL).mkdir(parents=True)
    (kernels / rehearsal.KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [str(venv_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab 3.13 stand-in", "language": "python"}))
    print(f"Colab 3.13 stand-in built in {time.monotonic() - started:.0f} s")
    return types.SimpleNamespace(venv=venv, python=venv_python, kernels=kernels, installed=installed)


@pytest.fixture(scope="module")
def executed(colab_313, tmp_path_factory):
    runs = {}
    for source in NUMPY_LABS:
        cwd = tmp_path_factory.mktemp(source.stem)  # not the repository: `course` must come from the venv
        runs[source.stem] = rehearsal.execute_on(colab_313, rehearsal.rehearsal_notebook(source), cwd)
    return runs


def test_the_environment_is_colabs_313_runtime_without_torch(colab_313):
    version = subprocess.run([colab_313.python, "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "(3, 13)"
    assert colab_313.installed["numpy"].startswith("2.1.") and colab_313.installed["ipywidgets"] == "7.7.1"
    assert colab.PACKAGE in colab_313.installed
    assert "torch" not in colab_313.installed, "installing the course must not pull in torch"


@pytest.mark.parametrize("source", NUMPY_LABS, ids=lambda p: p.stem)
def test_numpy_lab_runs_without_torch_and_every_check_passes(colab_313, executed, source):
    notebook = executed[source.stem]
    failing = [(i, e.ename, e.evalue) for i, c in enumerate(notebook.cells) for e in errors(c)]
    assert failing == [], f"cells failed on the Colab 3.13 stand-in: {failing}"
    report = rehearsal.report_of(notebook)
    assert Path(report["prefix"]) == colab_313.venv and report["ipywidgets"] == "7.7.1"
    assert Path(report["course_file"]).is_relative_to(colab_313.venv)
    assert report["rehearsal"]["pip"] == [colab.install_command()[len("pip "):]]
    not_imported = report["unimportable_modules"]
    assert all(INSTALL in line and line.startswith("course.torchlab") for line in not_imported), \
        f"without torch only the PyTorch kit may fail to import, with the install sentence: {not_imported}"
    printed = "".join(text(c) for c in notebook.cells)
    assert [line for line in printed.splitlines() if "❌" in line] == []
    exercises = sum(1 for c in notebook.cells if c.cell_type == "code" and nbgrader_meta(c).get("grade"))
    assert f"{exercises} of {exercises} exercises pass." in printed
    for name, facts in report["widgets"].items():
        reactions = {key: value for key, value in (facts or {}).items() if isinstance(value, bool)}
        assert reactions and all(reactions.values()), f"{name} did not react on ipywidgets 7.7 / Python 3.13"
