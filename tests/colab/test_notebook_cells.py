"""Every student notebook can teach itself on Colab: an "Open in Colab" badge that points at the
notebook itself, a setup cell that installs the course there (and does nothing anywhere else), a
check(...) cell for every graded exercise, and a summary that counts them all."""
import ast
import re
import sys
import types

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import course.checks
from course import colab
from course.checks.runner import _exercise_name
from tests.notebook_tools import ROOT, SOLUTIONS, nbgrader_meta, read

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

STUDENT_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*/*.ipynb"))
REWRITE = "run `python -m course.colab solutions/*/*.ipynb`, then `course-grade release`"

# What a Colab runtime has preinstalled (google-colab pins ipywidgets 7.7.1; Python 3.12 since 2025).
COLAB = {"python": "3.12.11", "numpy": "2.0.2", "torch": "2.8.0", "matplotlib": "3.10.0",
         "ipywidgets": "7.7.1", "tqdm": "4.67.1", "scikit-learn": "1.6.1"}
# What `make lab` gives: JupyterLab 4 with ipywidgets 8.
JUPYTERLAB = {"ipywidgets": "8.1.7"}


def notebook_id(path):
    return path.stem


def relative(path):
    return path.relative_to(ROOT).as_posix()


def python_of(cell):
    """A code cell as the Python that IPython runs (magics become get_ipython() calls)."""
    return TransformerManager().transform_cell(cell.source)


def code_cells(notebook):
    return [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]


def calls(tree):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def name_of(node):
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


# -- the repository is named in one place -----------------------------------------------------

def test_the_repository_is_named_only_in_course_colab():
    slug = colab.REPOSITORY
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", slug), f"REPOSITORY should be 'owner/name', not {slug!r}"
    files = [p for folder in ("course", "autograder", "tests") for p in (ROOT / folder).rglob("*.py")]
    files += [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "Makefile"]
    naming = [relative(p) for p in files if p.exists() and slug in p.read_text(encoding="utf-8")]
    assert naming == ["course/colab.py"], f"the repository {slug!r} is spelt out outside course/colab.py: {naming}"
    for path in STUDENT_NOTEBOOKS + SOLUTIONS:
        cells = [i for i, c in enumerate(read(path).cells) if slug in c.source]
        assert cells == [0, 1], f"{relative(path)}: only the badge and the setup cell name the repository, not cells {cells}"


def test_badge_url_and_install_command_are_made_from_the_one_constant():
    path = "notebooks/01_backprop/01_backprop.ipynb"
    assert colab.badge_url(path) == (f"https://colab.research.google.com/github/{colab.REPOSITORY}"
                                     f"/blob/{colab.BRANCH}/{path}")
    assert colab.install_command() == f'pip install --quiet "dl-course @ git+https://github.com/{colab.REPOSITORY}@{colab.BRANCH}"'
    assert colab.student_notebook_path(ROOT / "solutions/01_backprop/01_backprop.ipynb") == path
    for wrong in ("/abs/lab.ipynb", "../elsewhere/lab.ipynb", "notebooks/01_backprop"):
        with pytest.raises(ValueError, match="inside the repository"):
            colab.badge_url(wrong)


# -- the first two cells of every student notebook -------------------------------------------

def test_every_lab_has_a_student_notebook():
    assert STUDENT_NOTEBOOKS and [p.relative_to(ROOT / "notebooks") for p in STUDENT_NOTEBOOKS] == \
        [p.relative_to(ROOT / "solutions") for p in SOLUTIONS]


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=notebook_id)
def test_first_cell_has_a_colab_badge_pointing_at_the_notebook_itself(path):
    first = read(path).cells[0]
    assert first.cell_type == "markdown", f"{relative(path)} must start with a markdown cell holding the Colab badge"
    links = re.findall(r'href="(https://colab\.research\.google\.com/[^"]*)"', first.source)
    assert len(links) == 1, f"{relative(path)}: the first cell needs exactly one Colab link, found {links}"
    expected = f"https://colab.research.google.com/github/{colab.REPOSITORY}/blob/{colab.BRANCH}/{relative(path)}"
    assert links[0] == expected, f"{relative(path)}: the badge opens {links[0]}, not this notebook ({expected}); {REWRITE}"
    assert colab.badge_html(relative(path)) in first.source and first.source.startswith("<a href="), \
        f"{relative(path)}: the badge is not the first thing in the notebook; {REWRITE}"
    assert colab.BADGE_IMAGE in first.source


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=notebook_id)
def test_setup_cell_installs_from_the_same_repository_on_colab_only(path):
    first_code = code_cells(read(path))[0][1]
    assert first_code.source == colab.setup_cell_source(), \
        f"{relative(path)}: the first code cell is not the setup cell of course.colab; {REWRITE}"
    tree = ast.parse(python_of(first_code))
    guards = [node for node in tree.body if isinstance(node, ast.If)]
    assert len(guards) == 1 and ast.unparse(guards[0].test) == "'google.colab' in sys.modules", \
        "the setup cell must do its work under `if \"google.colab\" in sys.modules:`"
    outside = [ast.unparse(node) for node in tree.body if not isinstance(node, (ast.If, ast.Import))]
    assert outside == [], f"the setup cell must do nothing outside Colab, but runs {outside}"
    guarded = ast.Module(body=guards[0].body, type_ignores=[])
    magics = [c for c in calls(guarded) if name_of(c.func) == "run_line_magic"]
    assert [ast.literal_eval(arg) for c in magics for arg in c.args] == ["pip", colab.install_command()[len("pip "):]]
    requirement = Requirement(colab.install_requirement())
    assert requirement.name == "dl-course" and requirement.url == f"git+https://github.com/{colab.REPOSITORY}@{colab.BRANCH}"
    assert "enable_custom_widget_manager" in [name_of(c.func) for c in calls(guarded)]


class FakeShell:
    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=notebook_id)
def test_setup_cell_does_nothing_visible_outside_colab(path, monkeypatch, capsys):
    shell = FakeShell()
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(python_of(code_cells(read(path))[0][1]), {"get_ipython": lambda: shell})
    assert shell.magics == [] and capsys.readouterr() == ("", "")


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=notebook_id)
def test_setup_cell_on_colab_pip_installs_the_course_and_turns_on_widgets(path, monkeypatch):
    shell, enabled = FakeShell(), []
    fake_colab = types.ModuleType("google.colab")
    fake_colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: enabled.append(True))
    monkeypatch.setitem(sys.modules, "google.colab", fake_colab)
    exec(python_of(code_cells(read(path))[0][1]), {"get_ipython": lambda: shell})
    assert shell.magics == [("pip", colab.install_command()[len("pip "):])] and enabled == [True]


def test_add_colab_cells_is_idempotent_and_fixes_a_stale_badge():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell('<a href="https://colab.research.google.com/github/old/repo/blob/main/x.ipynb" '
                                      'target="_parent"><img src="x.svg" alt="Open In Colab"/></a>\n\n# Lab'),
        nbformat.v4.new_code_cell("import numpy as np"),
    ])
    colab.add_colab_cells(notebook, "notebooks/02_x/02_x.ipynb")
    once = [c.source for c in notebook.cells]
    colab.add_colab_cells(notebook, "notebooks/02_x/02_x.ipynb")
    assert [c.source for c in notebook.cells] == once
    assert once == [colab.badge_html("notebooks/02_x/02_x.ipynb") + "\n\n# Lab", colab.setup_cell_source(),
                    "import numpy as np"]


# -- checks in the notebook, the same as the graded tests, and the summary ----------------------

def graded_exercises(notebook):
    """``[(cell index, [check function names])]`` for every graded test cell."""
    exercises = []
    for index, cell in code_cells(notebook):
        if nbgrader_meta(cell).get("grade"):
            called = [name_of(c.func) for c in calls(ast.parse(python_of(cell)))]
            exercises.append((index, list(dict.fromkeys(n for n in called if n and n.startswith("check_")))))
    return exercises


def check_cell_calls(cell):
    """The check functions that a ``check(check_fn, ...)`` cell runs."""
    return [name_of(c.args[0]) for c in calls(ast.parse(python_of(cell)))
            if name_of(c.func) == "check" and c.args]


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=notebook_id)
def test_every_graded_exercise_has_a_check_cell_with_the_same_check_before_it(path):
    notebook = read(path)
    exercises = graded_exercises(notebook)
    assert exercises, f"{relative(path)} has no graded test cells"
    imported = {alias.name for _, cell in code_cells(notebook)
                for node in ast.walk(ast.parse(python_of(cell)))
                if isinstance(node, ast.ImportFrom) and node.module == "course.checks" for alias in node.names}
    previous = -1
    for index, check_functions in exercises:
        assert check_functions, f"{relative(path)}, cell {index}: a graded test must call a check_* function of course.checks"
        for function in check_functions:
            assert hasattr(course.checks, function) and function in imported, \
                f"{relative(path)}, cell {index}: {function} must come from course.checks (the one source of truth)"
        checked = {name for i, cell in code_cells(notebook) if previous < i < index and not nbgrader_meta(cell).get("grade")
                   for name in check_cell_calls(cell)}
        missing = [f for f in check_functions if f not in checked]
        assert missing == [], (f"{relative(path)}, cell {index}: no `check({missing[0] if missing else ''}, ...)` cell "
                               f"between the previous graded test and this one, so a student on Colab gets no feedback")
        previous = index


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=notebook_id)
def test_the_summary_lists_every_exercise(path):
    notebook = read(path)
    summaries = [(i, call) for i, cell in code_cells(notebook) for call in calls(ast.parse(python_of(cell)))
                 if name_of(call.func) == "summary"]
    assert len(summaries) == 1, f"{relative(path)} needs one summary([...]) call, found {len(summaries)}"
    index, call = summaries[0]
    assert call.args, f"{relative(path)}: summary() needs the list of all exercises, so that unchecked ones count"
    listed = ast.literal_eval(call.args[0])
    exercises = [_exercise_name(getattr(course.checks, f)) for _, functions in graded_exercises(notebook)
                 for f in functions]
    assert index > max(i for i, _ in graded_exercises(notebook)), "the summary comes after the last exercise"
    assert len(listed) == len(set(listed)) and set(listed) == set(exercises), \
        f"{relative(path)}: summary lists {listed}, the graded tests check {exercises}"


# -- dependencies that Colab already satisfies ------------------------------------------------

def project_metadata():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if tomllib is None:
        pytest.fail("reading pyproject.toml needs Python 3.11 or newer (tomllib)")
    return tomllib.loads(text)["project"]


def test_dependencies_are_ranges_that_colab_and_jupyterlab_already_satisfy():
    project = project_metadata()
    assert SpecifierSet(project["requires-python"]).contains(COLAB["python"]), \
        f"requires-python {project['requires-python']} shuts out Colab's Python {COLAB['python']}"
    for line in project["dependencies"]:
        requirement = Requirement(line)
        exact = [str(s) for s in requirement.specifier if s.operator in ("==", "===", "~=")]
        assert exact == [], f"{line}: an exact pin forces pip to replace Colab's own {requirement.name}"
        for versions in (COLAB, JUPYTERLAB):
            if requirement.name in versions:
                assert requirement.specifier.contains(versions[requirement.name]), \
                    f"{line} shuts out {requirement.name} {versions[requirement.name]}, which Colab or JupyterLab has"
    names = {Requirement(line).name for line in project["dependencies"]}
    assert {"nbgrader", "jupyterlab", "notebook"}.isdisjoint(names), "grading tools are not runtime dependencies"
