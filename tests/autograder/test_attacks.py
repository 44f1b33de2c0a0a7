"""Submissions that attack the grader (see tests/autograder/attacks.py): each gets the score it
deserves, the hidden tests stay hidden, the gradebook is written only by the grader, and
nothing a kernel started outlives the run."""
import json
import socket
import time
import uuid

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.feedback import write_feedback
from autograder.sandbox import Limits
from tests.autograder import attacks
from tests.autograder.processes import grading_processes
from tests.autograder.submissions import ASSIGNMENT, write_submission

LIMITS = Limits(cell_timeout=15, notebook_timeout=120, memory_mb=1500)
# Hidden tests' code: what no feedback page and no visible output may contain.
HIDDEN = ("seed=2024", "seed=77", "seed=78", "seed=4242", "seed=999", "seed=31337", "seed=123", "HIDDEN")
SOLUTION_CODE = ("dout.sum(axis=0)", "BEGIN SOLUTION", "np.maximum(x, 0)")


def _processes(*needles):
    """``{pid: cmdline}`` of the processes on this machine whose command line has a needle."""
    return dict(grading_processes(needles))


def _leftovers(zygotes_before):
    """Processes of this run still alive (after a grace period for the workers to exit)."""
    deadline = time.monotonic() + 10
    while True:
        left = {pid: cmd for pid, cmd in _processes("autograder.sandbox.zygote").items() if pid not in zygotes_before}
        left.update(_processes(attacks.MARKER, f"sleep {attacks.SLEEP_MARKER}"))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _scores(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        rows = {}
        for submission in gradebook.find_assignment(ASSIGNMENT).submissions:
            grades = submission.notebooks[0].grades
            rows[submission.student.id] = (submission.score, tuple(sorted((g.name, g.auto_score, g.manual_score)
                                                                          for g in grades)))
        return rows


def _grade(tmp_path_factory, name, batch, workers):
    course = ensure_assignment(tmp_path_factory.mktemp(name), ASSIGNMENT)
    for student, (notebook, _) in batch.items():
        write_submission(course, student, notebook)
    zygotes_before = set(_processes("autograder.sandbox.zygote"))
    started = time.monotonic()
    outcomes = autograde(course, ASSIGNMENT, workers=workers, limits=LIMITS, progress=False)
    seconds = time.monotonic() - started
    scores_after_run = _scores(course)
    leftovers = _leftovers(zygotes_before)
    write_feedback(course, ASSIGNMENT)
    return {"course": course, "outcomes": {o.student: o for o in outcomes}, "batch": batch, "seconds": seconds,
            "scores_after_run": scores_after_run, "leftovers": leftovers}


@pytest.fixture(scope="module")
def listeners():
    """A TCP server on this machine's loopback and an abstract Unix socket: nobody may reach them."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    tcp.setblocking(False)
    abstract = f"\0{attacks.MARKER}-{uuid.uuid4().hex[:6]}"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(abstract)
    unix.listen(8)
    unix.setblocking(False)
    yield tcp, unix, abstract
    tcp.close()
    unix.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listeners):
    tcp, _, abstract = listeners
    return _grade(tmp_path_factory, "attacks", attacks.main_batch(tcp.getsockname()[1], abstract), workers=2)


@pytest.fixture(scope="module")
def graded_in_order(tmp_path_factory):
    return _grade(tmp_path_factory, "ordered", attacks.ordered_batch(), workers=1)


def _page(run, student):
    return (run["course"] / "feedback" / student / ASSIGNMENT / "feedback.html").read_text()


def _visible_outputs(run, student):
    """The outputs of the autograded notebook (what a student may be shown), as text."""
    path = run["course"] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    return json.dumps([cell.get("outputs", []) for cell in notebook.cells if cell.cell_type == "code"])


MAIN_STUDENTS = list(attacks.main_batch(0, "\0x"))
@pytest.mark.parametrize("student", MAIN_STUDENTS)
def test_each_attack_gets_the_score_it_deserves(graded, student):
    outcome = graded["outcomes"][student]
    assert outcome.score == graded["batch"][student][1], f"{student}: {outcome.notes}"


@pytest.mark.parametrize("student", MAIN_STUDENTS)
def test_no_hidden_test_code_and_no_solution_in_feedback_or_outputs(graded, student):
    secrets = HIDDEN + (SOLUTION_CODE if graded["batch"][student][1] == 0 else ())  # else its own code has them
    for text in (_page(graded, student), _visible_outputs(graded, student)):
        for secret in secrets:
            assert secret not in text, f"{student}: {secret!r} is visible"


def test_forged_results_fail_every_exercise(graded):
    report = json.loads((graded["course"] / "autograded" / "forged_results" / ASSIGNMENT / "grading_report.json").read_text())
    assert [v["status"] for v in report["verdicts"]] == ["failed"] * 7  # every test of lab 01


def test_solutions_are_not_found_on_disk(graded):
    assert "solutions found: 0" in _page(graded, "read_solutions")


def test_the_stack_holds_no_test_code(graded):
    page = _page(graded, "stack_leak")
    assert "affine_backward raised RuntimeError" in page  # the harvest did reach the feedback
    assert "check_affine_backward(affine_forward, affine_backward" not in page


def test_network_is_refused(graded, listeners):
    tcp, unix, _ = listeners
    page = _page(graded, "network")
    assert "network: " in page and "CONNECTED" not in page and "SENT" not in page
    for server in (tcp, unix):
        with pytest.raises(BlockingIOError):
            server.accept()


def test_gradebook_is_unchanged_after_the_run(graded):
    time.sleep(5)  # the orphan would have written after 4 s
    assert _scores(graded["course"]) == graded["scores_after_run"]
    for student, (score, grades) in graded["scores_after_run"].items():
        assert score == graded["outcomes"][student].score
        assert all(manual is None for _, _, manual in grades), student


def test_nothing_started_by_grading_is_left_running(graded):
    assert graded["leftovers"] == {}
    assert _processes(attacks.MARKER, f"sleep {attacks.SLEEP_MARKER}") == {}


def test_neighbours_do_not_disturb_other_students(graded):
    outcomes = graded["outcomes"]
    assert outcomes["correct"].score == 16 and outcomes["wrong_backward"].score == 10
    assert "disabled" not in outcomes["correct"].notes


@pytest.mark.parametrize("student", list(attacks.ordered_batch()))
def test_kernels_one_after_another_get_their_scores(graded_in_order, student):
    outcome = graded_in_order["outcomes"][student]
    assert outcome.score == graded_in_order["batch"][student][1], f"{student}: {outcome.notes}"


def test_files_do_not_pass_from_one_kernel_to_the_next(graded_in_order):
    page = _page(graded_in_order, "b_reads_planted_files")
    assert "planted files: none" in page, page[page.find("planted files"):][:300]


def test_memory_in_dev_shm_cannot_exceed_the_limit(graded_in_order):
    notes = graded_in_order["outcomes"]["c_dev_memory_hog"].notes
    outputs = _visible_outputs(graded_in_order, "c_dev_memory_hog")
    assert "was not stopped" not in outputs
    assert "memory limit" in notes or "No space left on device" in outputs, (notes, outputs[-500:])


def test_nothing_left_running_after_the_ordered_run(graded_in_order):
    assert graded_in_order["leftovers"] == {}


def test_a_kernel_that_chokes_the_reader_does_not_stop_the_batch(tmp_path_factory):
    run = _grade(tmp_path_factory, "choking", attacks.reader_choking_batch(), workers=2)
    for student, (_, expected) in run["batch"].items():
        assert run["outcomes"][student].score == expected, student
    assert run["leftovers"] == {}
    assert "holds more than" in run["outcomes"]["big_valid_json_frame"].notes


def test_a_constructor_in_name_only_cannot_rewrite_the_judges_inputs(graded):
    verdicts = {v["grade_id"]: v["status"] for v in _report(graded, "constructor_forgery")["verdicts"]}
    assert verdicts["test_affine_forward"] == "passed" and verdicts["test_affine_backward"] == "failed"


def _report(run, student):
    return json.loads((run["course"] / "autograded" / student / ASSIGNMENT / "grading_report.json").read_text())


@pytest.fixture(scope="module")
def bounded(tmp_path_factory):
    return _grade(tmp_path_factory, "bounds", attacks.bounds_batch(), workers=2)


@pytest.mark.parametrize("student", list(attacks.bounds_batch()))
def test_limit_attacks_get_the_score_they_deserve(bounded, student):
    outcome = bounded["outcomes"][student]
    assert outcome.score == bounded["batch"][student][1], f"{student}: {outcome.notes}"


def test_memory_in_a_memfd_counts_against_the_limit(bounded):
    assert "memory limit" in bounded["outcomes"]["memfd_hog"].notes
    assert "was not stopped" not in _visible_outputs(bounded, "memfd_hog")


def test_half_a_reply_ends_the_kernel_at_the_cell_limit(bounded):
    assert "did not finish it within the limit of 15 s" in bounded["outcomes"]["half_frame_stall"].notes
    assert _report(bounded, "half_frame_stall")["seconds"] < LIMITS.cell_timeout + 20


def test_a_kernel_that_ignores_every_signal_ends_with_all_its_processes(bounded):
    assert "did not stop when interrupted" in bounded["outcomes"]["never_exits"].notes
    assert _report(bounded, "never_exits")["seconds"] < LIMITS.cell_timeout + 30
    assert bounded["leftovers"] == {}
