"""Messages a student can act on: a syntax error names the exercise and the line, a renamed
function says to keep the given names, and nothing is cut mid-word."""
import html

import pytest

from autograder.autograde import Outcome, autograde, shorten, summary_table
from autograder.course_directory import ensure_assignment
from autograder.feedback import write_feedback
from autograder.sandbox import Limits
from tests.autograder.submissions import ASSIGNMENT, STUDENT, _answer, _index, _solved, write_submission

BROKEN_SIGMOID = _answer("sigmoid").replace("def sigmoid_forward(x)", "def sigmoid_forward(x)\n", 1)
RENAMED = _answer("sigmoid").replace("def sigmoid_forward(", "def my_sigmoid(", 1)
NAIVE_LOG_SIGMOID = """
def log_sigmoid(x):
    return np.log(1 / (1 + np.exp(-x)))  # -inf at x = -1000: the log of a sigmoid that rounded to 0
"""
BLANK_SOFTMAX = STUDENT.cells[_index(STUDENT, "softmax_cross_entropy")].source  # as handed out


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    write_submission(course, "syntax", _solved(sigmoid=BROKEN_SIGMOID))
    write_submission(course, "renamed", _solved(sigmoid=RENAMED))
    write_submission(course, "naive_sigmoid", _solved(log_sigmoid=NAIVE_LOG_SIGMOID))
    write_submission(course, "blank_softmax", _solved(softmax_cross_entropy=BLANK_SOFTMAX))
    outcomes = autograde(course, ASSIGNMENT, workers=2, limits=Limits(cell_timeout=30), progress=False)
    write_feedback(course, ASSIGNMENT)
    read = lambda s: html.unescape((course / "feedback" / s / ASSIGNMENT / "feedback.html").read_text())  # noqa: E731
    return {o.student: o for o in outcomes}, {s: read(s) for s in ("syntax", "renamed", "blank_softmax", "naive_sigmoid")}


def test_a_syntax_error_names_the_exercise_the_line_and_that_the_cell_did_not_run(pages):
    outcomes, page = pages
    assert outcomes["syntax"].score == 13
    cell = _index(STUDENT, "sigmoid") + 1
    assert (f"Your answer to 'Exercise 4: sigmoid (2 points, and 1 for stability)' (cell 'sigmoid', cell {cell}, which "
            "starts 'def sigmoid_forward(x)') has a SyntaxError on line 1 of the cell (`def sigmoid_forward(x)`: "
            "expected ':'), so none of that cell ran.") in page["syntax"]
    assert ".py, line" not in page["syntax"]
    assert "is not defined" not in page["syntax"] and "renamed or deleted" not in page["syntax"]  # said once, above
    assert (f"Not graded: the cell defining sigmoid_forward (cell {cell}, which starts 'def sigmoid_forward(x)') has "
            "a SyntaxError (see above).") in page["syntax"]


def test_a_renamed_function_is_told_to_keep_the_given_names(pages):
    outcomes, page = pages
    assert outcomes["renamed"].score == 13
    assert "The notebook defines no 'sigmoid_forward': keep the names the exercise gives" in page["renamed"]


def test_the_function_that_failed_is_named_not_the_one_that_called_it(pages):
    page = pages[1]["blank_softmax"]
    assert "softmax_cross_entropy is not implemented yet (it raised NotImplementedError; " \
           "two_layer_net_loss calls it)" in page
    assert "two_layer_net_loss is not implemented yet" not in page


def test_an_unstable_log_sigmoid_is_seen_in_the_values_it_returns(pages):
    outcomes, page = pages
    assert "test_sigmoid_stable" in outcomes["naive_sigmoid"].notes
    assert "sigmoid_stable: log_sigmoid returned -inf for x = -" in page["naive_sigmoid"]
    assert outcomes["naive_sigmoid"].score == outcomes["naive_sigmoid"].max_score - outcomes["naive_sigmoid"].manual_points - 1


def test_notes_are_cut_at_a_word_boundary():
    text = "The cell 'relu' raised ValueError: operands could not be broadcast together with shapes"
    assert shorten(text, 40) == "The cell 'relu' raised ValueError…"
    assert shorten("short", 40) == "short"
    line = summary_table([Outcome("alice", 3, 15, "word " * 40)]).splitlines()[2]
    assert line.endswith(" word…") and len(line[line.index("word"):]) <= 100
