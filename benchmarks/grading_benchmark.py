"""Grade the same 40 lab-01 submissions with plain `nbgrader autograde` and with
`course-grade autograde`, in the same run, and print submissions per minute for both.

    python benchmarks/grading_benchmark.py [--submissions 40] [--workers N]
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.autograde import autograde  # noqa: E402
from autograder.course_directory import ensure_assignment, run_nbgrader  # noqa: E402
from autograder.fill_solutions import fill_solutions  # noqa: E402

ASSIGNMENT = "01_backprop"
WRONG = '''
def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.mean(axis=0)
'''


def make_course(folder, count):
    course = ensure_assignment(folder, ASSIGNMENT)
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    student = nbformat.read(ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for number in range(count):  # three in four correct, the rest with a wrong backward pass
        notebook = fill_solutions(student, source, {"affine_backward": WRONG} if number % 4 == 3 else None)
        target = course / "submitted" / f"student{number:03d}" / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(notebook, target / f"{ASSIGNMENT}.ipynb")
    return course


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        plain = make_course(Path(scratch) / "plain", arguments.submissions)
        ours = make_course(Path(scratch) / "ours", arguments.submissions)

        started = time.perf_counter()
        run_nbgrader(plain, "autograde", ASSIGNMENT, "--log-level=ERROR")
        plain_seconds = time.perf_counter() - started

        started = time.perf_counter()
        outcomes = autograde(ours, ASSIGNMENT, workers=arguments.workers, progress=False)
        our_seconds = time.perf_counter() - started

    n = arguments.submissions
    assert len(outcomes) == n
    plain_rate, our_rate = 60 * n / plain_seconds, 60 * n / our_seconds
    print(f"{n} submissions of {ASSIGNMENT}, {os.cpu_count()} CPUs, course-grade with {arguments.workers} workers")
    print(f"{'grader':<26}{'seconds':>9}{'submissions/min':>17}")
    print(f"{'nbgrader autograde':<26}{plain_seconds:>9.1f}{plain_rate:>17.1f}")
    print(f"{'course-grade autograde':<26}{our_seconds:>9.1f}{our_rate:>17.1f}")
    print(f"speed-up: {our_rate / plain_rate:.2f}x")


if __name__ == "__main__":
    main()
