"""How long lab 06 takes: executes the solution notebook top to bottom and prints the seconds.

    python benchmarks/lab06_benchmark.py            # smoke size on a CPU (COURSE_SMOKE unset there)
    COURSE_SMOKE=1 python benchmarks/lab06_benchmark.py

The figure goes into the notebook's first cell ("the whole notebook then takes ..."). Measured,
not asserted: the target in smoke size is about two minutes on a 2-core CPU.
"""
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions/06_cnn_architectures/06_cnn_architectures.ipynb"


def main():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    failing = [(index, output.ename) for index, cell in enumerate(notebook.cells)
               for output in cell.get("outputs", []) if output.output_type == "error"]
    printed = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
                      if output.output_type == "stream")
    size = "smoke" if "Smoke size" in printed else "full"
    print(f"lab 06 ({size} size, COURSE_SMOKE={os.environ.get('COURSE_SMOKE', 'unset')}): {seconds:.1f} s "
          f"for the whole notebook, kernel start included; {len(failing)} cells failed {failing or ''}")
    for line in printed.splitlines():
        if "exercises pass" in line or line.startswith(("❌", "best of", "test accuracy", "LeNet-5 after")):
            print("  " + line)


if __name__ == "__main__":
    main()
