"""The NumPy labs need no PyTorch: torch is an optional extra (``pip install 'dl-course[torch]'``).

Each test runs a fresh Python in which ``torch`` cannot be imported (a ``sys.meta_path`` finder
refuses it, as if it were not installed). There the modules the NumPy labs use import, the
PyTorch kit says in one sentence how to get torch, and every check of labs 01-05 (the check
cells and the graded test cells, hidden tests included) passes the reference answers of the
solution notebooks, run cell by cell as a notebook would run them.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.notebook_tools import ROOT

NUMPY_LABS = sorted(p for p in (ROOT / "solutions").glob("0[1-5]_*/*.ipynb"))
MODULES = ["course", "course.checks", "course.widgets", "course.layers", "course.optim", "course.init",
           "course.gradcheck", "course.arithmetic", "course.datasets", "course.plots", "course.two_layer_net"]
INSTALL = "this needs PyTorch: pip install 'dl-course[torch]'"

BLOCK_TORCH = textwrap.dedent('''\
    import importlib.abc, sys

    class _NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NoTorch())
    ''')

RUN_LAB = textwrap.dedent('''\
    import ast, contextlib, io, json, sys, traceback
    import nbformat

    notebook = nbformat.read(sys.argv[1], as_version=4)
    namespace, printed, failures = {"__name__": "__main__"}, io.StringIO(), []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        # IPython's %magic and !shell lines become `pass` (the setup cell's Colab branch never runs here)
        source = "\\n".join(line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!"))
                           else line for line in cell.source.splitlines())
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(source, f"cell {index}", "exec"), namespace)
        except Exception:
            failures.append(f"cell {index} ({cell.metadata.get('nbgrader', {}).get('grade_id', '')}): "
                            + traceback.format_exc(limit=-2))
    graded = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    print(json.dumps({"failures": failures, "printed": printed.getvalue(), "graded": graded,
                      "torch_imported": any(m == "torch" or m.startswith("torch.") for m in sys.modules)}))
    ''')


def run_without_torch(code, *args):
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", BLOCK_TORCH + code, *map(str, args)], capture_output=True,
                            text=True, cwd=ROOT, env=environment, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_blocker_works():
    output = run_without_torch("try:\n    import torch\nexcept ModuleNotFoundError as e:\n    print('blocked', e.name)\n")
    assert output.strip() == "blocked torch"


def test_the_numpy_labs_modules_import_without_torch():
    code = textwrap.dedent(f'''\
        import importlib, json, pkgutil
        modules = {MODULES!r}
        import course.widgets
        modules += [m.name for m in pkgutil.iter_modules(course.widgets.__path__, "course.widgets.")]
        for name in modules:
            importlib.import_module(name)
        print(json.dumps(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))))
        ''')
    assert json.loads(run_without_torch(code).splitlines()[-1]) == []


def test_the_pytorch_kit_says_in_one_sentence_how_to_install_torch():
    code = textwrap.dedent('''\
        for name in ("course.torchlab", "course.torchlab.training"):
            try:
                __import__(name)
            except ModuleNotFoundError as error:
                print(repr((str(error), error.name)))
        from course.checks.cnn import check_lenet5
        try:
            check_lenet5(object)
        except ModuleNotFoundError as error:
            print(repr((str(error), error.name)))
        ''')
    lines = run_without_torch(code).splitlines()
    assert lines == [repr((f"course.torchlab: {INSTALL}", "torch"))] * 2 + [
        repr((f"the checks of the PyTorch labs: {INSTALL}", "torch"))]


@pytest.mark.parametrize("source", NUMPY_LABS, ids=lambda p: p.stem)
def test_every_check_of_the_numpy_labs_passes_the_reference_without_torch(source):
    report = json.loads(run_without_torch(RUN_LAB, source).splitlines()[-1])
    assert report["failures"] == [], "\n".join(report["failures"])
    crosses = [line for line in report["printed"].splitlines() if "❌" in line]
    assert crosses == []
    checked = [line for line in report["printed"].splitlines() if line.startswith("✅")]
    assert len(checked) >= len(report["graded"]) > 0, "every exercise's check cell should have passed"
    assert f"{len(report['graded'])} of {len(report['graded'])} exercises pass." in report["printed"]
    assert report["torch_imported"] is False
