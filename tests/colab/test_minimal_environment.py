"""Self-study on Colab, rehearsed: a fresh virtual environment with Colab's own notebook stack
(ipywidgets 7.7.1, IPython 7.34, ipykernel 5.5.6, classic notebook 6.5) and only the course's
runtime dependencies (no nbgrader, no JupyterLab). The package goes in the way the setup cell
installs it, ``dl-course @ <repository>``, from a copy of the working tree; it must leave every
preinstalled package as it was. Then every student notebook runs on that kernel with the
reference answers filled in: the setup cell takes its Colab branch (pip and Colab's widget
manager stood in for), every check passes, and every widget builds and reacts to its controls."""
import ast
import json
import os
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from autograder.fill_solutions import fill_solutions
from course import colab
from tests.notebook_tools import ROOT, SOLUTIONS, errors, nbgrader_meta, read, student_version, text

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

TORCH = "torch==2.13.0"  # the CPU build, as the Makefile installs it; Colab brings its own (CUDA) torch
# What Colab's runtime pins (the google-colab package): the kernel and the widgets of Colab.
# Colab's versions; scikit-learn is preinstalled there too (lab 05 takes its digits data set).
COLAB_STACK = ["ipywidgets==7.7.1", "ipython==7.34.0", "ipykernel==5.5.6", "notebook==6.5.5", "scikit-learn==1.6.1"]
KERNEL = "colab-standin"
REPORT = "COLAB-REHEARSAL-REPORT "


def run(command, what, cwd, timeout=900):
    """Run outside the repository (the python of the new environment must not see its files)."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if result.returncode != 0:
        noise = "is ignored: it is neither a file nor a directory"  # this machine's pip configuration
        output = "\n".join(line for line in (result.stdout + result.stderr).splitlines() if noise not in line)
        pytest.fail(f"{what} failed ({' '.join(map(str, command))}):\n{output[-4000:]}")
    return result.stdout


def runtime_dependencies():
    if tomllib is None:
        pytest.fail("reading pyproject.toml needs Python 3.11 or newer (tomllib)")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]


def installed_versions(python, cwd):
    script = ("import importlib.metadata as m, json; "
              "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))")
    return json.loads(run([python, "-I", "-c", script], "listing the installed packages", cwd))


def copy_of_working_tree(destination):
    """What a clone of the repository would hold: the tracked and the new, not the ignored files."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: copy all but the usual junk
        ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", ".pytest_cache")
        shutil.copytree(ROOT, destination, ignore=ignore)
        return destination
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def colab_like(tmp_path_factory):
    """Build the environment once for the module: its python, kernel folder and package versions."""
    started = time.monotonic()
    base = tmp_path_factory.mktemp("colab")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", venv], "creating the virtual environment", base)
    python = venv / "bin" / "python"
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]  # no .pyc: twice as fast
    run(pip + [TORCH], f"installing {TORCH}", base)
    run(pip + COLAB_STACK + runtime_dependencies(), "installing Colab's stack and the runtime dependencies", base)
    preinstalled = installed_versions(python, base)

    source = copy_of_working_tree(base / "repository")
    requirement = f"{colab.PACKAGE} @ {source.as_uri()}"  # the setup cell's requirement, from a copy
    run(pip + [requirement], "installing the course package as the setup cell does", base)
    installed = installed_versions(python, base)

    kernels = base / "kernels"
    (kernels / KERNEL).mkdir(parents=True)
    (kernels / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab stand-in", "language": "python"}))
    print(f"Colab stand-in environment built in {time.monotonic() - started:.0f} s")
    # About a gigabyte, mostly torch; left to pytest, which keeps the last three runs' tmp folders
    # (deleting it here would add half a minute to the test).
    return types.SimpleNamespace(venv=venv, python=python, kernels=kernels, preinstalled=preinstalled,
                                 installed=installed)


def test_installing_the_course_keeps_every_preinstalled_package(colab_like):
    changed = {name: (version, colab_like.installed.get(name)) for name, version in colab_like.preinstalled.items()
               if colab_like.installed.get(name) != version}
    assert changed == {}, f"installing the course replaced Colab's packages (before, after): {changed}"
    added = sorted(set(colab_like.installed) - set(colab_like.preinstalled))
    assert added == [colab.PACKAGE], f"installing the course should add only {colab.PACKAGE}, added {added}"
    for stays_out in ("nbgrader", "jupyterlab", "pytest"):
        assert stays_out not in colab_like.installed, f"{stays_out} must not be needed to study on Colab"
    assert colab_like.installed["ipywidgets"] == "7.7.1" and colab_like.installed["torch"].startswith("2.13.0")


# -- running the notebooks -------------------------------------------------------------------

def widget_names_used_by_the_course():
    """Every ``widgets.X`` in course/widgets: each must exist in ipywidgets 7.7 as in 8."""
    names = set()
    for path in (ROOT / "course" / "widgets").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "widgets":
                names.add(node.attr)
    return sorted(names)


# Before the setup cell: Colab stood in for. `%pip` is recorded instead of run (the package is
# already installed from the working tree); Colab's widget manager is a counter.
PRETEND_COLAB = """\
import sys, types
_rehearsal = {"pip": [], "widget_manager": 0}
get_ipython().register_magic_function(lambda line: _rehearsal["pip"].append(line), "line", "pip")
def _enable_custom_widget_manager():
    _rehearsal["widget_manager"] += 1
sys.modules["google.colab"] = types.ModuleType("google.colab")
sys.modules["google.colab"].output = types.SimpleNamespace(enable_custom_widget_manager=_enable_custom_widget_manager)
"""

STOP_PRETENDING = """\
del sys.modules["google.colab"]
"""

# After the last cell: what the kernel is, and every course widget of the notebook, poked.
INSPECT = """\
import importlib, json, pkgutil, sys, warnings
import IPython, ipywidgets, course

_unimportable = []
for _module in pkgutil.walk_packages(course.__path__, "course."):
    try:
        importlib.import_module(_module.name)
    except Exception as error:
        _unimportable.append(f"{_module.name}: {type(error).__name__}: {error}")

def _course_widgets():
    found = {}
    for value in list(Out.values()) + list(globals().values()):
        is_widget = isinstance(value, ipywidgets.Widget) or isinstance(getattr(value, "widget", None), ipywidgets.Widget)
        if type(value).__module__.startswith("course.widgets") and is_widget:
            found[id(value)] = value
    return list(found.values())

def _poke_TwoLayerNetExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image, boundary = explorer.view.image.value, explorer.boundary.copy()
    new_size = 3 if explorer.hidden_size.value != 3 else 4
    explorer.hidden_size.value = new_size
    facts["hidden_size_rebuilt_W1"] = list(explorer.trainer.params["W1"].shape) == [2, new_size]
    facts["hidden_size_redrew_image"] = explorer.view.image.value != image
    facts["hidden_size_redrew_boundary"] = bool((explorer.boundary != boundary).any())
    explorer.learning_rate.value = 0.1
    facts["learning_rate_reached_trainer"] = abs(explorer.trainer.learning_rate - 0.1) < 1e-9
    image = explorer.view.image.value
    explorer.train_button.click()
    facts["train_button_trained"] = len(explorer.trainer.losses) == explorer.train_steps
    facts["train_button_redrew_image"] = explorer.view.image.value != image
    facts["status"] = explorer.status.value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        type(explorer)(explorer.trainer.X, explorer.trainer.y)
    facts["warnings_building_again"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    return facts

def _rebuilt_warnings(build):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build()
    return [f"{w.category.__name__}: {w.message}" for w in caught]

def _poke_ConvExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image = explorer.view.image.value
    explorer.padding.value = explorer.padding.value + 1
    facts["padding_reached_state"] = explorer.state.padding == explorer.padding.value
    facts["padding_redrew_image"] = explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.kernel.value = "box" if explorer.kernel.value != "box" else "sharpen"
    facts["kernel_reached_state"] = explorer.state.kernel_name == explorer.kernel.value
    facts["kernel_redrew_image"] = explorer.view.image.value != image
    facts["warnings_building_again"] = _rebuilt_warnings(type(explorer))
    return facts

def _poke_OptimizerRaceExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image, steps = explorer.view.image.value, explorer.race.steps
    explorer.more_button.click()
    facts["more_steps_reached_race"] = explorer.race.steps == min(explorer.steps.max, steps + 50)
    facts["more_steps_redrew_image"] = explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.lr.value = explorer.lr.value / 10
    facts["learning_rate_reached_race"] = abs(explorer.race.lr - explorer.lr.value) < 1e-12
    facts["learning_rate_redrew_image"] = explorer.view.image.value != image
    facts["warnings_building_again"] = _rebuilt_warnings(type(explorer))
    return facts

def _poke_NormalizationExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image, stds = explorer.view.image.value, explorer.state.stds.copy()
    explorer.normalization.value = "BatchNorm" if explorer.normalization.value != "BatchNorm" else "none"
    facts["normalization_reached_state"] = explorer.state.normalization == explorer.normalization.value
    facts["normalization_changed_statistics"] = bool((explorer.state.stds != stds).any())
    facts["normalization_redrew_image"] = explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.depth.value = explorer.depth.value + 3
    facts["depth_reached_state"] = len(explorer.state.activations) == explorer.depth.value
    facts["depth_redrew_image"] = explorer.view.image.value != image
    facts["warnings_building_again"] = _rebuilt_warnings(type(explorer))
    return facts

def _poke_ActivationExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image = explorer.view.image.value
    explorer.activation.value = "ELU" if explorer.activation.value != "ELU" else "LeakyReLU"
    facts["activation_reached_state"] = explorer.curves.name == explorer.activation.value
    facts["activation_redrew_image"] = explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.alpha.value = 0.5 if abs(explorer.alpha.value - 0.5) > 1e-9 else 0.3
    facts["alpha_reached_state"] = abs(explorer.curves.alpha - explorer.alpha.value) < 1e-12
    facts["alpha_redrew_image"] = explorer.view.image.value != image
    facts["warnings_building_again"] = _rebuilt_warnings(type(explorer))
    return facts

def _poke_LatentInterpolator(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image = explorer.view.image.value
    explorer.t.value = 0.9 if abs(explorer.t.value - 0.9) > 1e-9 else 0.1
    facts["t_reached_state"] = abs(explorer.state.t - explorer.t.value) < 1e-12
    facts["t_redrew_image"] = explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.method.value = "spherical" if explorer.method.value != "spherical" else "linear"
    facts["method_reached_state"] = explorer.state.method == explorer.method.value
    facts["method_redrew_image"] = explorer.view.image.value != image
    facts["warnings_building_again"] = _rebuilt_warnings(
        lambda: type(explorer)(explorer.state.decode, explorer.state.z_start, explorer.state.z_end))
    return facts

def _poke_GradientFlowExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image = explorer.view.image.value
    explorer.radius.value = 1.3 if abs(explorer.radius.value - 1.3) > 1e-9 else 0.8
    facts["radius_reached_state"] = abs(explorer.flow.spectral_radius - explorer.radius.value) < 1e-12
    facts["radius_redrew_image"] = explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.nonlinearity.value = "ReLU" if explorer.nonlinearity.value != "ReLU" else "tanh"
    facts["nonlinearity_reached_state"] = explorer.flow.nonlinearity == explorer.nonlinearity.value
    facts["nonlinearity_redrew_image"] = explorer.view.image.value != image
    facts["warnings_building_again"] = _rebuilt_warnings(type(explorer))
    return facts

def _poke_TemperatureSampler(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image, text = explorer.view.image.value, explorer.text.value
    explorer.temperature.value = 0.5 if abs(explorer.temperature.value - 0.5) > 1e-9 else 1.5
    facts["temperature_reached_state"] = abs(explorer.state.temperature - explorer.temperature.value) < 1e-12
    facts["temperature_redrew_image"] = explorer.view.image.value != image
    facts["temperature_resampled_text"] = explorer.text.value != text
    seed = explorer.state.seed
    explorer.again.click()
    facts["again_button_drew_a_new_sample"] = explorer.state.seed == seed + 1
    state = explorer.state
    facts["warnings_building_again"] = _rebuilt_warnings(
        lambda: type(explorer)(state.logits, state.characters, state.sample_text, prompt=explorer.prompt, length=50))
    return facts

def _poke_LatentExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    for axis, slider in enumerate(explorer.sliders):
        image, picture = explorer.view.image.value, explorer.state.image.copy()
        slider.value = 1.5 if abs(slider.value - 1.5) > 1e-9 else -1.5
        facts[f"z{axis + 1}_reached_state"] = bool(abs(explorer.state.point[axis] - slider.value) < 1e-12)
        facts[f"z{axis + 1}_redrew_image"] = explorer.view.image.value != image
        facts[f"z{axis + 1}_decoded_again"] = bool((explorer.state.image != picture).any())
    state = explorer.state
    facts["warnings_building_again"] = _rebuilt_warnings(lambda: type(explorer)(state.decode, state.codes, state.labels))
    return facts

def _poke_AttentionExplorer(explorer):
    facts = {"image_before": len(explorer.view.image.value)}
    image = explorer.view.image.value
    explorer.mask.value = "causal" if explorer.mask.value != "causal" else "none"
    facts["mask_reached_state"] = explorer.state.mask == explorer.mask.value
    facts["mask_redrew_image"] = explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.temperature.value = 0.1 if abs(explorer.temperature.value - 0.1) > 1e-9 else 2.0
    facts["temperature_reached_state"] = abs(explorer.state.temperature - explorer.temperature.value) < 1e-9
    facts["temperature_redrew_image"] = explorer.view.image.value != image
    facts["warnings_building_again"] = _rebuilt_warnings(type(explorer))
    return facts

def _poke_Quiz(quiz):
    # A quiz draws no picture; what it shows is text, so "image_before" counts its first prompt's characters.
    facts = {"image_before": len(quiz.prompts[0].value)}
    def _answer(index, right):
        question, control = quiz.questions[index], quiz.controls[index]
        rights = [i for i, option in enumerate(getattr(question, "options", ())) if option.right]
        wrong = next((i for i, option in enumerate(getattr(question, "options", ())) if not option.right), None)
        if not hasattr(question, "options"):
            control.value = repr(question.answer if right else question.answer * 2 + 1)
        elif isinstance(control, ipywidgets.RadioButtons):
            control.value = rights[0] if right else wrong
        else:
            for i, box in enumerate(control.children):
                box.value = (i in rights) if right else (i == wrong)
    _answer(0, True)
    _answer(1, False)
    quiz.check_button.click()
    count = len(quiz.questions)
    facts["right_answer_marked_right"] = quiz.feedback[0].value.startswith("✅")
    facts["wrong_answer_marked_wrong"] = quiz.feedback[1].value.startswith("❌")
    facts["unanswered_marked_unanswered"] = all(line.value.startswith("…") for line in quiz.feedback[2:])
    facts["score_counted"] = quiz.score.value.startswith(f"<b>1 of {count} right</b>")
    _answer(1, True)
    facts["new_answer_cleared_feedback"] = quiz.feedback[1].value == ""
    quiz.show_button.click()
    facts["show_answers_revealed"] = all(line.value.startswith("💡") for line in quiz.feedback)
    facts["warnings_building_again"] = _rebuilt_warnings(lambda: type(quiz)(quiz.questions, title=quiz.title))
    return facts

_widgets = {}
for _widget in _course_widgets():
    _poke = globals().get("_poke_" + type(_widget).__name__)
    _widgets[type(_widget).__name__] = _poke(_widget) if _poke else None

print(REPORT + json.dumps({
    "prefix": sys.prefix,
    "ipywidgets": ipywidgets.__version__,
    "ipython": IPython.__version__,
    "course_file": course.__file__,
    "unimportable_modules": _unimportable,
    "rehearsal": _rehearsal,
    "widgets": _widgets,
    "missing_widget_classes": [name for name in WIDGET_NAMES if not hasattr(ipywidgets, name)],
}))
"""


def rehearsal_notebook(source):
    """The student notebook with the reference answers, Colab stood in for, and the inspection."""
    notebook = fill_solutions(read(student_version(source)), read(source))
    setup = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    notebook.cells[setup:setup + 1] = [new_code_cell(PRETEND_COLAB), notebook.cells[setup],
                                       new_code_cell(STOP_PRETENDING)]
    inspect = f"REPORT = {REPORT!r}\nWIDGET_NAMES = {widget_names_used_by_the_course()!r}\n" + INSPECT
    notebook.cells.append(new_code_cell(inspect))
    return notebook


def execute_on(colab_like, notebook, cwd):
    manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(colab_like.kernels)]))
    # A student's kernel: nothing from this repository on the path, not in the grader's mode.
    hidden = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "COURSE_GRADING")
    environment = {k: v for k, v in os.environ.items() if k not in hidden}
    client = NotebookClient(notebook, km=manager, timeout=300, allow_errors=True, resources={"metadata": {"path": str(cwd)}})
    client.execute(env=environment, cleanup_kc=True)  # shut the kernel down when done
    return notebook


@pytest.fixture(scope="module")
def executed(colab_like, tmp_path_factory):
    runs = {}
    for source in SOLUTIONS:
        cwd = tmp_path_factory.mktemp(source.stem)  # not the repository: `course` must come from the venv
        runs[source.stem] = execute_on(colab_like, rehearsal_notebook(source), cwd)
    return runs


def report_of(notebook):
    printed = text(notebook.cells[-1])
    assert REPORT in printed, f"the inspection cell printed no report: {printed or notebook.cells[-1].outputs}"
    return json.loads(printed.split(REPORT, 1)[1].splitlines()[0])


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_notebook_runs_on_colabs_stack_from_the_installed_package(colab_like, executed, source):
    notebook = executed[source.stem]
    failing = [(i, e.ename, e.evalue) for i, c in enumerate(notebook.cells) for e in errors(c)]
    assert failing == [], f"cells failed on the Colab stand-in: {failing}"
    report = report_of(notebook)
    assert Path(report["prefix"]) == colab_like.venv, "the notebook did not run on the Colab stand-in's python"
    assert report["ipywidgets"] == "7.7.1" and report["ipython"] == "7.34.0"
    assert Path(report["course_file"]).is_relative_to(colab_like.venv), \
        f"course was imported from {report['course_file']}, not from the installed package"
    assert report["unimportable_modules"] == [], \
        f"with only the runtime dependencies, these modules of course do not import: {report['unimportable_modules']}"


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_setup_cell_takes_the_colab_branch(executed, source):
    rehearsal = report_of(executed[source.stem])["rehearsal"]
    assert rehearsal["pip"] == [colab.install_command()[len("pip "):]], \
        f"on Colab the setup cell should run `%{colab.install_command()}`, ran {rehearsal['pip']}"
    assert rehearsal["widget_manager"] == 1, "on Colab the setup cell should enable the custom widget manager once"


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_every_check_passes_and_the_summary_says_all(executed, source):
    notebook = executed[source.stem]
    printed = "".join(text(c) for c in notebook.cells)
    failed = [line for line in printed.splitlines() if "❌" in line]
    assert failed == [], f"checks failed on the Colab stand-in: {failed}"
    exercises = sum(1 for c in notebook.cells if c.cell_type == "code" and nbgrader_meta(c).get("grade")
                    and not nbgrader_meta(c).get("solution"))  # tests, not the written answers
    assert f"{exercises} of {exercises} exercises pass." in printed, \
        f"the summary should say {exercises} of {exercises}: {printed[printed.rfind('exercises pass') - 20:]!r}"


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_every_widget_builds_and_reacts_on_ipywidgets_7(executed, source):
    notebook = executed[source.stem]
    report = report_of(notebook)
    assert report["missing_widget_classes"] == [], \
        f"course/widgets uses ipywidgets classes that 7.7 lacks: {report['missing_widget_classes']}"
    uses_widgets = any("course.widgets" in c.source for c in notebook.cells[:-1])
    assert bool(report["widgets"]) == uses_widgets, f"course widgets found in the kernel: {list(report['widgets'])}"
    views = [o for c in notebook.cells for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert bool(views) == uses_widgets, "a course widget must display as a widget view"
    for name, facts in report["widgets"].items():
        assert facts is not None, f"no rehearsal for the widget {name}: add a _poke_{name} to INSPECT in this test"
        assert facts["image_before"] > 0, f"{name} drew nothing"
        assert facts["warnings_building_again"] == [], f"{name} warns on ipywidgets 7.7: {facts['warnings_building_again']}"
        reactions = {key: value for key, value in facts.items() if isinstance(value, bool)}
        assert reactions and all(reactions.values()), f"{name} did not react on ipywidgets 7.7: {reactions}"
