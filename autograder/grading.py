"""Grade one submission: read it, mend its structure, run it in a sandbox, judge each test.

``grade_submission(job)`` is what a worker process (or a Dask worker) runs. It takes plain data
and returns plain data, so that the gradebook can be written in one place by the caller.
"""
import ast
import dataclasses
import multiprocessing.util
import os
import re
import time

import nbformat

from .execute import ERROR, execute_notebook, read_notebook_text
from .judge.remote import KernelGone
from .judge.test_cells import INSIDE, trusted_namespace
from .repair import repair
from .sandbox.kernels import Sandbox
from .sandbox.view import PackageViews

PASSED, FAILED = "passed", "failed"
ALWAYS_PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "course",
                  "course.gradcheck", "course.checks")


@dataclasses.dataclass
class Job:
    student: str
    assignment: str
    notebook: str  # notebook name without .ipynb
    notebook_text: str  # the submitted file's content (jobs carry data, not paths, to any worker)
    source_cells: list  # [SourceCell], the lab's known cells in order
    limits: object
    files: dict = dataclasses.field(default_factory=dict)  # data files for the kernel's folder
    sandboxed: bool = True  # False only with --no-sandbox: then grades are not protected
    secret: int = None  # mixed into every check's seed in this run (never sent to a kernel)


@dataclasses.dataclass
class TestVerdict:
    grade_id: str
    points: float
    max_points: float
    status: str  # PASSED or FAILED
    message: str = ""
    where: str = ""  # "judged outside the kernel" or "run inside the kernel"
    mistake_id: str = ""  # the mistake the check diagnosed, as data (stable across students), "" if none
    mistake: str = ""  # that mistake in words
    failure: str = ""  # "kernel died", "timeout" or "memory" when the student's code did not finish
    notes: list = dataclasses.field(default_factory=list)  # a pass's remarks as data: [{"id", "sentence"}]


@dataclasses.dataclass
class Result:
    student: str
    assignment: str
    notebook: str
    verdicts: list
    defects: list
    notebook_json: str  # the graded notebook, with outputs ("" when it could not be read)
    seconds: float = 0.0
    stopped: str = ""
    sandboxed: bool = True
    failures: list = dataclasses.field(default_factory=list)  # "kernel died", "timeout", "memory": how it did not finish

    @property
    def score(self):
        return sum(v.points for v in self.verdicts)

    @property
    def max_score(self):
        return sum(v.max_points for v in self.verdicts)


def lab_policy(source_cells):
    """What the lab's tests forbid (together), the names its answer cells define, and what its
    read-only cells import: the kernel's view of the package and the zygote's preload follow."""
    forbid, names, modules = set(), set(), set(ALWAYS_PRELOAD)
    for cell in source_cells:
        forbid.update(cell.forbid)
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse("\n".join("pass" if l.lstrip().startswith(("%", "!")) else l for l in cell.source.splitlines()))
        except SyntaxError:
            continue
        if cell.solution:  # the functions and classes the student writes (not their methods)
            names.update(node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef)))
        for node in ast.walk(tree):
            if cell.locked and isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif cell.locked and isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module)
    modules = {m for m in modules if m.split(".")[0] not in forbid and not m.startswith("google")}
    return tuple(sorted(forbid)), tuple(sorted(names)), tuple(sorted(modules))


def _judge(notebook, report, source_cells):
    positions = {cell.metadata.get("nbgrader", {}).get("grade_id"): i for i, cell in enumerate(notebook.cells)}
    verdicts = []
    for source_cell in source_cells:
        if not source_cell.is_test:
            continue
        index = positions[source_cell.grade_id]
        outcome = report.tests[index]
        if outcome.passed:
            verdicts.append(TestVerdict(source_cell.grade_id, source_cell.points, source_cell.points, PASSED,
                                        outcome.message, outcome.where, notes=list(outcome.notes)))
            _mark_passed(notebook.cells[index], outcome.message)
        else:
            broken = _broken_definition(notebook, report, outcome.missing_name, index)
            message = f"Not graded: {broken} (see above)." if broken else outcome.message
            verdicts.append(TestVerdict(source_cell.grade_id, 0.0, source_cell.points, FAILED, message,
                                        outcome.where, outcome.mistake_id, outcome.mistake, outcome.failure))
            _mark_failed(notebook.cells[index], message)
    return verdicts


def _mark_failed(cell, message):
    """Make sure nbgrader's own scoring (any error output = 0 points) sees the failure."""
    if not any(o.output_type == "error" for o in cell.get("outputs", [])):
        cell.outputs.append(nbformat.v4.new_output("error", ename="GradingError", evalue=message, traceback=[message]))


def _mark_passed(cell, message=""):
    notes = "".join(f"   {note}\n" for note in re.split(r" (?=Note: )", message) if note) if message else ""
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✅ passed\n" + notes)]


_DEFINES = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)", re.MULTILINE)


def _first_line(source, limit=60):
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[:limit] + "…"


def _broken_definition(notebook, report, name, before):
    """Why ``name`` is missing at cell ``before``, in words ("the cell defining X (cell 12, which
    starts '...') has a SyntaxError"), when the last cell above it that defines ``name`` failed;
    "" otherwise (the name was renamed or deleted)."""
    if not name:
        return ""
    for index in range(before - 1, -1, -1):
        cell = notebook.cells[index]
        if cell.cell_type != "code" or name not in _DEFINES.findall(cell.source):
            continue
        outcome = report.outcomes.get(index)
        if outcome is None or outcome.status != ERROR:
            return ""
        where = f"the cell defining {name} (cell {index + 1}, which starts '{_first_line(cell.source)}')"
        if outcome.error_name in SYNTAX_ERRORS:
            return f"{where} has a {outcome.error_name}"
        if outcome.error_name == "TimeoutError":
            return f"{where} ran past the time limit before defining it"
        return f"{where} raised {outcome.error_name} before defining it"
    return ""


def _title(notebook, index):
    """The heading of the exercise a cell belongs to: the last heading above it, without markup."""
    for cell in reversed(notebook.cells[:index]):
        lines = cell.source.splitlines() if cell.cell_type == "markdown" else []
        headings = [line for line in lines if line.startswith("#")]
        if headings:
            return headings[-1].lstrip("#").replace("`", "").replace("*", "").strip()
    return ""


SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")


def _cell_errors(notebook, report, limits):
    """Sentences about cells other than tests that failed: they explain the tests that follow.
    Each failure is said once: a NameError for a function whose own cell failed is not repeated."""
    sentences, failed_names = [], set()
    for index, outcome in sorted(report.outcomes.items()):
        cell = notebook.cells[index]
        meta = cell.metadata.get("nbgrader", {})
        if outcome.status != ERROR or meta.get("grade"):
            continue
        defined = _DEFINES.findall(cell.source)
        where = f"The cell '{meta['grade_id']}'" if meta.get("grade_id") else f"Cell {index + 1}"
        starts = f"cell {index + 1}, which starts '{_first_line(cell.source)}'"
        title = _title(notebook, index) if meta.get("grade_id") else ""
        missing = re.match(r"name '(\w+)' is not defined", outcome.error_value) if outcome.error_name == "NameError" \
            else None
        if missing and missing[1] in failed_names:
            continue  # said where that function's cell failed
        if outcome.error_name == "TimeoutError":
            sentences.append(f"{where} ran longer than the limit of {limits.cell_timeout:g} s and was interrupted.")
        elif outcome.error_name in SYNTAX_ERRORS:
            message, line = _syntax(outcome.error_value)
            if title:
                exercise = f"Your answer to '{title}' (cell '{meta['grade_id']}', {starts})"
            else:
                exercise = f"{where} ({starts})" if meta.get("grade_id") else \
                    f"{where} (which starts '{_first_line(cell.source)}')"
            lines = cell.source.splitlines()
            quoted = f"`{lines[line - 1].strip()}`: " if 0 < line <= len(lines) and lines[line - 1].strip() else ""
            sentences.append(f"{exercise} has a {outcome.error_name} on line {line} of the cell ({quoted}{message}), "
                             "so none of that cell ran." if line else
                             f"{exercise} has a {outcome.error_name} ({message}), so none of that cell ran.")
        elif meta.get("grade_id") and outcome.error_name != "NotImplementedError":
            advice = " (the notebook must define it under the name the exercise gives)" if missing else ""
            sentences.append(f"{where} raised {outcome.error_name}: {outcome.error_value}".rstrip(": ") + advice +
                             "; the code after that point did not run.")
        elif defined and outcome.error_name != "NotImplementedError":
            sentences.append(f"Cell {index + 1} (which starts '{_first_line(cell.source)}') raised "
                             f"{outcome.error_name}: {outcome.error_value}".rstrip(": ") +
                             "; the code after that point did not run.")
        else:
            continue
        failed_names.update(defined)
    return sentences


def _syntax(value):
    """``(message, line)`` from the kernel's "expected ':' (line 8)"."""
    found = re.match(r"^(?P<message>.*?)\s*\((?:[^()]*, )?line (?P<line>\d+)\)$", value.strip())
    return (found["message"], int(found["line"])) if found else (value.strip(), 0)


def _zero(job, defects, started, notebook_json=""):
    verdicts = [TestVerdict(c.grade_id, 0.0, c.points, FAILED, defects[-1]) for c in job.source_cells if c.is_test]
    return Result(job.student, job.assignment, job.notebook, verdicts, defects, notebook_json, time.monotonic() - started)


_sandboxes = {}
_views = []


def _sandbox_for(job):
    forbid, names, modules = lab_policy(job.source_cells)
    key = (forbid, names, modules, job.limits, job.sandboxed)
    if key not in _sandboxes:
        if not _sandboxes:  # worker processes end with os._exit: atexit would not run
            multiprocessing.util.Finalize(None, close_kernels, exitpriority=10)
        if not _views:
            _views.append(PackageViews())
        binds = _views[0].binds(forbid, names)
        _sandboxes[key] = Sandbox(binds, modules, job.limits, sandboxed=job.sandboxed,
                                  pythonpath=binds[0][0].parent)
    return _sandboxes[key]


def _tests_and_namespace(notebook, job):
    given = [c.source for c in job.source_cells if c.cell_type == "code" and c.locked and not c.is_test]
    by_id = {c.grade_id: c for c in job.source_cells if c.is_test}
    tests = {}
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in by_id:
            tests[index] = by_id[grade_id].source  # the lecturer's test, hidden tests included
    return tests, trusted_namespace(given)


def grade_submission(job):
    """Grade one submitted notebook; never raises: anything that goes wrong while grading one
    notebook (a malformed file, metadata of the wrong type, a kernel that misbehaves) is that
    submission's zero, with the reason."""
    started = time.monotonic()
    try:
        return _grade(job, started)
    except (Exception, KernelGone) as error:  # noqa: BLE001 - one notebook never stops the run
        text = " ".join(str(error).split())[:300]
        return _zero(job, [f"The submission could not be graded ({type(error).__name__}{': ' + text if text else ''})."],
                     started)


def _grade(job, started):
    from course.checks.judging import use_grading_secret

    use_grading_secret(job.secret)
    try:
        notebook = read_notebook_text(job.notebook_text)
    except ValueError as error:
        return _zero(job, [f"The submission could not be graded: {error}."], started)
    notebook, defects = repair(notebook, job.source_cells)
    tests, namespace = _tests_and_namespace(notebook, job)
    try:
        kernel = _sandbox_for(job).spawn(job.files)
    except (Exception, KernelGone) as error:  # noqa: BLE001 - the machine's problem, said once per submission
        _forget_sandbox(job)
        return _zero(job, defects + [f"The grader could not start a kernel: {error}."], started)
    try:
        report = execute_notebook(notebook, kernel, tests, namespace, job.limits)
    finally:
        kernel.close()
    defects.extend(_cell_errors(notebook, report, job.limits))
    if report.stopped:
        defects.append(f"{report.stopped[0].upper()}{report.stopped[1:]}; the cells after that point did not run.")
    verdicts = _judge(notebook, report, job.source_cells)
    inside = [v.grade_id for v in verdicts if v.where == INSIDE]
    if inside:
        defects.append(f"{', '.join(inside)}: not check calls, so run inside the notebook's kernel as nbgrader "
                       "would (the grader cannot protect these tests from the notebook's code).")
    return Result(job.student, job.assignment, job.notebook, verdicts, defects, nbformat.writes(notebook),
                  time.monotonic() - started, report.stopped, job.sandboxed, report.failures)


def _forget_sandbox(job):
    """A sandbox that could not start a kernel is closed; the next submission starts a new one."""
    for key, sandbox in list(_sandboxes.items()):
        _sandboxes.pop(key)
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001 - it is being thrown away
            pass


def die_with_coordinator(coordinator):
    """A worker process's initializer: it (and with it its sandboxes) ends when the coordinator
    ends, even when that is killed with SIGKILL and cannot say goodbye."""
    from .sandbox.isolation import die_with_parent

    die_with_parent()
    if os.getppid() != coordinator:  # it died before the line above took effect
        os._exit(1)


def close_kernels():
    for sandbox in _sandboxes.values():
        sandbox.close()
    _sandboxes.clear()
    for views in _views:
        views.close()
    _views.clear()
