"""How long lab 09 takes: runs the solution notebook top to bottom (with the test suite's own
notebook runner) and prints the seconds, and the lines that say how the training went.

    python benchmarks/lab09_benchmark.py            # smoke size on a CPU
    COURSE_SMOKE=1 python benchmarks/lab09_benchmark.py

The figure goes into the notebook's first cell. Measured, not asserted: the target in smoke size
is at most two minutes on a 2-core CPU.
"""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.notebook_tools import errors, execute, read, text  # noqa: E402

NOTEBOOK = ROOT / "solutions/09_attention/09_attention.ipynb"
REPORTED = ("Smoke size", "Full size", "TinyTransformer:", "trained in", "LSTM:", "transformer:", "LSTM       :", "❌")

if __name__ == "__main__":
    started = time.perf_counter()
    notebook = execute(read(NOTEBOOK), cwd=NOTEBOOK.parent, timeout=600)
    seconds = time.perf_counter() - started
    failed = [(i, e.ename) for i, cell in enumerate(notebook.cells) for e in errors(cell)]
    print(f"lab 09 (COURSE_SMOKE={os.environ.get('COURSE_SMOKE', 'unset')}): {seconds:.1f} s for the whole notebook, "
          f"kernel start included; {len(failed)} cells failed {failed or ''}")
    for line in "".join(text(cell) for cell in notebook.cells).splitlines():
        if line.startswith(REPORTED) or "exercises pass" in line:
            print("  " + line)
