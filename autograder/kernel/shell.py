"""An IPython shell without a Jupyter kernel: runs a cell, returns its outputs as nbformat data.

The submission's magics (``%matplotlib inline``, ``%pip`` behind a Colab guard) and widgets work
as in a notebook; figures are not rendered (nobody looks at them while grading).
"""
import re
import sys

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_OUTPUT_CHARS = 20_000


class GradingShell(InteractiveShell):
    def enable_gui(self, gui=None):  # no event loop to hook into: figures are simply not drawn
        return None


def make_shell():
    shell = GradingShell.instance(colors="NoColor", history_load_length=0)
    shell.history_manager.enabled = False
    try:
        from matplotlib_inline.config import InlineBackend

        InlineBackend.instance(parent=shell).figure_formats = set()
    except ImportError:
        pass
    return shell


def _clip(text):
    return text if len(text) <= MAX_OUTPUT_CHARS else text[:MAX_OUTPUT_CHARS] + "\n… (output shortened)\n"


def run_cell(shell, code):
    """Run ``code``; ``{"status", "ename", "evalue", "outputs"}`` with nbformat-style outputs."""
    with capture_output(display=True) as captured:
        result = shell.run_cell(code, store_history=True)
    outputs = []
    error = result.error_in_exec or result.error_before_exec
    stdout = ANSI.sub("", captured.stdout)
    if error is not None:  # IPython printed the traceback to stdout; keep what came before it
        stdout = stdout.split("-" * 75)[0] if "-" * 75 in stdout else stdout
    if stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": _clip(stdout)})
    if captured.stderr:
        outputs.append({"output_type": "stream", "name": "stderr", "text": _clip(ANSI.sub("", captured.stderr))})
    for rich in captured.outputs:
        data = {k: v for k, v in rich.data.items() if k == "text/plain" and isinstance(v, str)}
        if data:
            outputs.append({"output_type": "display_data", "data": {"text/plain": _clip(data["text/plain"])}, "metadata": {}})
    if error is None:
        return {"status": "ok", "outputs": outputs}
    ename, evalue = type(error).__name__, _clip(str(error))
    if isinstance(error, SyntaxError):
        evalue = f"{error.msg} (line {error.lineno})"
    outputs.append({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]})
    sys.last_traceback = None  # the frames of a failed cell are not kept alive
    return {"status": "error", "ename": ename, "evalue": evalue, "outputs": outputs}
