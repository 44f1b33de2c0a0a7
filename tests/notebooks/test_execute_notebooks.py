"""Every notebook runs: the solutions pass all their own tests, the student versions run up to
their first exercise without errors."""
import functools

import pytest

from tests.notebook_tools import ROOT, SOLUTIONS, errors, execute, nbgrader_meta, read, student_version, text


def is_test(cell):
    """An autograded test cell (not an answer a lecturer grades by hand)."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


@functools.lru_cache(maxsize=None)
def run_solution(path):
    return execute(read(path), cwd=path.parent)


@pytest.fixture(params=SOLUTIONS, ids=lambda p: p.stem)
def executed_solution(request):
    return run_solution(request.param)


def test_solution_runs_top_to_bottom_without_errors(executed_solution):
    failing = [(i, e.ename, e.evalue) for i, c in enumerate(executed_solution.cells) for e in errors(c)]
    assert failing == []
    graded = [c for c in executed_solution.cells if is_test(c)]
    assert graded and all(c.execution_count for c in graded)


def test_solution_passes_every_check_and_the_summary_counts_all(executed_solution):
    printed = "".join(text(c) for c in executed_solution.cells)
    assert "❌" not in printed
    exercises = sum(1 for c in executed_solution.cells if is_test(c))
    assert f"{exercises} of {exercises} exercises pass." in printed


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_student_version_runs_up_to_its_first_exercise(source, tmp_path):
    notebook = read(student_version(source))
    first_test = next(i for i, c in enumerate(notebook.cells) if is_test(c))
    notebook.cells = notebook.cells[:first_test]  # up to, not including, the first graded test
    executed = execute(notebook, cwd=tmp_path)
    assert [e.evalue for c in executed.cells for e in errors(c)] == []
    checks = [text(c) for c in executed.cells if "check(" in c.source]
    assert checks and "❌" in checks[-1] and "not implemented yet" in checks[-1]


def test_lab01_reproduces_the_worked_examples_correctly():
    printed = "".join(text(c) for c in run_solution(ROOT / "solutions/01_backprop/01_backprop.ipynb").cells)
    assert "L = 52.0" in printed  # appendix exercise
    assert "[[ 4.  4.]\n [20. 20.]]" in printed and "[[20. 20.]\n [32. 32.]]" in printed  # dL/dX, dL/dW
    assert "new W1 = [[0.0888, 0.2872, 0.4856], [0.1776, 0.3744, 0.5712]]" in printed  # one I2DL step
    assert "new b1 = [0.0888, 0.1872, 0.2856]" in printed
    assert "new W2 = [[0.6904], [0.7792], [0.868]]" in printed and "new b2 = [0.084]" in printed
    accuracy = float(printed.split("training accuracy ")[1].split("%")[0])
    assert accuracy > 90.0
