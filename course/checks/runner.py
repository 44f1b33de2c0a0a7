"""Instant feedback in the notebook: ``check(check_fn, *student_functions)`` prints one friendly
line instead of a traceback, and ``summary()`` counts the exercises that pass."""
import sys

from .judging import CheckFailed, take_notes
from .references import reference_reached

_results = {}


def _exercise_name(check_function):
    name = getattr(check_function, "__name__", str(check_function))
    return name[len("check_"):] if name.startswith("check_") else name


def check(check_function, *args, **kwargs):
    """Run one check and print ✅ or ❌ with the reason. Returns True when it passes."""
    exercise = _exercise_name(check_function)
    take_notes()
    reference = _reference_called([*args, *kwargs.values()]) if _in_notebook() else ""
    if reference:
        print(f"❌ {exercise}: your code calls the course's own implementation ({reference}); grading runs "
              "without it, so this exercise would score 0: write it yourself.")
        _results[exercise] = False
        return False
    try:
        check_function(*args, **kwargs)
    except CheckFailed as failure:
        message = str(failure)
        prefix = f"{exercise}: "
        print(f"❌ {exercise}: {message[len(prefix):] if message.startswith(prefix) else message}")
        _results[exercise] = False
        return False
    except Exception as error:  # a bug in the check call itself, e.g. a misspelt argument
        print(f"❌ {exercise}: the check could not run ({type(error).__name__}: {error}).")
        _results[exercise] = False
        return False
    print(f"✅ {exercise}: all tests passed.")
    for remark in take_notes():
        print(f"   Note: {remark.sentence}")
    _results[exercise] = True
    return True


def _reference_called(values):
    """``reference_reached``, or "" when the student's objects cannot be looked into."""
    try:
        return reference_reached(values)
    except Exception:  # noqa: BLE001 - an exotic object must never break a check cell
        return ""


NOTEBOOK_SHELLS = ("ZMQInteractiveShell", "TerminalInteractiveShell", "Shell")  # Jupyter, IPython, Colab


def _in_notebook():
    """True in a Jupyter, IPython or Colab session (where ``check`` cells run), not in a test suite
    that checks the checks with the course's own implementations (a bare InteractiveShell that some
    test left behind does not count)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ in NOTEBOOK_SHELLS


def summary(exercises=None):
    """Print and return ``(passed, total)`` for the exercises checked so far in this session.

    ``exercises``: the names of all exercises of the notebook, so that unchecked ones count too.
    """
    names = list(exercises) if exercises is not None else list(_results)
    passed = sum(1 for name in names if _results.get(name))
    print(f"{passed} of {len(names)} exercises pass.")
    for name in names:
        status = {True: "✅", False: "❌", None: "⏳ not checked yet"}[_results.get(name)]
        print(f"  {status} {name}")
    return passed, len(names)
