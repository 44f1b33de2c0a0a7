"""Formgrader and course-grade share one record: nbgrader's own autograde (formgrader's
"autograde" button, here `nbgrader autograde --student bob --force` in the grading folder) replaces
course-grade's folder for that student; the next course-grade command notices, repairs, and never
drops the student. The feedback page shows formgrader's hand grades, overrides and comments."""
import csv
import html
import subprocess
import sys

from nbgrader.api import Gradebook

from autograder import gradebook
from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment, run_nbgrader
from autograder.sandbox import Limits
from tests.autograder.submissions import ASSIGNMENT, write_batch
from tests.notebook_tools import ROOT


def course_grade(course, *arguments):
    return subprocess.run([sys.executable, "-m", "autograder", *arguments, "--course", str(course)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_formgraders_autograde_is_noticed_and_repaired_and_its_grades_reach_the_feedback(tmp_path):
    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    write_batch(course, ["correct", "wrong_backward"])
    autograde(course, ASSIGNMENT, workers=2, limits=Limits(cell_timeout=60), progress=False)
    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as book:  # formgrader's writes
        override = book.find_grade("test_affine_backward", ASSIGNMENT, ASSIGNMENT, "wrong_backward")
        override.manual_score, override.needs_manual_grade = 2.0, False
        answer = book.find_grade("explain_random_upstream", ASSIGNMENT, ASSIGNMENT, "wrong_backward")
        answer.manual_score, answer.extra_credit = 1.0, 0.5
        book.find_comment("explain_random_upstream", ASSIGNMENT, ASSIGNMENT, "wrong_backward").manual_comment = \
            "Close: say why a uniform dout hides <b>errors</b>."
        book.find_comment("affine_backward", ASSIGNMENT, ASSIGNMENT, "wrong_backward").manual_comment = \
            "db sums over the batch."
        book.db.commit()

    run_nbgrader(course, "autograde", ASSIGNMENT, "--student", "wrong_backward", "--force")
    assert not gradebook.report_path(course, ASSIGNMENT, "wrong_backward").exists()  # nbgrader removed it
    with Gradebook(db) as book:  # tamper with what nbgrader's in-kernel run wrote: the repair must undo it
        book.find_grade("test_relu", ASSIGNMENT, ASSIGNMENT, "wrong_backward").auto_score = 0.0
        book.db.commit()

    exported = course_grade(course, "export", ASSIGNMENT)
    assert exported.returncode == 0, exported.stderr
    assert ("  repaired: wrong_backward: nbgrader's own autograde (formgrader's button) graded it again, running its "
            "tests in the student's kernel; course-grade's grades of the same submission were put back (hand grades "
            "untouched).") in exported.stdout
    assert "Wrote 2 student(s)" in exported.stdout
    rows = {row["student"]: row for row in csv.DictReader((course / f"grades-{ASSIGNMENT}.csv").open())}
    assert float(rows["wrong_backward"]["score"]) == 10 + 2 + 1 + 0.5  # the judge's 10, the override, the answer
    assert float(rows["wrong_backward"]["test_relu"]) == 2
    assert gradebook.report_path(course, ASSIGNMENT, "wrong_backward").exists()

    again = course_grade(course, "export", ASSIGNMENT)
    assert "repaired" not in again.stdout  # noticed once, repaired once

    feedback = course_grade(course, "feedback", ASSIGNMENT)
    assert "Wrote 2 feedback page(s)" in feedback.stdout, feedback.stderr
    page = html.unescape((course / "feedback" / "wrong_backward" / ASSIGNMENT / "feedback.html").read_text())
    assert "Changed by your lecturer: 2 points instead of the 0 the test gave." in page
    assert "failed (changed by your lecturer)" in page
    assert "Your lecturer: Close: say why a uniform dout hides <b>errors</b>." in page  # escaped, shown as text
    assert "<b>errors</b>" not in (course / "feedback" / "wrong_backward" / ASSIGNMENT / "feedback.html").read_text()
    assert "Your lecturer: db sums over the batch." in page
    assert "1 / 2 + 0.5 extra" in page
    assert "Score: <b>13.5 / 20</b>" in page

    graded = course_grade(course, "autograde", ASSIGNMENT, "--workers", "1")
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert "(graded before)" in next(line for line in graded.stdout.splitlines() if line.startswith("wrong_backward"))


def test_a_student_graded_only_by_nbgrader_is_exported_and_named_then_graded_in_the_sandbox(tmp_path):
    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    write_batch(course, ["correct"])
    run_nbgrader(course, "autograde", ASSIGNMENT, "--student", "correct", "--force")
    exported = course_grade(course, "export", ASSIGNMENT)
    assert ("repaired: correct: graded by nbgrader's own autograde only (its tests ran in the student's kernel, "
            f"unprotected); `course-grade autograde {ASSIGNMENT}` grades it in the sandbox.") in exported.stdout
    rows = list(csv.DictReader((course / f"grades-{ASSIGNMENT}.csv").open()))
    assert [row["student"] for row in rows] == ["correct"] and "nbgrader's own autograde only" in rows[0]["notes"]
    graded = course_grade(course, "autograde", ASSIGNMENT, "--workers", "1")
    assert "16 / 20" in graded.stdout and gradebook.report_path(course, ASSIGNMENT, "correct").exists()
