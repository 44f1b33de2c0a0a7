"""Runs inside the grading kernel, installed before any student code.

Before every graded test cell it puts back what a student cell may have replaced — functions of
NumPy, of the course's checks and reference layers, the check names in the notebook's namespace,
IPython's traceback display — so that a patched ``numpy.allclose`` or a no-op
``check_affine_backward`` cannot turn a failing test into a pass. While a test cell runs it
watches which functions the student's code calls, to enforce policies such as "this backward
pass must not use torch". Each test cell leaves one JSON line in the record file.
"""
import hashlib
import json
import sys

PROTECTED_MODULES = ("builtins", "math", "numpy", "numpy.linalg", "numpy.testing", "numpy.random")
PROTECTED_PREFIXES = ("course",)
# Set by ipykernel itself around every execution (it forwards input() to the front end).
KERNEL_MANAGED = {"builtins.input", "builtins.raw_input", "getpass.getpass"}
POLICY_MODULES = {
    "torch": ("torch",),
    "reference": ("course.layers", "course.two_layer_net", "course.nn", "course.optim", "course.init"),
}


def cell_hash(source):
    return hashlib.sha256(source.strip().encode()).hexdigest()


def _is_student_code(code):
    name = code.co_filename
    return "ipykernel_" in name or name.startswith("<ipython-input")


def _module_of_callable(function):
    module = getattr(function, "__module__", None)
    if not module:
        owner = getattr(function, "__self__", None)
        module = type(owner).__module__ if owner is not None else ""
    return module or ""


class Guard:
    def __init__(self, plan, record_path):
        self.tests = plan.get("tests", {})  # cell hash -> {"grade_id": ..., "forbid": [...]}
        self._record = open(record_path, "a", buffering=1)
        self._modules = {}
        self._snapshots = {}
        for name, module in list(sys.modules.items()):
            if module is not None and (name in PROTECTED_MODULES or name.split(".")[0] in PROTECTED_PREFIXES):
                self._modules[name] = module
                self._snapshots[name] = dict(vars(module))
        self._pristine_names = {}
        for name in ("course.checks",):
            self._pristine_names.update({k: v for k, v in self._snapshots.get(name, {}).items() if not k.startswith("_")})
        self._excepthook = sys.excepthook
        self._current = None

    # -- restoring ------------------------------------------------------------------------------
    def restore(self, shell):
        restored = []
        for name, module in self._modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                restored.append(name)
            namespace = vars(module)
            for key, value in self._snapshots[name].items():
                if f"{name}.{key}" in KERNEL_MANAGED:
                    continue
                if namespace.get(key, _MISSING) is not value:
                    namespace[key] = value
                    restored.append(f"{name}.{key}")
        for key, value in self._pristine_names.items():
            if key in shell.user_ns and shell.user_ns[key] is not value:
                shell.user_ns[key] = value
                restored.append(key)
        if "showtraceback" in vars(shell):
            del shell.showtraceback
            restored.append("showtraceback")
        for attribute in ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_code"):
            original = self._shell_class_methods.get(attribute)
            if original is not None and vars(type(shell)).get(attribute) is not original:
                setattr(type(shell), attribute, original)
                restored.append(attribute)
        if sys.excepthook is not self._excepthook:
            sys.excepthook = self._excepthook
            restored.append("sys.excepthook")
        return restored

    # -- policies -------------------------------------------------------------------------------
    def _start_watching(self, forbidden):
        prefixes = tuple(p for name in forbidden for p in POLICY_MODULES.get(name, (name,)))
        violations = self._current["violations"]

        def profiler(frame, event, arg):
            if event == "call":
                caller, module = frame.f_back, frame.f_globals.get("__name__", "")
            elif event == "c_call":
                caller, module = frame, _module_of_callable(arg)
            else:
                return
            if caller is None or not _is_student_code(caller.f_code):
                return
            for prefix in prefixes:
                if module == prefix or module.startswith(prefix + "."):
                    violations.append(f"{module}.{getattr(arg, '__name__', '') if event == 'c_call' else frame.f_code.co_name}")
                    return

        sys.setprofile(profiler)

    # -- IPython events ------------------------------------------------------------------------
    def attach(self, shell):
        self._shell_class_methods = {
            name: vars(type(shell)).get(name)
            for name in ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_code")
        }
        shell.events.register("pre_run_cell", lambda info: self._before(shell, info))
        shell.events.register("post_run_cell", lambda result: self._after(result))

    def _before(self, shell, info):
        test = self.tests.get(cell_hash(getattr(info, "raw_cell", "") or ""))
        if test is None:
            self._current = None
            return
        self._current = {"grade_id": test["grade_id"], "restored": self.restore(shell), "violations": []}
        if test.get("forbid"):
            self._start_watching(test["forbid"])

    def _after(self, result):
        if self._current is None:
            return
        sys.setprofile(None)
        record, self._current = self._current, None
        record["violations"] = sorted(set(record["violations"]))[:10]
        record["error"] = bool(getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None))
        self._record.write(json.dumps(record) + "\n")


_MISSING = object()


def install(shell, plan_path, record_path):
    with open(plan_path) as plan_file:
        plan = json.load(plan_file)
    guard = Guard(plan, record_path)
    guard.attach(shell)
    return guard
