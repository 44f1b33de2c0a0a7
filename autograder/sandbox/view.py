"""The course package as a grading kernel sees it: policies as what is there, not as a watcher.

* ``course.checks`` is always replaced: the notebook's ``check(...)`` cells print that the grader
  checks this exercise, and the checks' code (which knows the right answers) is not there.
* Under the policy ``reference`` the reference implementations are stubs that keep their name
  and signature but say "not available while grading" when called. A reference goes as a whole,
  private helpers included; what that is, ``course.checks.references`` decides (the notebook's
  ``check(...)`` cells use the same rule to warn before grading does). Imports keep working, and
  helpers that are not graded (a data set, a training loop that takes the student's loss, a
  learning-rate schedule, a widget given the student's classes) still work.
* Under the policy ``torch`` the ``torch`` package is a stub whose import fails with a sentence.

The view is written once per worker into a temporary folder and laid read-only over the real
package inside the sandbox.
"""
import ast
import hashlib
import importlib.util
import re
import shutil
import tempfile
from pathlib import Path

from course.checks.references import reference_plan, top_level_definitions

UNAVAILABLE = "{name} is not available while grading: this exercise is graded on your own implementation."
_UNAVAILABLE_PATTERN = re.compile(r"(?P<name>course(?:\.\w+)+) is not available while grading")


def unavailable_reference(message):
    """The reference named in a stub's message ("course.init.xavier_std is not available while
    grading: ..."), or "" when ``message`` is not one."""
    found = _UNAVAILABLE_PATTERN.search(str(message))
    return found["name"] if found else ""


CHECKS_STUB = '''"""The checks, as a grading kernel sees them: the grader runs them, outside this kernel."""


class CheckFailed(AssertionError):
    """A check found a mistake."""


def check(check_function, *args, **kwargs):
    name = getattr(check_function, "__name__", "check")
    name = name[len("check_"):] if name.startswith("check_") else name
    print(f"⏳ {name}: the grader checks this exercise.")
    return None


def summary(exercises=None):
    print("The grader checks every exercise; your feedback page has the results.")
    return None


'''

CHECK_STUB = '''

def {name}(*args, **kwargs):
    print("⏳ {exercise}: the grader checks this exercise.")
'''


def _raise_unavailable(name):
    return [ast.Raise(exc=ast.Call(func=ast.Name("RuntimeError", ast.Load()),
                                   args=[ast.Constant(UNAVAILABLE.format(name=name))], keywords=[]), cause=None)]


def _stub(node, qualified):
    """Keep the name and signature of a function (or every method of a class), not its body."""
    functions = [node] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
        [n for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        function.body = _raise_unavailable(qualified)
        function.decorator_list = [d for d in function.decorator_list
                                   if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod", "property")]


def _stub_module(tree, module, stubbed):
    definitions = top_level_definitions(tree)
    for name in stubbed:
        _stub(definitions[name], f"{module}.{name}")
    return ast.fix_missing_locations(tree)



def _module_name(package_root, path):
    relative = path.relative_to(package_root.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _checks_stub(checks_init):
    names = set()
    for node in ast.parse(checks_init.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    lines = [CHECKS_STUB]
    for name in sorted(names - {"check", "summary", "CheckFailed"}):
        exercise = name[len("check_"):] if name.startswith("check_") else name
        lines.append(CHECK_STUB.format(name=name, exercise=exercise))
    return "".join(lines)


def write_view(package_root, forbid, student_names, destination):
    """Write the kernel's view of the package at ``package_root`` into ``destination``."""
    package_root, destination = Path(package_root), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    sources = {}
    for path in sorted(package_root.rglob("*")):
        target = destination / path.relative_to(package_root)
        if "__pycache__" in path.parts:
            continue
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        module = _module_name(package_root, path) if path.suffix == ".py" else ""
        if module == "course.checks" or module.startswith("course.checks."):
            if module == "course.checks":
                target.write_text(_checks_stub(path))
            continue  # the checks' modules are not there at all
        shutil.copy2(path, target)
        if path.suffix == ".py" and module != "course.probes":  # the judge's seam
            sources[module] = path
    if "reference" not in forbid:
        return
    trees = {module: ast.parse(path.read_text()) for module, path in sources.items()}
    packages = {module for module, path in sources.items() if path.name == "__init__.py"}
    for module, stubbed in reference_plan(trees, student_names, packages).items():
        if stubbed:
            tree = _stub_module(trees[module], module, stubbed)
            (destination / sources[module].relative_to(package_root)).write_text(ast.unparse(tree) + "\n")


def write_torch_stub(destination):
    (destination / "torch").mkdir(parents=True, exist_ok=True)
    (destination / "torch" / "__init__.py").write_text(
        'raise ImportError("torch is not available while grading this lab: the exercise is graded on NumPy code.")\n')


class PackageViews:
    """The views one worker has written, by policy; removed when the worker closes them."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="course-view-"))
        self._made = {}

    def binds(self, forbid, student_names):
        """``(source, destination)`` read-only binds that give the sandbox this policy's view."""
        key = (tuple(sorted(forbid)), tuple(sorted(student_names)) if "reference" in forbid else ())
        if key not in self._made:
            folder = self.folder / hashlib.sha256(repr(key).encode()).hexdigest()[:16]
            binds = []
            course_root = Path(importlib.util.find_spec("course").origin).parent
            write_view(course_root, forbid, student_names, folder / "course")
            binds.append((folder / "course", course_root))
            autograder_root = Path(__file__).resolve().parent.parent
            binds.append((autograder_root, autograder_root))
            if "torch" in forbid:
                spec = importlib.util.find_spec("torch")
                if spec is not None and spec.origin:
                    write_torch_stub(folder / "stubs")
                    binds.append((folder / "stubs" / "torch", Path(spec.origin).parent))
            self._made[key] = binds
        return self._made[key]

    def close(self):
        shutil.rmtree(self.folder, ignore_errors=True)
