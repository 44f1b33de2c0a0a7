"""How long lab 07 takes: executes the solution notebook top to bottom and prints the seconds.

    python benchmarks/lab07_benchmark.py            # smoke size on a CPU (COURSE_SMOKE unset there)
    COURSE_SMOKE=1 python benchmarks/lab07_benchmark.py

The figure goes into the notebook's first cell ("the whole notebook then takes ..."). Measured,
not asserted: the target in smoke size is at most two minutes on a 2-core CPU. The notebook runs
as the tests run it (``tests.notebook_tools.execute``), kernel start included.
"""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.notebook_tools, when run as a script

from tests.notebook_tools import errors, execute, read, text  # noqa: E402

NOTEBOOK = ROOT / "solutions/07_autoencoders/07_autoencoders.ipynb"
SHOWN = ("❌", "mean squared error", "no penalty", "beta =", "lambda =", "validation: ELBO", "KL in closed form")


def main():
    started = time.perf_counter()
    notebook = execute(read(NOTEBOOK), cwd=NOTEBOOK.parent, timeout=600)
    seconds = time.perf_counter() - started
    failing = [(index, error.ename) for index, cell in enumerate(notebook.cells) for error in errors(cell)]
    printed = "".join(text(cell) for cell in notebook.cells)
    size = "smoke" if "Smoke size" in printed else "full"
    print(f"lab 07 ({size} size, COURSE_SMOKE={os.environ.get('COURSE_SMOKE', 'unset')}): {seconds:.1f} s for the "
          f"whole notebook, kernel start included; {len(failing)} cells failed {failing or ''}")
    for line in printed.splitlines():
        if "exercises pass" in line or line.startswith(SHOWN):
            print("  " + line)


if __name__ == "__main__":
    main()
