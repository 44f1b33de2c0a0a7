"""notebooks/ is generated from solutions/ and must stay in sync with it."""
import json
import shutil

import pytest

from autograder.release import generate_student_notebooks
from tests.notebook_tools import ROOT, SOLUTIONS, nbgrader_meta, read, student_version


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    destination = tmp_path_factory.mktemp("release")
    generate_student_notebooks(destination, ROOT / "solutions")
    return destination


def test_every_solution_has_a_student_notebook_and_nothing_else():
    student = sorted(p.relative_to(ROOT / "notebooks") for p in (ROOT / "notebooks").glob("*/*.ipynb"))
    source = sorted(p.relative_to(ROOT / "solutions") for p in SOLUTIONS)
    assert SOLUTIONS and student == source


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_notebooks_are_in_sync_with_solutions(regenerated, source):
    fresh = json.loads((regenerated / source.relative_to(ROOT / "solutions")).read_text())
    committed = json.loads(student_version(source).read_text())
    assert committed == fresh, (
        f"{student_version(source).relative_to(ROOT)} is out of date: run `course-grade release` "
        "(or `python -m autograder release`) and commit the result."
    )


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_student_notebook_hides_solutions_and_hidden_tests(source):
    raw = student_version(source).read_text()
    assert "BEGIN SOLUTION" not in raw and "HIDDEN TESTS" not in raw
    notebook = read(student_version(source))
    answer_cells = [c for c in notebook.cells if nbgrader_meta(c).get("solution")]
    code = [c for c in answer_cells if c.cell_type == "code"]
    assert code and all("raise NotImplementedError()" in c.source for c in code)
    written = [c for c in answer_cells if c.cell_type == "markdown"]  # "explain in a sentence or two"
    assert all(c.source.strip() == "YOUR ANSWER HERE" for c in written)
    model_answers = [c.source for c in read(source).cells if c.cell_type == "markdown" and nbgrader_meta(c).get("solution")]
    assert not [a for a in model_answers for c in notebook.cells if a.strip()[:60] in c.source]
    hidden_lines = [
        line.strip()
        for cell in read(source).cells if nbgrader_meta(cell).get("grade")
        for line in cell.source.split("### BEGIN HIDDEN TESTS")[1:]
        for line in line.split("### END HIDDEN TESTS")[0].splitlines() if line.strip()
    ]
    assert hidden_lines, "each lab has hidden tests"
    assert not any(line in raw for line in hidden_lines)


@pytest.mark.parametrize("path", SOLUTIONS + [student_version(p) for p in SOLUTIONS], ids=lambda p: str(p.parent.parent.name + "/" + p.stem))
def test_notebooks_are_stored_without_outputs_and_never_import_nbgrader(path):
    notebook = read(path)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "import nbgrader" not in cell.source and "from nbgrader" not in cell.source


def test_release_regenerates_only_the_labs_whose_source_changed(tmp_path):
    import nbformat

    from autograder.release import RELEASED, release

    labs = ["01_backprop", "03_optimization"]
    for lab in labs:
        shutil.copytree(ROOT / "solutions" / lab, tmp_path / "solutions" / lab)
    assert release(tmp_path) == (labs, [])  # nothing released yet: both
    assert sorted(json.loads((tmp_path / "notebooks" / RELEASED).read_text())) == labs
    student = tmp_path / "notebooks" / "03_optimization" / "03_optimization.ipynb"
    before = student.stat().st_mtime_ns
    assert release(tmp_path) == ([], labs)

    source = tmp_path / "solutions" / "01_backprop" / "01_backprop.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[0].source += "\n\nA sentence added this week."
    nbformat.write(notebook, source)
    assert release(tmp_path) == (["01_backprop"], ["03_optimization"])
    assert "A sentence added this week." in (tmp_path / "notebooks" / "01_backprop" / "01_backprop.ipynb").read_text()
    assert student.stat().st_mtime_ns == before  # the unchanged lab was left alone
    assert release(tmp_path, everything=True) == (labs, [])
