"""The course package as a grading kernel sees it: policies as what is there, not as a watcher.

* ``course.checks`` is always replaced: the notebook's ``check(...)`` cells print that the grader
  checks this exercise, and the checks' code (which knows the right answers) is not there.
* Under the policy ``reference`` the reference implementations are stubs: every function of
  ``course.layers``, ``course.nn``, ``course.optim``, ``course.init`` and
  ``course.two_layer_net``, and any function elsewhere in the package named like one the
  student writes, keeps its name and signature but says "not available while grading" when
  called. Imports keep working, so one missing function never breaks the cells after it.
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

REFERENCE_MODULES = ("course.layers", "course.nn", "course.optim", "course.init", "course.two_layer_net")
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


def _graded_elsewhere(*args, **kwargs):
    print("⏳ the grader checks this exercise.")
    return None

'''


def _stub_functions(tree, names=None, qualified_prefix=""):
    """Replace the bodies of the functions in ``tree`` (all, or only those in ``names``)."""
    for node in ast.walk(tree):
        for field in ("body",):
            body = getattr(node, field, None)
            if not isinstance(body, list):
                continue
            for child in body:
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and (names is None or child.name in names):
                    message = UNAVAILABLE.format(name=f"{qualified_prefix}{child.name}")
                    child.body = [ast.Raise(exc=ast.Call(func=ast.Name("RuntimeError", ast.Load()),
                                                         args=[ast.Constant(message)], keywords=[]), cause=None)]
                    child.decorator_list = [d for d in child.decorator_list
                                            if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod", "property")]
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
        lines.append(f"{name} = _graded_elsewhere\n")
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
        if any(module == m or module.startswith(m + ".") for m in REFERENCE_MODULES):
            tree = _stub_functions(tree, None, f"{module}.")
        elif student_names:
            tree = _stub_functions(tree, set(student_names), f"{module}.")
        target.write_text(ast.unparse(tree) + "\n")


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
