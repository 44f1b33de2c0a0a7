"""The course package as a grading kernel sees it: policies as what is there, not as a watcher.

* ``course.checks`` is always replaced: the notebook's ``check(...)`` cells print that the grader
  checks this exercise, and the checks' code (which knows the right answers) is not there.
* Under the policy ``reference`` the reference implementations are stubs: every function of
  ``course.layers``, and anywhere else in the package every function or class named like one
  the student writes (and whatever in its module uses it), keeps its name and signature but
  says "not available while grading" when called. Imports keep working, and helpers that are
  not graded (a data set, a training loop that takes the student's loss) still work.
* Under the policy ``torch`` the ``torch`` package is a stub whose import fails with a sentence.

The view is written once per worker into a temporary folder and laid read-only over the real
package inside the sandbox.
"""
import ast
import hashlib
import importlib.util
import shutil
import tempfile
from pathlib import Path

REFERENCE_MODULES = ("course.layers",)  # every lab's graded layers live here: all of it is stubbed
UNAVAILABLE = "{name} is not available while grading: this exercise is graded on your own implementation."

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


def _names_used(node):
    """Names a definition's code uses (its body; a class's bases too; not a default argument,
    which the caller can replace)."""
    parts = list(node.body) + (list(node.bases) if isinstance(node, ast.ClassDef) else [])
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}


def _stub_module(tree, module, names=None):
    """Stub every top-level function and class (``names=None``), or those named in ``names`` and,
    transitively, those that use one of them (a subclass, a wrapper): nothing left in the module
    can stand in for a stubbed one, and the rest of it keeps working."""
    definitions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    stubbed = set(definitions) if names is None else set(names) & set(definitions)
    changed = names is not None
    while changed:
        changed = False
        for name, node in definitions.items():
            if name not in stubbed and _names_used(node) & stubbed:
                stubbed.add(name)
                changed = True
    for name in stubbed:
        _stub(definitions[name], f"{module}.{name}")
    return ast.fix_missing_locations(tree), bool(stubbed)


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
    forbid_reference = "reference" in forbid
    destination.mkdir(parents=True, exist_ok=True)
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
        if path.suffix != ".py" or not forbid_reference or module == "course.probes":  # the judge's seam
            shutil.copy2(path, target)
            continue
        tree = ast.parse(path.read_text())
        whole = any(module == m or module.startswith(m + ".") for m in REFERENCE_MODULES)
        tree, stubbed = _stub_module(tree, module, None if whole else set(student_names))
        if stubbed:
            target.write_text(ast.unparse(tree) + "\n")
        else:
            shutil.copy2(path, target)


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
