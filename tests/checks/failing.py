"""Asserting that a check fails, with the message a student should see, and that the message
never hands over the solution: no line of any lab's solution code appears in it."""
import functools
import json
import pathlib
import re

import pytest

from course.checks import CheckFailed

SOLUTIONS = pathlib.Path(__file__).resolve().parents[2] / "solutions"
SHORTEST_LINE = 10  # characters without spaces; shorter lines ("return out") give nothing away


def _normalized(text):
    return re.sub(r"\s+", "", text)


@functools.lru_cache(maxsize=1)
def solution_lines():
    """Every line of code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the labs'
    solution notebooks, without whitespace and comments, as long as it says something."""
    lines = set()
    for notebook in sorted(SOLUTIONS.glob("*/*.ipynb")) + sorted(SOLUTIONS.glob("*/*.py")):
        if notebook.suffix == ".ipynb":
            sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                       for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
        else:
            sources = [notebook.read_text()]
        for source in sources:
            inside = False
            for line in source.splitlines():
                if "BEGIN SOLUTION" in line:
                    inside = True
                elif "END SOLUTION" in line:
                    inside = False
                elif inside:
                    code = _normalized(line.split("#", 1)[0])
                    if len(code) >= SHORTEST_LINE:
                        lines.add(code)
    return frozenset(lines)


def assert_no_solution_code(message):
    """Fail when ``message`` contains a line of some lab's solution code (whitespace ignored)."""
    text = _normalized(message)
    leaked = sorted(line for line in solution_lines() if line in text)
    assert not leaked, f"the message hands over solution code {leaked}: {message}"


def fails_with(match, check_function, *args, **kwargs):
    """Run ``check_function``; it must raise CheckFailed with a one-line message matching ``match``
    that contains no line of any solution."""
    with pytest.raises(CheckFailed, match=match) as info:
        check_function(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, "a check's message is one line"
    assert_no_solution_code(message)
    return message
