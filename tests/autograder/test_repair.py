"""Structural repair of submissions, without running anything."""
import nbformat
import pytest

from autograder.repair import SourceCell, repair

SOURCE = [
    SourceCell("imports", "code", "import numpy as np", locked=True, grade=False, solution=False),
    SourceCell("answer", "code", "# YOUR CODE HERE\nraise NotImplementedError()", locked=False, grade=False, solution=True),
    SourceCell("test", "code", "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 3\n### END HIDDEN TESTS",
               locked=True, grade=True, solution=False, points=2.0),
]


def cell(grade_id, source, cell_type="code"):
    maker = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    made = maker(source)
    if grade_id:
        made.metadata["nbgrader"] = {"grade_id": grade_id, "grade": grade_id == "test", "solution": grade_id == "answer",
                                     "locked": grade_id != "answer", "schema_version": 3}
    return made


def submission(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def ids(notebook):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]


def test_an_intact_submission_is_left_alone_but_gets_its_hidden_tests():
    notebook = submission(cell("imports", "import numpy as np"), cell("answer", "def f(x):\n    return x + 1"),
                          cell("test", "assert f(1) == 2"))
    repaired, defects = repair(notebook, SOURCE)
    assert defects == [] and ids(repaired) == ["imports", "answer", "test"]
    assert "f(2) == 3" in repaired.cells[2].source and "x + 1" in repaired.cells[1].source


def test_deleted_cells_come_back_in_place():
    repaired, defects = repair(submission(cell("answer", "def f(x): return x + 1")), SOURCE)
    assert ids(repaired) == ["imports", "answer", "test"]
    assert any("test cell 'test' was missing" in d for d in defects)
    assert any("read-only cell 'imports' was missing" in d for d in defects)


def test_a_deleted_answer_cell_comes_back_as_a_stub():
    repaired, defects = repair(submission(cell("imports", "import numpy as np"), cell("test", "assert f(1) == 2")), SOURCE)
    assert "NotImplementedError" in repaired.cells[1].source
    assert any("answer cell 'answer' was missing; it was put back empty" in d for d in defects)


def test_duplicates_are_graded_once_and_copies_of_answers_still_run():
    notebook = submission(cell("imports", "import numpy as np"), cell("answer", "def f(x):"),
                          cell("answer", "    return x + 1"), cell("test", "assert f(1) == 2"), cell("test", "x"))
    repaired, defects = repair(notebook, SOURCE)
    assert ids(repaired) == ["imports", "answer", None, "test"]
    assert repaired.cells[2].source == "    return x + 1"
    assert any("'answer' appeared 2 times" in d for d in defects) and any("'test' appeared 2 times" in d for d in defects)


def test_retyped_and_edited_cells_are_restored():
    notebook = submission(cell("imports", "import numpy as np"), cell("answer", "def f(x): return x + 1"),
                          cell("test", "pass  # no more tests", cell_type="markdown"))
    repaired, defects = repair(notebook, SOURCE)
    assert repaired.cells[2].cell_type == "code" and repaired.cells[2].source == SOURCE[2].source
    assert any("changed from code to markdown" in d for d in defects)
    assert any("'test' had been edited" in d for d in defects)


def test_reordered_cells_go_back_and_students_cells_travel_with_theirs():
    helper = cell(None, "def g(): return 1")
    notebook = submission(cell("test", "assert f(1) == 2"), cell("imports", "import numpy as np"),
                          cell("answer", "def f(x): return x + 1"), helper)
    repaired, defects = repair(notebook, SOURCE)
    assert ids(repaired) == ["imports", "answer", None, "test"]
    assert repaired.cells[2].source == helper.source
    assert any("out of order" in d for d in defects)


def test_unknown_grade_ids_lose_their_claim():
    notebook = submission(cell("imports", "import numpy as np"), cell("answer", "def f(x): return x + 1"),
                          cell("test", "assert f(1) == 2"))
    notebook.cells[1].metadata["nbgrader"]["grade_id"] = "bonus"
    repaired, defects = repair(notebook, SOURCE)
    assert any("'bonus', which this lab does not have" in d for d in defects)


@pytest.mark.parametrize("bad", ["{", "[]", '{"cells": 3}'])
def test_unreadable_notebooks_are_named_in_one_sentence(bad):
    from autograder.execute import read_notebook_text

    with pytest.raises(ValueError, match="not valid JSON|not a Jupyter notebook"):
        read_notebook_text(bad)


@pytest.mark.parametrize("where", ["metadata", "nbgrader", "grade_id", "source"])
@pytest.mark.parametrize("bad", ["a string", ["a", "list"], 3, 2.5, None, True, {"grade_id": {"nested": 1}}])
def test_metadata_of_every_wrong_type_is_mended_and_named(where, bad):
    notebook = submission(cell("imports", "import numpy as np"), cell("answer", "def f(x):\n    return x + 1"),
                          cell("test", "assert f(1) == 2"))
    damaged = notebook.cells[2]
    if where == "metadata":
        damaged["metadata"] = bad
    elif where == "nbgrader":
        damaged.metadata["nbgrader"] = bad
    elif where == "grade_id":
        damaged.metadata["nbgrader"]["grade_id"] = bad
    else:
        damaged["source"] = bad
    repaired, defects = repair(notebook, SOURCE)
    assert [i for i in ids(repaired) if i] == ["imports", "answer", "test"], defects
    assert "f(2) == 3" in repaired.cells[ids(repaired).index("test")].source  # the lab's test, whatever the cell held
    if where != "source" and not (where == "grade_id" and bad is None):  # a None source is just empty
        assert defects, (where, bad)


def test_json_nested_too_deeply_is_named_in_one_sentence():
    from autograder.execute import read_notebook_text

    with pytest.raises(ValueError, match="nested too deeply"):
        read_notebook_text("[" * 100_000 + "]" * 100_000)
