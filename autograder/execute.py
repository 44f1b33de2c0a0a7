"""Execute one notebook in a sandboxed kernel and say, for every cell, what happened.

Unlike nbgrader's executor the verdict of a cell comes from the kernel's reply (did the code
raise?), never from its output: a warning on stderr costs nothing, and hiding the traceback
display hides nothing. A kernel that dies or is killed by the watchdog leaves the cells that
ran with their results and marks the rest "did not run", with the reason.
"""
import dataclasses
import json

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .sandbox.limits import Watchdog

OK, ERROR, NOT_RUN = "ok", "error", "not run"


@dataclasses.dataclass
class CellOutcome:
    status: str  # OK, ERROR or NOT_RUN
    error_name: str = ""
    error_value: str = ""


@dataclasses.dataclass
class ExecutionReport:
    outcomes: dict  # cell index -> CellOutcome, for every code cell
    stopped: str = ""  # why execution stopped early, in words ("" if it ran to the end)
    guard_records: list = dataclasses.field(default_factory=list)
    peak_memory_mb: float = 0.0


def _timeout_reply(limits):
    return {"ename": "TimeoutError",
            "evalue": f"this cell ran longer than the limit of {limits.cell_timeout:g} s and was interrupted",
            "traceback": []}


def execute_notebook(notebook, kernel, limits):
    """Run ``notebook`` (modified in place: outputs) in the started sandbox ``kernel``."""
    outcomes = {}

    def on_cell_executed(cell, cell_index, execute_reply):
        content = (execute_reply or {}).get("content", {})
        if content.get("status") == "error":
            outcomes[cell_index] = CellOutcome(ERROR, content.get("ename", ""), content.get("evalue", ""))
        else:
            outcomes[cell_index] = CellOutcome(OK)

    client = NotebookClient(
        notebook, km=kernel, timeout=int(limits.cell_timeout), allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout=_timeout_reply(limits), record_timing=False, on_cell_executed=on_cell_executed,
        iopub_timeout=5, shutdown_kernel="immediate",
    )
    stopped = ""
    with Watchdog(kernel.pid, limits) as watchdog:
        try:
            with client.setup_kernel():
                for index, cell in enumerate(notebook.cells):
                    if cell.cell_type != "code":
                        continue
                    try:
                        client.execute_cell(cell, index)
                    except CellTimeoutError:
                        outcomes[index] = CellOutcome(ERROR, "TimeoutError", _timeout_reply(limits)["evalue"])
                    if index not in outcomes:  # an empty cell: nothing to judge
                        outcomes[index] = CellOutcome(OK)
        except DeadKernelError:
            stopped = "the kernel stopped"
        except Exception as error:  # the kernel could not be reached at all
            stopped = f"the kernel failed ({type(error).__name__}: {error})"
    if watchdog.reason:
        stopped = f"grading stopped because {watchdog.reason}"
    elif stopped == "the kernel stopped":
        stopped = "the kernel stopped (the code called os._exit, crashed Python, or was killed)"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and index not in outcomes:
            outcomes[index] = CellOutcome(NOT_RUN, "NotRun", stopped or "this cell did not run")
    return ExecutionReport(outcomes, stopped, _read_records(kernel.record_path), watchdog.peak_mb)


def _read_records(path):
    records = []
    try:
        with open(path) as lines:
            for line in lines:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return records


def read_notebook_text(text):
    """Parse notebook JSON; raise ValueError with one sentence when it is not a notebook."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"the notebook file is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ValueError("the file is JSON but not a Jupyter notebook (it has no list of cells)")
    try:
        return nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:
        raise ValueError(f"the notebook could not be read ({type(error).__name__}: {error})") from None
