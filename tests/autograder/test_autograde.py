"""`course-grade autograde` on a batch of troublesome lab-01 submissions: every one gets the
score and the explanation it deserves, and the batch completes."""
import csv

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.autograde import autograde, summary_table
from autograder.course_directory import ensure_assignment
from autograder.export import export_grades
from autograder.feedback import write_feedback
from autograder.fill_solutions import fill_solutions
from autograder.sandbox import Limits
from tests.autograder.submissions import ASSIGNMENT, BATCH, write_batch
from tests.notebook_tools import SOLUTIONS, read, student_version

LIMITS = Limits(cell_timeout=15, notebook_timeout=120, memory_mb=1500)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    write_batch(course)
    outcomes = autograde(course, ASSIGNMENT, workers=2, limits=LIMITS, progress=False)
    return course, {o.student: o for o in outcomes}


@pytest.mark.parametrize("student", list(BATCH))
def test_each_submission_gets_the_score_it_deserves(graded, student):
    _, outcomes = graded
    expected = BATCH[student][1]
    assert outcomes[student].score == expected, f"{student}: {outcomes[student].notes}"


def test_gradebook_holds_the_same_scores(graded):
    course, outcomes = graded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, outcome in outcomes.items():
            assert gradebook.find_submission(ASSIGNMENT, student).score == outcome.score


@pytest.mark.parametrize("student", [s for s, (_, _, phrase) in BATCH.items() if phrase])
def test_feedback_explains_what_went_wrong(graded, student):
    course, _ = graded
    write_feedback(course, ASSIGNMENT)
    page = (course / "feedback" / student / ASSIGNMENT / "feedback.html").read_text()
    assert BATCH[student][2] in page


def test_feedback_never_shows_hidden_tests(graded):
    course, _ = graded
    write_feedback(course, ASSIGNMENT)
    for page in (course / "feedback").rglob("feedback.html"):
        text = page.read_text()
        assert "seed=2024" not in text and "HIDDEN" not in text


def test_warnings_on_stderr_cost_nothing(graded):
    course, outcomes = graded
    assert outcomes["warnings"].score == 16 and outcomes["warnings"].notes == ""


def test_export_has_one_row_per_student_and_a_column_per_exercise(graded, tmp_path):
    course, outcomes = graded
    path, rows = export_grades(course, ASSIGNMENT, tmp_path / "grades.csv")
    table = {row["student"]: row for row in csv.DictReader(path.open())}
    assert rows == len(BATCH) and set(table) == set(BATCH)
    assert float(table["wrong_backward"]["test_affine_backward"]) == 0
    assert float(table["wrong_backward"]["test_affine_forward"]) == 2
    assert float(table["correct"]["score"]) == 16


def test_summary_table_lists_everyone(graded):
    _, outcomes = graded
    table = summary_table(list(outcomes.values()))
    assert all(student in table for student in BATCH)
    assert f"{len(BATCH)} submissions" in table.splitlines()[-1]


def test_a_second_run_grades_nothing_again(graded):
    course, outcomes = graded
    again = autograde(course, ASSIGNMENT, workers=2, limits=LIMITS, progress=False)
    assert all(o.skipped for o in again)
    assert {o.student: o.score for o in again} == {s: o.score for s, o in outcomes.items()}


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.parent.name)
def test_every_lab_solved_gets_full_marks_and_untouched_gets_zero(source, tmp_path):
    assignment = source.parent.name
    course = ensure_assignment(tmp_path / "course", assignment)
    student = read(student_version(source))
    for name, notebook in {"solved": fill_solutions(student, read(source)), "untouched": student}.items():
        folder = course / "submitted" / name / assignment
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / source.name)
    limits = Limits(cell_timeout=240, notebook_timeout=900, memory_mb=3000)  # a PyTorch lab trains for a minute
    outcomes = {o.student: o for o in autograde(course, assignment, workers=2, limits=limits, progress=False)}
    solved = outcomes["solved"]  # every test passed; the written answers wait for the lecturer
    assert solved.score == solved.max_score - solved.manual_points > 0 and solved.tests_passed, solved.notes
    assert outcomes["untouched"].score == 0
