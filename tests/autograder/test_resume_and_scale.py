"""Grading survives an interruption without losing or doubling a grade, and runs on a Dask
cluster with the gradebook written in one place."""
import os
import signal
import subprocess
import sys
import time

from nbgrader.api import Gradebook

from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.gradebook import REPORT
from autograder.sandbox import Limits
from tests.autograder.processes import wait_until_gone
from tests.autograder.submissions import ASSIGNMENT, BATCH, write_batch
from tests.notebook_tools import ROOT

STUDENTS = ["correct", "wrong_backward", "untouched", "warnings", "deleted_test", "sys_exit", "duplicated", "reordered"]


def gradebook_rows(course):
    """Every submission in the gradebook with its score and its number of grades."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            submission.student.id: (submission.score, len(submission.notebooks[0].grades))
            for submission in gradebook.find_assignment(ASSIGNMENT).submissions
        }


def grade_command(course, *extra):
    return [sys.executable, "-m", "autograder", "autograde", ASSIGNMENT, "--course", str(course),
            "--workers", "2", "--cell-timeout", "30", *extra]


def test_killed_run_resumes_where_it_stopped(tmp_path):
    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    write_batch(course, STUDENTS)
    run = subprocess.Popen(grade_command(course), cwd=ROOT, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    reports = []
    while time.time() < deadline and len(reports) < 3 and run.poll() is None:
        time.sleep(0.2)
        reports = list((course / "autograded").glob(f"*/{ASSIGNMENT}/{REPORT}"))
    assert run.poll() is None, "the run finished before it could be interrupted"
    os.kill(run.pid, signal.SIGKILL)  # the coordinator alone: its workers and sandboxes must follow
    run.wait()
    assert wait_until_gone() == [], "processes started by grading outlived the killed coordinator"
    finished = {path: path.stat().st_mtime_ns for path in (course / "autograded").glob(f"*/{ASSIGNMENT}/{REPORT}")}
    assert 3 <= len(finished) < len(STUDENTS)

    rerun = subprocess.run(grade_command(course), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert rerun.stdout.count("(graded before)") == len(finished)
    for path, modified in finished.items():  # graded once, not again
        assert path.stat().st_mtime_ns == modified
    rows = gradebook_rows(course)
    assert rows == {student: (BATCH[student][1], 10) for student in STUDENTS}  # as an uninterrupted run


def test_grading_on_a_dask_cluster_writes_one_consistent_gradebook(tmp_path):
    from dask.distributed import Client, LocalCluster

    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    students = ["correct", "wrong_backward", "untouched", "os_exit"]
    write_batch(course, students)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            outcomes = autograde(course, ASSIGNMENT, scheduler=cluster.scheduler_address, progress=False,
                                 limits=Limits(cell_timeout=30))
            assert len(client.scheduler_info()["workers"]) == 2
    assert {o.student: o.score for o in outcomes} == {s: BATCH[s][1] for s in students}
    assert gradebook_rows(course) == {s: (BATCH[s][1], 10) for s in students}
    assert wait_until_gone(("autograder.sandbox.zygote",)) == []
