"""Lab 04 graded through `course-grade` under its policy (torch and the reference forbidden): the
solution gets every automatic point, and its graded notebook shows no error: the demonstrations
train with course.nn's building blocks and the student's own dropout and LayerNorm, while the
graded layers' references (dropout, BatchNorm, LayerNorm and GroupNorm) stay stubs."""
import subprocess
import sys

import nbformat
import pytest

from autograder import gradebook
from autograder.course_directory import ensure_assignment
from autograder.fill_solutions import fill_solutions
from tests.notebook_tools import ROOT, read

ASSIGNMENT = "04_regularization"
SOURCE = read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
STUDENT = read(ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    folder = course / "submitted" / "solved" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(fill_solutions(STUDENT, SOURCE), folder / f"{ASSIGNMENT}.ipynb")
    result = subprocess.run([sys.executable, "-m", "autograder", "autograde", ASSIGNMENT, "--course", str(course),
                             "--workers", "1", "--cell-timeout", "240", "--memory-mb", "3000"],
                            cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    return course


def test_the_solution_gets_every_automatic_point(graded):
    result, _ = gradebook.read_report(gradebook.report_path(graded, ASSIGNMENT, "solved"))
    assert result.verdicts and all(v.status == "passed" for v in result.verdicts), result.verdicts
    assert result.defects == []


def test_no_cell_of_the_graded_notebook_shows_an_error(graded):
    notebook = read(graded / "autograded" / "solved" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    raised = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(notebook.cells)
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert raised == []
    shown = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    assert "dropout 0.5: final validation loss" in shown and "in every image and group the mean is" in shown
