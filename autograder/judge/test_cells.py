"""Judging one test cell in the grading process.

A test cell made of check calls (``check_affine_backward(affine_forward, affine_backward,
seed=77)``) runs here, in the judge: ``check_*`` and the imports come from the lab's own
read-only cells, executed on this side; every other name is looked up in the student's kernel
and arrives as data or as a stand-in whose calls run there. A test cell that is anything else
(a lecturer's own ``assert``s) is run in the kernel, as nbgrader would, and the report says so.
"""
import ast
import builtins
import dataclasses

from .remote import KernelGone

OUTSIDE, INSIDE = "judged outside the kernel", "run inside the kernel"
KERNEL_DIED, TIMEOUT, MEMORY = "kernel died", "timeout", "memory"  # why a test or a notebook did not finish


@dataclasses.dataclass
class TestOutcome:
    passed: bool
    message: str = ""
    where: str = OUTSIDE
    mistake_id: str = ""  # the check's diagnosis as data (``course.checks.judging.Mistake``), "" if none
    mistake: str = ""
    failure: str = ""  # KERNEL_DIED, TIMEOUT or MEMORY when the student's code did not finish
    notes: list = dataclasses.field(default_factory=list)  # a pass's remarks: [{"id": ..., "sentence": ...}]
    missing_name: str = ""  # the name the notebook did not define, when that is why the test failed


def trusted_namespace(given_cells):
    """The names the lab's read-only cells import (``import numpy as np``, ``from course.checks
    import ...``), imported here from the judge's own installation; their other code is ignored."""
    namespace = {"__builtins__": builtins, "__name__": "__judge__"}
    for source in given_cells:
        try:
            tree = ast.parse(_without_magics(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not (isinstance(node, ast.ImportFrom) and node.level):
                try:
                    exec(compile(ast.Module([node], []), "<lab imports>", "exec"), namespace)  # noqa: S102
                except Exception:  # noqa: BLE001 - e.g. google.colab: not there while grading
                    continue
    return namespace


def _without_magics(source):
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _is_check(value):
    return callable(value) and str(getattr(value, "__module__", "")).startswith("course.checks")


def judged_outside(source, namespace):
    """True when every statement of the test cell is an import or a call of a check function."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if not tree.body:
        return False
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and _is_check(namespace.get(call.func.id))):
            return False
    return True


class _KernelNames(dict):
    """The test cell's local names: its own assignments, else the kernel's variables (the
    trusted imports and builtins are found before the kernel is asked)."""

    def __init__(self, kernel, trusted, timeout):
        super().__init__()
        self._kernel, self._trusted, self._timeout = kernel, trusted, timeout

    def __missing__(self, name):
        if name in self._trusted or hasattr(builtins, name):
            raise KeyError(name)
        try:
            value = self._kernel.lookup(name, self._timeout)
        except NameError:
            raise KeyError(name) from None
        self[name] = value
        return value


def judge_outside(source, namespace, kernel, timeout):
    """Run the test cell's check calls here; ``TestOutcome``. KernelGone propagates.

    A pass carries the checks' notes (an input changed in place): its message says them, and
    ``notes`` holds them as data for the class report.
    """
    from course.checks.judging import CheckFailed, take_notes

    names = _KernelNames(kernel, namespace, timeout)
    take_notes()  # nothing from an earlier test
    try:
        exec(compile(source, "<test cell>", "exec"), dict(namespace), names)  # noqa: S102 - the lecturer's test
    except KernelGone:
        take_notes()
        raise
    except CheckFailed as failure:
        take_notes()
        mistake = getattr(failure, "mistake", None) or _reference_call(failure)
        timed_out = isinstance(failure.__context__, TimeoutError)  # call_student turned a time-out into this
        return TestOutcome(False, str(failure), mistake_id=getattr(mistake, "id", ""),
                           mistake=getattr(mistake, "sentence", ""), failure=TIMEOUT if timed_out else "")
    except NameError as error:
        take_notes()
        name = str(error).split("'")[1] if "'" in str(error) else str(error)
        return TestOutcome(False, f"The notebook defines no '{name}': keep the names the exercise gives "
                                  "(a renamed or deleted function cannot be graded).", missing_name=name)
    except Exception as error:  # noqa: BLE001 - a check that could not handle what it got
        take_notes()
        return TestOutcome(False, f"The check could not run on what the notebook gave it ({type(error).__name__}: "
                                  f"{_short(error)}).")
    notes = take_notes()
    return TestOutcome(True, " ".join(f"Note: {note.sentence}" for note in notes),
                       notes=[{"id": note.id, "sentence": note.sentence} for note in notes])


REFERENCE_CALL = "it calls the course's reference implementation"


def _reference_call(failure):
    """The Mistake "it calls the course's reference implementation" when ``failure`` came from a
    reference function that the grading kernel's view stubs (its message says so), else None.
    The kernel's words only choose the diagnosis: the test has failed either way."""
    from course.checks.judging import Mistake

    from ..sandbox.view import unavailable_reference

    cause = failure.__cause__
    if cause is None or not unavailable_reference(str(cause)):
        return None
    exercise, _, rest = str(failure).partition(": ")
    culprit = rest.split(" ", 1)[0] if rest else ""
    return Mistake.named(exercise, culprit if culprit.replace(".", "").isidentifier() else "", REFERENCE_CALL)


def _short(error, limit=300):
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + "…"


