"""Grade one submission: read it, mend its structure, run it in a sandbox, judge each test.

``grade_submission(job)`` is what a worker process (or a Dask worker) runs. It takes plain data
and returns plain data, so that the gradebook can be written in one place by the caller.
"""
import dataclasses
import hashlib
import json
import multiprocessing.util
import os
import tempfile
import time
from pathlib import Path

import nbformat

from .execute import ERROR, NOT_RUN, OK, execute_notebook, read_notebook_text
from .repair import repair
from .sandbox.guard import cell_hash
from .sandbox.kernels import KernelSupply

PASSED, FAILED = "passed", "failed"


@dataclasses.dataclass
class Job:
    student: str
    assignment: str
    notebook: str  # notebook name without .ipynb
    notebook_text: str  # the submitted file's content (jobs carry data, not paths, to any worker)
    source_cells: list  # [SourceCell], the lab's known cells in order
    limits: object


@dataclasses.dataclass
class TestVerdict:
    grade_id: str
    points: float
    max_points: float
    status: str  # PASSED or FAILED
    message: str = ""


@dataclasses.dataclass
class Result:
    student: str
    assignment: str
    notebook: str
    verdicts: list
    defects: list
    notebook_json: str  # the graded notebook, with outputs ("" when it could not be read)
    seconds: float = 0.0
    stopped: str = ""

    @property
    def score(self):
        return sum(v.points for v in self.verdicts)

    @property
    def max_score(self):
        return sum(v.max_points for v in self.verdicts)


def _plan_file(source_cells):
    """The guard's plan, written once per worker: which cells are tests (by content hash, so the
    plan does not carry hidden tests' code) and what each forbids."""
    tests = {cell_hash(c.source): {"grade_id": c.grade_id, "forbid": list(c.forbid)} for c in source_cells if c.is_test}
    text = json.dumps({"tests": tests}, sort_keys=True)
    path = Path(tempfile.gettempdir()) / f"course-grader-plan-{os.getpid()}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    if not path.exists():
        path.write_text(text)
    return str(path)


def explain(outcome):
    """One sentence for a failed test from the kernel's error."""
    if outcome.status == NOT_RUN:
        return f"This test did not run: {outcome.error_value}."
    if outcome.error_name == "NotImplementedError":
        return "Not implemented yet (the code still raises NotImplementedError)."
    if outcome.error_name in ("CheckFailed", "AssertionError") and outcome.error_value:
        return outcome.error_value
    return f"{outcome.error_name}: {outcome.error_value}".strip(": ")


def _judge(notebook, report, source_cells):
    records = {r["grade_id"]: r for r in report.guard_records}
    positions = {cell.metadata.get("nbgrader", {}).get("grade_id"): i for i, cell in enumerate(notebook.cells)}
    verdicts = []
    for source_cell in source_cells:
        if not source_cell.is_test:
            continue
        index = positions[source_cell.grade_id]
        outcome = report.outcomes.get(index)
        record = records.get(source_cell.grade_id)
        if outcome is None or outcome.status != OK:
            message = explain(outcome) if outcome else "This test did not run."
        elif record is None:
            message = "This test ran without the grader's guard (the kernel's event hooks were changed), so it cannot be trusted."
        elif record["violations"]:
            rule = " and ".join(source_cell.forbid)
            message = (f"Policy: code for this exercise must not use {rule}, but it called "
                       f"{', '.join(record['violations'][:3])}.")
        else:
            verdicts.append(TestVerdict(source_cell.grade_id, source_cell.points, source_cell.points, PASSED))
            _mark_passed(notebook.cells[index])
            continue
        verdicts.append(TestVerdict(source_cell.grade_id, 0.0, source_cell.points, FAILED, message))
        _mark_failed(notebook.cells[index], message)
    return verdicts


def _mark_failed(cell, message):
    """Make sure nbgrader's own scoring (any error output = 0 points) sees the failure."""
    if not any(o.output_type == "error" for o in cell.get("outputs", [])):
        cell.outputs.append(nbformat.v4.new_output("error", ename="GradingError", evalue=message, traceback=[message]))


def _mark_passed(cell):
    """stderr output (warnings) does not cost points: drop it from a passing test cell."""
    cell.outputs = [o for o in cell.outputs
                    if not (o.output_type == "stream" and o.name == "stderr") and o.output_type != "error"]


def _cell_errors(notebook, report, limits):
    """Sentences about cells other than tests that failed: they explain the tests that follow."""
    sentences = []
    for index, outcome in sorted(report.outcomes.items()):
        meta = notebook.cells[index].metadata.get("nbgrader", {})
        if outcome.status != ERROR or meta.get("grade"):
            continue
        where = f"The cell '{meta['grade_id']}'" if meta.get("grade_id") else f"Cell {index + 1}"
        if outcome.error_name == "TimeoutError":
            sentences.append(f"{where} ran longer than the limit of {limits.cell_timeout:g} s and was interrupted.")
        elif meta.get("grade_id") and outcome.error_name != "NotImplementedError":
            sentences.append(f"{where} raised {outcome.error_name}: {outcome.error_value}".rstrip(": ") +
                             "; the code after that point did not run.")
    return sentences


def _zero(job, defects, started, notebook_json=""):
    verdicts = [TestVerdict(c.grade_id, 0.0, c.points, FAILED, defects[-1]) for c in job.source_cells if c.is_test]
    return Result(job.student, job.assignment, job.notebook, verdicts, defects, notebook_json, time.monotonic() - started)


_supplies = {}


def _kernel_for(job):
    key = (_plan_file(job.source_cells), job.limits)
    if key not in _supplies:
        if not _supplies:  # worker processes end with os._exit: atexit would not run
            multiprocessing.util.Finalize(None, close_kernels, exitpriority=10)
        _supplies[key] = KernelSupply(*key)
    return _supplies[key].take()


def grade_submission(job):
    """Grade one submitted notebook; never raises for anything the submission does."""
    started = time.monotonic()
    try:
        notebook = read_notebook_text(job.notebook_text)
    except ValueError as error:
        return _zero(job, [f"The submission could not be graded: {error}."], started)
    notebook, defects = repair(notebook, job.source_cells)
    try:
        kernel = _kernel_for(job)
    except RuntimeError as error:
        return _zero(job, defects + [f"The grader could not start a kernel: {error}."], started)
    try:
        report = execute_notebook(notebook, kernel, job.limits)
    finally:
        kernel.dispose()
    defects.extend(_cell_errors(notebook, report, job.limits))
    if report.stopped:
        defects.append(f"{report.stopped[0].upper()}{report.stopped[1:]}; the cells after that point did not run.")
    restored = sorted({name for record in report.guard_records for name in record.get("restored", [])})
    if restored:
        defects.append("The notebook replaced parts of the checking machinery (" + ", ".join(restored[:5]) +
                       ("…" if len(restored) > 5 else "") + "); they were put back before each test ran.")
    verdicts = _judge(notebook, report, job.source_cells)
    return Result(job.student, job.assignment, job.notebook, verdicts, defects, nbformat.writes(notebook),
                  time.monotonic() - started, report.stopped)


def close_kernels():
    for supply in _supplies.values():
        supply.close()
    _supplies.clear()
