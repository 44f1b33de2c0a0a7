"""Grade the same 40 lab-01 submissions with plain `nbgrader autograde` and with
`course-grade autograde`, in the same run, and print submissions per minute for both.

Both are timed as a lecturer runs them: a command started from the shell, start-up included
(imports, worker processes, sandboxes, zygote preloads). A second line times ``autograde()``
called in this process, for comparison.

    python benchmarks/grading_benchmark.py [--submissions 40] [--workers N]
"""
import argparse
import os
import shutil
import subprocess
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


def course_grade_command():
    """``course-grade`` beside this Python (the installed console script), else ``python -m autograder``."""
    script = Path(sys.executable).parent / "course-grade"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autograder"]


def run_course_grade(course, workers):
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    started = time.perf_counter()
    subprocess.run(course_grade_command() + ["autograde", ASSIGNMENT, "--course", str(course), "--workers", str(workers)],
                   cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    arguments = parser.parse_args()
    n = arguments.submissions
    with tempfile.TemporaryDirectory() as scratch:
        plain = make_course(Path(scratch) / "plain", n)
        ours = make_course(Path(scratch) / "ours", n)
        in_process = Path(scratch) / "in-process"
        shutil.copytree(ours, in_process)

        started = time.perf_counter()
        run_nbgrader(plain, "autograde", ASSIGNMENT, "--log-level=ERROR")  # a subprocess, as from the shell
        plain_seconds = time.perf_counter() - started

        our_seconds = run_course_grade(ours, arguments.workers)

        started = time.perf_counter()
        outcomes = autograde(in_process, ASSIGNMENT, workers=arguments.workers, progress=False)
        in_process_seconds = time.perf_counter() - started
    assert len(outcomes) == n

    def line(name, seconds):
        return f"{name:<34}{seconds:>9.1f}{60 * n / seconds:>17.1f}{plain_seconds / seconds:>10.2f}x"

    print(f"{n} submissions of {ASSIGNMENT}, {os.cpu_count()} CPUs, course-grade with {arguments.workers} workers")
    print(f"{'grader':<34}{'seconds':>9}{'submissions/min':>17}{'speed-up':>11}")
    print(line("nbgrader autograde (command)", plain_seconds))
    print(line("course-grade autograde (command)", our_seconds))
    print(line("autograde() in this process", in_process_seconds))


if __name__ == "__main__":
    main()
