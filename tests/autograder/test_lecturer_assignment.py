"""A lecturer's own nbgrader notebook (asserts in its test cells, hidden tests, a data file
beside it, a manually graded answer) is graded by course-grade with the scores nbgrader itself
gives it; its assert tests are run inside the kernel, and the report says so."""
import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from autograder.autograde import autograde, summary_table
from autograder.feedback import write_feedback
from autograder.course_directory import prepare_course_directory, run_nbgrader
from autograder.sandbox import Limits

ASSIGNMENT = "99_statistics"


def _cell(maker, source, grade_id, grade=False, solution=False, locked=False, points=None):
    cell = maker(source)
    cell.metadata["nbgrader"] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                                 "solution": solution, "task": False, **({"points": points} if grade else {})}
    return cell


def lecturer_notebook():
    return new_notebook(cells=[
        _cell(new_code_cell, "import numpy as np\nvalues = np.loadtxt('measurements.csv')", "given", locked=True),
        _cell(new_code_cell, "def mean(x):\n    ### BEGIN SOLUTION\n    return sum(x) / len(x)\n    ### END SOLUTION",
              "mean", solution=True),
        _cell(new_code_cell, "assert abs(mean(values) - 2.5) < 1e-9\n### BEGIN HIDDEN TESTS\n"
                             "assert mean([7.0]) == 7.0\n### END HIDDEN TESTS", "test_mean", grade=True, locked=True,
              points=2),
        _cell(new_code_cell, "def spread(x):\n    ### BEGIN SOLUTION\n    return max(x) - min(x)\n    ### END SOLUTION",
              "spread", solution=True),
        _cell(new_code_cell, "assert spread(values) == 3.0\n### BEGIN HIDDEN TESTS\nassert spread([5, 5]) == 0\n"
                             "### END HIDDEN TESTS", "test_spread", grade=True, locked=True, points=3),
        _cell(new_markdown_cell, "Why is the mean sensitive to outliers?\n\n=== BEGIN MARK SCHEME ===\nOne value "
                                 "moves it.\n=== END MARK SCHEME ===", "explain", grade=True, solution=True, points=4),
    ])


ANSWERS = {
    "right": {"mean": "def mean(x):\n    return sum(x) / len(x)", "spread": "def spread(x):\n    return max(x) - min(x)"},
    "half": {"mean": "def mean(x):\n    return sum(x) / len(x)", "spread": "def spread(x):\n    return max(x)"},
    "cheat": {"mean": "def mean(x):\n    return 2.5", "spread": "def spread(x):\n    return 3.0"},
}


def _submission(student_notebook, answers):
    notebook = nbformat.from_dict(student_notebook)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def _course(root):
    solutions = root / "solutions"
    (solutions / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(lecturer_notebook(), solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    np.savetxt(solutions / ASSIGNMENT / "measurements.csv", [1.0, 2.0, 3.0, 4.0])
    work = prepare_course_directory(root / "course", solutions=solutions)
    run_nbgrader(work, "generate_assignment", ASSIGNMENT, "--force", "--log-level=WARN")
    student = nbformat.read(work / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for name, answers in ANSWERS.items():
        folder = work / "submitted" / name / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(_submission(student, answers), folder / f"{ASSIGNMENT}.ipynb")
        (folder / "measurements.csv").write_bytes((solutions / ASSIGNMENT / "measurements.csv").read_bytes())
    return work


def _gradebook_scores(work):
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
        return {name: {g.name: g.score for g in gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, name).grades}
                for name in ANSWERS}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    ours = _course(tmp_path_factory.mktemp("ours"))
    outcomes = {o.student: o for o in autograde(ours, ASSIGNMENT, workers=2, progress=False,
                                                limits=Limits(cell_timeout=30, notebook_timeout=120))}
    theirs = _course(tmp_path_factory.mktemp("theirs"))
    run_nbgrader(theirs, "autograde", ASSIGNMENT, "--force", "--log-level=WARN")
    return outcomes, _gradebook_scores(ours), _gradebook_scores(theirs), ours


def test_scores_are_those_nbgrader_gives(both):
    _, ours, theirs, _ = both
    assert ours == theirs
    assert ours["right"]["test_mean"] == 2 and ours["right"]["test_spread"] == 3
    assert ours["half"]["test_spread"] == 0 and ours["right"]["explain"] == 0  # manual: not graded yet


def test_assert_tests_are_reported_as_run_inside_the_kernel(both):
    outcomes, _, _, _ = both
    assert "run inside the notebook's kernel" in outcomes["right"].notes


def test_written_answers_count_in_the_maximum_and_wait_for_the_lecturer(both):
    outcomes, _, _, course = both
    right = outcomes["right"]
    assert (right.score, right.max_score, right.manual_points, right.tests_passed) == (5, 9, 4, True)
    table = summary_table(list(outcomes.values()))
    assert "5 / 9" in table and "Written answers (4 of the points) are graded by hand" in table
    page = next(p for p in write_feedback(course, ASSIGNMENT, ["right"])).read_text()
    assert "explain" in page and "your lecturer grades it by hand" in page
    assert "Score: <b>5 / 9</b> (4 of them for written answers not graded yet)" in page


def test_the_feedback_page_needs_no_emoji_font_and_shows_the_student_id(both):
    _, _, _, course = both
    page = next(p for p in write_feedback(course, ASSIGNMENT, ["half"])).read_text()
    assert "Student id: <b>half</b>" in page and "<svg" in page
    # Latin text, punctuation and dashes only: nothing a plain font (DejaVu, Liberation) lacks.
    assert all(ord(character) < 0x2100 for character in page), sorted({c for c in page if ord(c) >= 0x2100})
