"""What counts as the course's own implementation of a graded exercise, decided in one place.

The grading kernel's view of the package (``autograder.sandbox.view``) stubs these definitions
under the policy ``reference``; a notebook's ``check(...)`` cell uses the same rule to tell a
student, before grading does, that a solution which calls them scores 0:

* ``course.layers`` as a whole (a 1x1 convolution is an affine layer, a tanh a sigmoid: any
  layer could stand in for another). Only in a lab that grades nothing of it but normalization
  and dropout do the building blocks ``course.nn`` builds its networks from (affine,
  activations, losses) stay, so that the lab's demonstrations can train one.
* Elsewhere, in a module that defines a function or class named like one the student writes,
  that definition with every helper of its module it uses, private ones included
  (``course.init``'s ``xavier_std`` and ``_uniform`` go with ``xavier_uniform``), unless another
  module builds on the helper (shared plumbing such as input validation); and whatever in the
  module uses a stubbed definition (a subclass, a wrapper).
"""
import ast
import functools
import sys
import types
from pathlib import Path

REFERENCE_MODULES = ("course.layers",)
# What course.nn builds networks from; kept only where the lab grades nothing in course.layers but
# the modules of NOT_BUILT_FROM_BLOCKS, which none of these could stand in for.
BUILDING_BLOCKS = ("course.layers.affine", "course.layers.activations", "course.layers.losses",
                   "course.layers.validation")
NOT_BUILT_FROM_BLOCKS = ("course.layers.dropout", "course.layers.batchnorm", "course.layers.layer_group_norm")
NOT_RUN_WHILE_GRADING = ("course.quizzes",)  # they compute nothing in a grading kernel: no module builds on them
NEVER_STUBBED = ("course.checks", "course.probes")  # the checks are replaced whole; the probes are the judge's seam


def _names_used(node):
    """Names a definition's code uses (its body; a class's bases too; not a default argument,
    which the caller can replace)."""
    parts = list(node.body) + (list(node.bases) if isinstance(node, ast.ClassDef) else [])
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}


def top_level_definitions(tree):
    """``{name: node}`` of a module's functions and classes."""
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _imported_names(tree):
    """The names a module imports from elsewhere in the package (``from .sizes import whole_number``)."""
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and (node.level or
            str(node.module).startswith("course")) for alias in node.names}


def stubbedtop_level_definitions(tree, graded, shared=frozenset()):
    """The names of the module's definitions to stub: those in ``graded`` (None: all of them),
    the helpers of the module they use, transitively (not those in ``shared``: other modules
    build on them), and every definition that uses a stubbed one."""
    definitions = top_level_definitions(tree)
    if graded is None:
        return set(definitions)
    stubbed = set(graded) & set(definitions)
    pending = list(stubbed)
    while pending:  # down: the helpers a stubbed definition uses
        for name in _names_used(definitions[pending.pop()]) & set(definitions):
            if name not in stubbed and name not in shared:
                stubbed.add(name)
                pending.append(name)
    changed = bool(stubbed)
    while changed:  # up: whatever uses a stubbed definition
        changed = False
        for name, node in definitions.items():
            if name not in stubbed and _names_used(node) & stubbed:
                stubbed.add(name)
                changed = True
    return stubbed


def _inside(module, packages):
    return any(module == p or module.startswith(p + ".") for p in packages)


def reference_plan(modules, student_names, packages=()):
    """``{module: names of the definitions to stub}`` under the policy ``reference``; ``modules``:
    ``{name: ast tree}`` of the package, ``packages``: those of them that are packages (whose
    imports re-export names rather than build on them)."""
    graded = set(student_names)
    homes = {m for m, tree in modules.items() if graded & set(top_level_definitions(tree))}
    layer_homes = {m for m in homes if _inside(m, REFERENCE_MODULES)}
    keep_blocks = bool(layer_homes) and layer_homes <= set(NOT_BUILT_FROM_BLOCKS)
    shared = set()
    for module, tree in modules.items():
        if module not in packages and not _inside(module, NOT_RUN_WHILE_GRADING):
            shared |= _imported_names(tree)
    plan = {}
    for module, tree in modules.items():
        if _inside(module, REFERENCE_MODULES):
            if not (keep_blocks and module in BUILDING_BLOCKS):
                plan[module] = stubbedtop_level_definitions(tree, None)
        elif module in homes:
            plan[module] = stubbedtop_level_definitions(tree, graded, shared)
    return plan


def module_name(package_root, path):
    """``course.layers.affine`` for ``<package_root>/layers/affine.py``."""
    relative = Path(path).relative_to(Path(package_root).parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


@functools.lru_cache(maxsize=1)
def _package():
    """``({module: ast tree}, packages)`` of the installed course package, the checks left out."""
    import course

    root = Path(course.__file__).parent
    trees, packages = {}, set()
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        if "__pycache__" in path.parts or _inside(module, NEVER_STUBBED):
            continue
        trees[module] = ast.parse(path.read_text(encoding="utf-8"))
        if path.name == "__init__.py":
            packages.add(module)
    return trees, frozenset(packages)


@functools.lru_cache(maxsize=64)
def _plan_for(graded):
    trees, packages = _package()
    return reference_plan(trees, graded, packages)


def _is_reference(value, plan):
    """``course.init.xavier_std`` when ``value`` is (a method of) a stubbed definition, else ""."""
    module = getattr(value, "__module__", None)
    name = str(getattr(value, "__qualname__", getattr(value, "__name__", ""))).split(".")[0]
    return f"{module}.{name}" if isinstance(module, str) and name in plan.get(module, ()) else ""


def _code_names(code):
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _code_names(constant)
    return names


def _attributes(module, names, depth=3):
    """What ``module.a.b`` can reach for attribute names in ``names`` (a function's code names)."""
    found = []
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, types.ModuleType):
            if depth > 1:
                found += _attributes(value, names, depth - 1)
        elif value is not None:
            found.append(value)
    return found


def _uses(value):
    """What a function or class of the notebook (or of the course) can call."""
    if isinstance(value, (types.MethodType, staticmethod, classmethod)):
        return [value.__func__]
    if isinstance(value, property):
        return [f for f in (value.fget, value.fset, value.fdel) if f is not None]
    if isinstance(value, types.FunctionType):
        names = _code_names(value.__code__)
        found = [cell.cell_contents for cell in (value.__closure__ or ()) if _filled(cell)]
        for name in names:
            if name in value.__globals__:
                target = value.__globals__[name]
                found += _attributes(target, names) if isinstance(target, types.ModuleType) else [target]
        return found
    if isinstance(value, type):
        return [base for base in value.__mro__[1:] if base is not object] + list(vars(value).values())
    return []


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _ours(value):
    """The notebook's code, the course's, or a module of the student's own: not an installed library."""
    module = getattr(value, "__module__", None)
    if not isinstance(module, str):
        return False
    if module.split(".")[0] in ("__main__", "course"):
        return True
    path = str(getattr(sys.modules.get(module), "__file__", "") or "")
    return bool(path) and not path.startswith(tuple({sys.prefix, sys.base_prefix, sys.exec_prefix}))


def reference_reached(functions):
    """The course reference (``course.layers.affine.affine_forward``) that one of the student's
    ``functions`` is, subclasses or calls, directly or through the notebook's other functions,
    under the rule above (the names of ``functions`` are the graded ones); "" when none."""
    candidates = [f for f in functions if callable(f)]
    graded = frozenset(str(getattr(f, "__name__", "")) for f in candidates)
    plan = _plan_for(graded)
    seen, pending = set(), list(candidates)
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        reference = _is_reference(value, plan)
        if reference:
            return reference
        if _ours(value) or isinstance(value, (types.MethodType, staticmethod, classmethod, property)):
            pending += _uses(value)
    return ""
