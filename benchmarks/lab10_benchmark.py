"""How long lab 10 (GANs) takes: runs the solution notebook top to bottom, prints the seconds in
all and the slowest cells, with the CPU seconds of this machine's load beside them.

    python benchmarks/lab10_benchmark.py            # smoke size on a CPU (COURSE_SMOKE unset there)
    COURSE_SMOKE=1 python benchmarks/lab10_benchmark.py

The figure goes into the notebook's first cell. Measured, not asserted: the target in smoke size
is at most two minutes on a 2-core CPU. On a busy machine the wall time grows with the load;
the load average is printed so that a reading can be judged.
"""
import os
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions/10_gans/10_gans.ipynb"
SHOWN = ("❌", "exercises pass", "after 30", "  minimax", "  non-saturating", "digit classifier", "classes")


def cell_seconds(cell):
    """Seconds a cell ran, from the timestamps nbclient records in its metadata."""
    stamps = cell.metadata.get("execution", {})
    if "iopub.execute_input" not in stamps or "shell.execute_reply" not in stamps:
        return 0.0
    start, end = (datetime.fromisoformat(stamps[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def main():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=900, kernel_name="python3", allow_errors=True, record_timing=True,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    outputs = [(index, output) for index, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])]
    failing = [(index, output.ename) for index, output in outputs if output.output_type == "error"]
    printed = "".join(output.get("text", "") for _, output in outputs if output.output_type == "stream")
    size = "smoke" if "Smoke size" in printed else "full"
    print(f"lab 10 ({size} size, COURSE_SMOKE={os.environ.get('COURSE_SMOKE', 'unset')}): {seconds:.1f} s for the "
          f"whole notebook, kernel start included; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {len(failing)} cells failed {failing or ''}")
    timed = sorted(((cell_seconds(c), i, c.source.splitlines()[0] if c.source else "") for i, c in
                    enumerate(notebook.cells) if c.cell_type == "code"), reverse=True)
    for cell_time, index, first_line in timed[:5]:
        print(f"  cell {index:2d}: {cell_time:5.1f} s  {first_line[:70]}")
    for line in printed.splitlines():
        if any(line.startswith(start) or start in line for start in SHOWN):
            print("  " + line)


if __name__ == "__main__":
    main()
