"""nbgrader's own commands grade lab 01 in this repository's layout: a correct submission gets
full marks, the untouched student notebook zero, a wrong backward pass partial marks."""
import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.course_directory import prepare_course_directory, run_nbgrader
from autograder.fill_solutions import fill_solutions
from tests.autograder.submissions import WRONG_AFFINE_BACKWARD
from tests.notebook_tools import ROOT, read

ASSIGNMENT = "01_backprop"
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
STUDENT = ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = prepare_course_directory(tmp_path_factory.mktemp("course"))
    run_nbgrader(work, "generate_assignment", ASSIGNMENT, "--force")
    student, source = read(STUDENT), read(SOURCE)
    submissions = {
        "ada": fill_solutions(student, source),
        "bob": student,
        "cy": fill_solutions(student, source, {"affine_backward": WRONG_AFFINE_BACKWARD}),
    }
    for name, notebook in submissions.items():
        folder = work / "submitted" / name / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    run_nbgrader(work, "autograde", ASSIGNMENT, "--force")
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
        max_score = gradebook.find_assignment(ASSIGNMENT).max_score
        scores = {name: gradebook.find_submission(ASSIGNMENT, name).score for name in submissions}
        per_test = {
            name: {grade.name: grade.score for grade in gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, name).grades}
            for name in submissions
        }
    return max_score, scores, per_test


def test_correct_submission_gets_full_marks(graded):
    max_score, scores, _ = graded
    assert max_score == 20 and scores["ada"] == 16  # 4 of the 20 points are written answers


def test_untouched_student_notebook_gets_zero(graded):
    assert graded[1]["bob"] == 0


def test_wrong_backward_pass_gets_partial_marks(graded):
    _, scores, per_test = graded
    assert scores["cy"] == 10
    assert per_test["cy"]["test_affine_backward"] == 0 and per_test["cy"]["test_two_layer_net"] == 0
    assert per_test["cy"]["test_affine_forward"] == 2 and per_test["cy"]["test_softmax_cross_entropy"] == 3
