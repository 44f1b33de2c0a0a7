"""Lab 08's running time: the whole solution notebook, and where the time goes, cell by cell.

    python benchmarks/lab08_benchmark.py                 # smoke size on a CPU
    COURSE_SMOKE=1 python benchmarks/lab08_benchmark.py  # smoke size on a GPU machine too

The total goes into the notebook's first cell ("the whole notebook takes about ..."); the slowest
cells show what to shrink when the smoke size runs over its target of about two minutes on a
2-core CPU. Measured, not asserted.
"""
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "solutions" / "08_recurrent" / "08_recurrent.ipynb"
SLOWEST = 5


def cell_seconds(cell):
    """Seconds a cell took, from the timestamps nbclient records (None when it did not run)."""
    timing = cell.metadata.get("execution", {})
    began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (began and ended):
        return None
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (parse(ended) - parse(began)).total_seconds()


def run(path=LAB):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True, record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - started


def report(notebook, seconds):
    outputs = [(index, output) for index, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])]
    printed = "".join(output.get("text", "") for _, output in outputs if output.output_type == "stream")
    failed = [f"cell {index}: {output.ename}" for index, output in outputs if output.output_type == "error"]
    size = "smoke" if "Smoke size" in printed else "full"
    print(f"lab 08, {size} size (COURSE_SMOKE={os.environ.get('COURSE_SMOKE', 'unset')}): {seconds:.1f} s in all, "
          f"kernel start included; cells that failed: {', '.join(failed) or 'none'}")
    timed = sorted(((cell_seconds(c), i) for i, c in enumerate(notebook.cells) if cell_seconds(c) is not None),
                   reverse=True)
    for cell_time, index in timed[:SLOWEST]:
        first_line = notebook.cells[index].source.splitlines()[0][:70]
        print(f"  {cell_time:6.1f} s  cell {index:2d}  {first_line}")
    for line in printed.splitlines():
        if line.startswith(("after ", "unigram", "Smoke size", "Full size")) or "exercises pass" in line:
            print("  " + line)
    return not failed


if __name__ == "__main__":
    sys.exit(0 if report(*run()) else 1)
