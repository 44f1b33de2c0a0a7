"""One notebook never stops a run: malformed metadata of every type, JSON nested 100,000 deep,
a garbage ``timestamp.txt``; each is that submission's zero (or its honest score, when the
damage is only to what the grader restores), and every submission after it is graded, on this
run and on the next."""
import copy
import json

import pytest

from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.sandbox import Limits
from tests.autograder.submissions import ASSIGNMENT, _index, _solved, write_submission

LIMITS = Limits(cell_timeout=15, notebook_timeout=120, memory_mb=1500)


def _damaged(grade_id, change):
    notebook = json.loads(json.dumps(_solved()))
    change(notebook["cells"][_index(_solved(), grade_id)])
    return json.dumps(notebook)


def _set(path, value):
    def change(cell):
        target = cell
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = copy.deepcopy(value)
    return change


BATCH = {  # student (graded in this order with one worker) -> (file content, expected score)
    "a_deep_json": ("[" * 100_000 + "]" * 100_000, 0),
    "b_nbgrader_string": (_damaged("test_affine_forward", _set(["metadata", "nbgrader"], "a string")), 16),
    "c_nbgrader_list": (_damaged("test_relu", _set(["metadata", "nbgrader"], [1, 2])), 16),
    "d_grade_id_dict": (_damaged("test_sigmoid", _set(["metadata", "nbgrader", "grade_id"], {"a": 1})), 16),
    "e_grade_id_number": (_damaged("test_affine_backward", _set(["metadata", "nbgrader", "grade_id"], 7)), 16),
    "f_metadata_list": (_damaged("imports", _set(["metadata"], ["not", "a", "dict"])), 0),  # nbformat cannot read it
    "g_nbgrader_null": (_damaged("test_two_layer_net", _set(["metadata", "nbgrader"], None)), 16),
    "h_bad_timestamp": (json.dumps(_solved()), 16),
    "i_source_number": (_damaged("check_relu_backward", _set(["source"], 12)), 16),
    "z_correct": (json.dumps(_solved()), 16),
}
TIMESTAMPS = {"h_bad_timestamp": b"\xff\xfe not a time at all 99:99", "z_correct": b"2026-01-02 10:00:00.000000 UTC"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("bad"), ASSIGNMENT)
    for student, (content, _) in BATCH.items():
        path = write_submission(course, student, content)
        if student in TIMESTAMPS:
            (path.parent / "timestamp.txt").write_bytes(TIMESTAMPS[student])
    first = {o.student: o for o in autograde(course, ASSIGNMENT, workers=1, limits=LIMITS, progress=False)}
    again = {o.student: o for o in autograde(course, ASSIGNMENT, workers=1, limits=LIMITS, progress=False)}
    return first, again


@pytest.mark.parametrize("student", list(BATCH))
def test_each_gets_its_score_and_the_run_goes_on(graded, student):
    first, again = graded
    assert first[student].score == BATCH[student][1], f"{student}: {first[student].notes}"
    assert again[student].skipped and again[student].score == first[student].score


def test_a_notebook_that_cannot_be_read_says_why(graded):
    first, _ = graded
    assert "nested too deeply" in first["a_deep_json"].notes
    assert "could not be read" in first["f_metadata_list"].notes


def test_damaged_metadata_is_named(graded):
    first, _ = graded
    assert "malformed" in first["b_nbgrader_string"].notes and "malformed" in first["d_grade_id_dict"].notes
