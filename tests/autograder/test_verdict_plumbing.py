"""Lab-01 submissions graded through `course-grade`, for what a verdict carries: a pass's note
(an input changed in place) in its message, its data and the class report; a solution that calls
the course's reference, failed with a mistake of its own; a cell that failed (a SyntaxError, an
exception before its functions were defined) said once, and the tests it spoils saying so."""
import html
import json
import subprocess
import sys

import pytest

from autograder import gradebook
from autograder.course_directory import ensure_assignment
from autograder.report import class_report
from tests.autograder.submissions import ASSIGNMENT, USES_REFERENCE, _answer, _index, _solved, write_submission
from tests.notebook_tools import ROOT

IN_PLACE_RELU = _answer("relu").replace("dx = dout * (x > 0)", "dx = dout\n    dx[x <= 0] = 0")
BROKEN_SIGMOID = _answer("sigmoid").replace("def sigmoid_forward(x)", "def sigmoid_forward(x)\n", 1)
RAISES_FIRST = "raise ValueError('not ready yet')\n" + _answer("relu")
IN_PLACE_NOTE = "relu_backward changes its input number 1 in place"  # the kernel's function shows no signature
REFERENCE_ID = "affine_backward/affine-backward/it-calls-the-course-s-reference-implementation"

SUBMISSIONS = {
    "in_place": _solved(relu=IN_PLACE_RELU),
    "in_place_too": _solved(relu=IN_PLACE_RELU),
    "reference": _solved(affine_backward=USES_REFERENCE),
    "syntax": _solved(sigmoid=BROKEN_SIGMOID),
    "raises_first": _solved(relu=RAISES_FIRST),
}


def _course_grade(*arguments):
    result = subprocess.run([sys.executable, "-m", "autograder", *arguments], cwd=ROOT, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    for student, notebook in SUBMISSIONS.items():
        write_submission(course, student, notebook)
    _course_grade("autograde", ASSIGNMENT, "--course", str(course), "--workers", "2", "--cell-timeout", "60")
    _course_grade("feedback", ASSIGNMENT, "--course", str(course))
    summary = _course_grade("report", ASSIGNMENT, "--course", str(course))
    return course, summary


def _record(course, student):
    return json.loads(gradebook.report_path(course, ASSIGNMENT, student).read_text())


def _verdict(course, student, grade_id):
    return next(v for v in _record(course, student)["verdicts"] if v["grade_id"] == grade_id)


def _feedback(course, student):
    return html.unescape((course / "feedback" / student / ASSIGNMENT / "feedback.html").read_text())


def test_an_input_changed_in_place_passes_with_a_note_in_the_verdict(graded):
    course, _ = graded
    record = _record(course, "in_place")
    assert all(v["status"] == "passed" for v in record["verdicts"]), record["verdicts"]
    assert record["score"] == sum(v["max_points"] for v in record["verdicts"])
    relu = _verdict(course, "in_place", "test_relu")
    assert relu["message"].startswith(f"Note: {IN_PLACE_NOTE}; fine here, but where the same array feeds two")
    assert [note["id"] for note in relu["notes"]] == ["relu_backward/relu-backward/it-changes-its-input-in-place"]
    assert IN_PLACE_NOTE in _feedback(course, "in_place")
    assert all(not v["notes"] for v in record["verdicts"] if v["grade_id"] != "test_relu")


def test_the_class_report_counts_notes_beside_passes_not_as_failures(graded):
    course, summary = graded
    relu = next(e for e in class_report(course, ASSIGNMENT).exercises if e.grade_id == "test_relu")
    assert [(n.id, sorted(n.students)) for n in relu.notes] == \
        [("relu_backward/relu-backward/it-changes-its-input-in-place", ["in_place", "in_place_too"])]
    assert {"in_place", "in_place_too"} <= set(relu.passed) and not {"in_place", "in_place_too"} & set(relu.failed)
    assert "Notes beside passes (not failures):" in summary and f"    2  test_relu: {IN_PLACE_NOTE}" in summary
    page = (course / f"report-{ASSIGNMENT}.html").read_text()
    assert 'data-note-id="relu_backward/relu-backward/it-changes-its-input-in-place"><td class="count">2</td>' in page


def test_a_solution_that_calls_the_reference_fails_with_a_mistake_the_report_names(graded):
    course, summary = graded
    verdict = _verdict(course, "reference", "test_affine_backward")
    assert verdict["status"] == "failed" and verdict["mistake_id"] == REFERENCE_ID
    assert verdict["mistake"] == "affine_backward: it calls the course's reference implementation"
    assert "course.layers.affine.affine_backward is not available while grading" in verdict["message"]
    backward = next(e for e in class_report(course, ASSIGNMENT).exercises if e.grade_id == "test_affine_backward")
    assert [(m.id, m.students) for m in backward.mistakes] == [(REFERENCE_ID, ["reference"])]
    assert "reference" not in backward.undiagnosed
    assert "test_affine_backward: affine_backward: it calls the course's reference implementation" in summary


def test_a_syntax_error_is_said_once_with_its_cell_and_line_and_the_tests_point_to_it(graded):
    course, _ = graded
    record = _record(course, "syntax")
    cell = _index(SUBMISSIONS["syntax"], "sigmoid") + 1
    about = [d for d in record["defects"] if "SyntaxError" in d]
    assert about == [f"Your answer to 'Exercise 4: sigmoid (2 points, and 1 for stability)' (cell 'sigmoid', cell {cell}, "
                     "which starts 'def sigmoid_forward(x)') has a SyntaxError on line 1 of the cell "
                     "(`def sigmoid_forward(x)`: expected ':'), so none of that cell ran."]
    assert not any("is not defined" in d for d in record["defects"]), record["defects"]
    spoiled = [v for v in record["verdicts"] if v["status"] == "failed"]
    assert {v["grade_id"] for v in spoiled} == {"test_sigmoid", "test_sigmoid_stable"}
    for verdict in spoiled:
        assert verdict["message"] == (f"Not graded: the cell defining sigmoid_forward (cell {cell}, which starts "
                                      "'def sigmoid_forward(x)') has a SyntaxError (see above).")
    page = _feedback(course, "syntax")
    assert "renamed or deleted" not in page and page.count("has a SyntaxError on line 1") == 1


def test_a_cell_that_raised_before_defining_its_functions_is_named_by_the_tests(graded):
    course, _ = graded
    record = _record(course, "raises_first")
    cell = _index(SUBMISSIONS["raises_first"], "relu") + 1
    assert [d for d in record["defects"] if "ValueError" in d] == \
        ["The cell 'relu' raised ValueError: not ready yet; the code after that point did not run."]
    relu = _verdict(course, "raises_first", "test_relu")
    assert relu["message"] == (f"Not graded: the cell defining relu_forward (cell {cell}, which starts "
                               "'raise ValueError('not ready yet')') raised ValueError before defining it (see above).")
