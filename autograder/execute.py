"""Run one submission: its cells in the sandboxed kernel, its tests in the judge, in order.

Every cell that is not a test goes to the kernel as the student wrote it. At each test cell the
judge takes over: the lab's test code (hidden tests included, from the source notebook) runs
here, calling the student's functions in the kernel as they are at that point of the notebook.
A kernel that dies or is killed leaves the cells that ran with their results; the rest are
marked "did not run", with the reason.
"""
import dataclasses
import json
import time

import nbformat

from .judge.remote import Kernel, KernelGone
from .judge.test_cells import (INSIDE, KERNEL_DIED, MEMORY, OUTSIDE, TIMEOUT, TestOutcome, judge_outside,
                               judged_outside)
from .lecturer_view import clear_outputs, for_lecturer, safe_outputs
from .sandbox.limits import Watchdog

OK, ERROR, NOT_RUN = "ok", "error", "not run"


@dataclasses.dataclass
class CellOutcome:
    status: str  # OK, ERROR or NOT_RUN
    error_name: str = ""
    error_value: str = ""


@dataclasses.dataclass
class ExecutionReport:
    outcomes: dict  # cell index -> CellOutcome, for every code cell that is not a test
    tests: dict  # cell index -> TestOutcome, for every test cell
    stopped: str = ""  # why execution stopped early, in words ("" if it ran to the end)
    peak_memory_mb: float = 0.0
    failure: str = ""  # why it stopped as data: KERNEL_DIED, TIMEOUT or MEMORY ("" if it ran to the end)

    @property
    def failures(self):
        """Every way the student's code did not finish: the stop, interrupted cells, timed-out calls."""
        kinds = {self.failure} | {TIMEOUT for o in self.outcomes.values() if o.error_name == "TimeoutError"}
        kinds |= {t.failure for t in self.tests.values()}
        return sorted(kinds - {""})


def _outputs(reply):
    """The cell's outputs as the graded notebook keeps them: plain text and PNG images, capped."""
    return safe_outputs(reply.get("outputs"))


def execute_notebook(notebook, kernel_process, tests, namespace, limits):
    """Run ``notebook`` (outputs filled in place). ``tests``: cell index -> the test's source code."""
    kernel = Kernel(kernel_process, call_timeout=limits.cell_timeout)
    outcomes, verdicts, stopped, failure = {}, {}, "", ""
    clear_outputs(notebook)  # only what the kernel returns now is shown, and nothing that runs (for_lecturer)
    with Watchdog(kernel_process, limits) as watchdog:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            started = time.monotonic()
            try:
                if index in tests:
                    verdicts[index] = _run_test(tests[index], namespace, kernel, kernel_process, limits)
                    cell.outputs = []
                else:
                    outcomes[index] = _run_cell(cell, kernel_process, limits)
            except KernelGone as gone:
                stopped = gone.args[0] if gone.args else "the kernel stopped"
                # killed after not stopping when interrupted, or it died by itself
                failure = TIMEOUT if time.monotonic() - started >= limits.cell_timeout else KERNEL_DIED
                break
    if watchdog.reason:
        stopped = f"grading stopped because {watchdog.reason}"
        failure = MEMORY if watchdog.peak_mb > limits.memory_mb else TIMEOUT
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if index in tests and index not in verdicts:
            verdicts[index] = TestOutcome(False, f"This test did not run: {stopped or 'the notebook stopped before it'}.",
                                          failure=failure)
        elif index not in tests and index not in outcomes:
            outcomes[index] = CellOutcome(NOT_RUN, "NotRun", stopped or "this cell did not run")
    for_lecturer(notebook)
    return ExecutionReport(outcomes, verdicts, stopped, watchdog.peak_mb, failure)


def _run_cell(cell, kernel_process, limits):
    if not cell.source.strip():
        return CellOutcome(OK)
    reply = kernel_process.request({"op": "run", "code": cell.source}, limits.cell_timeout)
    cell.outputs = _outputs(reply)
    if reply.get("ename") == "KeyboardInterrupt" or reply.get("ename") == "TimeoutError":
        return CellOutcome(ERROR, "TimeoutError", f"this cell ran longer than the limit of {limits.cell_timeout:g} s "
                                                  "and was interrupted")
    if reply.get("status") == "error":
        return CellOutcome(ERROR, str(reply.get("ename", ""))[:80], str(reply.get("evalue", ""))[:500])
    return CellOutcome(OK)


def _run_test(source, namespace, kernel, kernel_process, limits):
    if judged_outside(source, namespace):
        return judge_outside(source, namespace, kernel, limits.cell_timeout)
    reply = kernel_process.request({"op": "run", "code": source}, limits.cell_timeout)
    if reply.get("status") == "ok":
        return TestOutcome(True, where=INSIDE)
    name, value = str(reply.get("ename", "Error"))[:80], " ".join(str(reply.get("evalue", "")).split())[:300]
    if _quotes(value, source):  # the kernel saw this test's code: it must not come back in a message
        value = "(its message is withheld because it quotes the test's code)"
    if not value:
        return TestOutcome(False, "An assertion of this test failed." if name == "AssertionError" else name, where=INSIDE)
    return TestOutcome(False, f"{name}: {value}", where=INSIDE)


def _quotes(message, source):
    squeezed = " ".join(message.split())
    return any(len(line) >= 8 and line in squeezed for line in (" ".join(l.split()) for l in source.splitlines()))


def read_notebook_text(text):
    """Parse notebook JSON; raise ValueError with one sentence when it is not a notebook."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"the notebook file is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise ValueError("the notebook file is JSON nested too deeply to be a notebook") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ValueError("the file is JSON but not a Jupyter notebook (it has no list of cells)")
    try:
        return nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:
        raise ValueError(f"the notebook could not be read ({type(error).__name__}: {error})") from None


__all__ = ["ERROR", "INSIDE", "NOT_RUN", "OK", "OUTSIDE", "execute_notebook", "read_notebook_text"]
