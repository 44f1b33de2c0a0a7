"""The self-check quiz widget and the quizzes of labs 01-05, driven headless through their controls."""
import ast
import html
import os
import subprocess
import sys
from pathlib import Path

import ipywidgets
import nbformat
import numpy as np
import pytest

import course
from course import arithmetic, init, layers, optim
from course.optim.lr_scheduler import step_lr
from course.quizzes import LABS, SkippedWhileGrading, questions, quiz
from course.widgets import MultipleChoice, NumericAnswer, Option, Quiz
from course.widgets.conv_explorer import KERNELS
from course.widgets.quiz import parse_number

ROOT = Path(__file__).resolve().parents[2]


def answer(a_quiz, index, right):
    """Set question ``index``'s control to a right (or a wrong) answer, as a student would."""
    question, control = a_quiz.questions[index], a_quiz.controls[index]
    if isinstance(question, NumericAnswer):
        control.value = repr(question.answer) if right else repr(question.answer * 2 + 1)
    elif question.several:
        wrong = next(i for i, o in enumerate(question.options) if not o.right)
        for i, box in enumerate(control.children):
            box.value = (i in question.right_options) if right else (i == wrong)
    else:
        control.value = question.right_options[0] if right else next(
            i for i, o in enumerate(question.options) if not o.right)


def escaped(text):
    return html.escape(text, quote=False)


def small_quiz():
    return Quiz([
        MultipleChoice("pick", "Which is even?", [Option("2", right=True, why="2 = 2·1."),
                                                  Option("3", why="3 leaves a remainder of 1.")]),
        NumericAnswer("half", "What is 1/2?", 0.5, tolerance=0.01, explanation="One of two equal parts.",
                      hint="divide 1 by 2."),
        MultipleChoice("primes", "Which are prime?", [Option("2", right=True, why="Only 1 and 2 divide it."),
                                                      Option("3", right=True, why="Only 1 and 3 divide it."),
                                                      Option("4", why="4 = 2·2.")], several=True),
    ], title="Warm-up")


# -- the lab quizzes ------------------------------------------------------------------------------
@pytest.mark.parametrize("lab", list(LABS))
def test_every_lab_has_a_quiz_mixing_both_kinds(lab):
    a_quiz = quiz(lab)
    assert isinstance(a_quiz, Quiz) and isinstance(a_quiz.widget, ipywidgets.VBox)
    kinds = {type(q) for q in a_quiz.questions}
    assert len(a_quiz.questions) >= 5 and kinds == {MultipleChoice, NumericAnswer}, \
        f"{lab}: {len(a_quiz.questions)} questions of kinds {kinds}"


@pytest.mark.parametrize("lab", list(LABS))
def test_right_answers_are_confirmed_and_score_full_marks(lab):
    a_quiz = quiz(lab)
    for index in range(len(a_quiz.questions)):
        answer(a_quiz, index, right=True)
    a_quiz.check_button.click()
    for question, line in zip(a_quiz.questions, a_quiz.feedback):
        assert line.value.startswith("✅ Right"), f"{question.name}: {line.value}"
        if isinstance(question, NumericAnswer):
            assert escaped(question.explanation) in line.value
    n = len(a_quiz.questions)
    assert a_quiz.score.value == f"<b>{n} of {n} right</b>"


@pytest.mark.parametrize("lab", list(LABS))
def test_wrong_answers_are_marked_wrong_with_the_reason(lab):
    a_quiz = quiz(lab)
    for index in range(len(a_quiz.questions)):
        answer(a_quiz, index, right=False)
    a_quiz.check_button.click()
    for question, line in zip(a_quiz.questions, a_quiz.feedback):
        assert line.value.startswith("❌"), f"{question.name}: {line.value}"
        if isinstance(question, NumericAnswer):
            assert escaped(question.hint) in line.value and "is not it" in line.value
        else:  # the chosen wrong option's own reason
            wrong = next(o for o in question.options if not o.right)
            assert escaped(wrong.why) in line.value
    assert a_quiz.score.value == f"<b>0 of {len(a_quiz.questions)} right</b>"


# Each numeric answer, recomputed here straight from the library.
EXPECTED = {
    ("01_backprop", "mlp_parameters"): lambda: sum(arithmetic.linear_params(a, b) for a, b in [(4, 3), (3, 2), (2, 1)]),
    ("01_backprop", "worked_example_gradient"): lambda: (
        np.array([[0.0, 1.0], [2.0, 3.0]]).T @ (2 * layers.affine_forward(np.array([[0.0, 1.0], [2.0, 3.0]]),
                                                                           np.ones((2, 2)), np.zeros(2))[0]))[1, 0],
    ("01_backprop", "initial_cross_entropy"): lambda: layers.softmax_cross_entropy(np.zeros((4, 10)), np.arange(4))[0],
    ("01_backprop", "one_step_bias"): lambda: _one_step_bias(),
    ("02_activations_losses", "tanh_derivative"): lambda: layers.tanh_backward(np.ones(1), layers.tanh_forward(np.ones(1))[1])[0],
    ("02_activations_losses", "label_smoothing_target"): lambda: 0.25 - layers.softmax_cross_entropy(
        np.zeros((1, 4)), np.array([2]), label_smoothing=0.1)[1][0, 2],
    ("02_activations_losses", "bce_confident_wrong"): lambda: layers.bce_with_logits(np.array([3.0]), np.array([0.0]))[0],
    ("03_optimization", "momentum_buffer"): lambda: _sgd_buffer(),
    ("03_optimization", "rmsprop_first_step"): lambda: _first_step(optim.RMSprop, 0.5, 1e-2),
    ("03_optimization", "adam_first_step"): lambda: _first_step(optim.Adam, 1e-6, 1e-3),
    ("03_optimization", "he_variance"): lambda: init.kaiming_std((512, 10), nonlinearity="relu") ** 2,
    ("03_optimization", "step_decay"): lambda: step_lr(25, 0.1, step_size=10, gamma=0.5),
    ("04_regularization", "inverted_dropout_scale"): lambda: np.max(layers.dropout_forward(np.ones(50), 0.2, "train", seed=3)[0]),
    ("04_regularization", "weight_decay_step"): lambda: _decayed(),
    ("04_regularization", "batchnorm_running_var"): lambda: _running_var(),
    ("05_convolutions", "output_size"): lambda: arithmetic.conv_output_size(227, 11, 4, 0),
    ("05_convolutions", "conv_parameters"): lambda: arithmetic.conv_params(3, 10, 5),
    ("05_convolutions", "receptive_field"): lambda: arithmetic.receptive_field([(3, 1), (2, 2), (1, 1), (4, 2)])[-1],
    ("05_convolutions", "transposed_output_size"): lambda: arithmetic.conv_transpose_output_size(16, 4, 2, 1),
    ("05_convolutions", "gaussian_sum"): lambda: np.sum(KERNELS["Gaussian"]) * 273,
}


def _one_step_bias():
    hidden = layers.relu_forward(layers.affine_forward(np.array([[1.0, 2.0]]), np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
                                                       np.array([0.1, 0.2, 0.3]))[0])[0]
    prediction = layers.affine_forward(hidden, np.array([[0.7], [0.8], [0.9]]), np.array([0.1]))[0][0, 0]
    return 0.1 - 0.1 * (prediction - 3.2)  # dL/db2 = prediction - target for L = (y - t)^2 / 2


def _sgd_buffer():
    weight = np.zeros(1)
    optimizer = optim.SGD([weight], lr=0.5, momentum=0.9)
    for _ in range(3):
        optimizer.step([np.ones(1)])
    return optimizer.state[0]["momentum_buffer"][0]


def _first_step(optimizer_class, gradient, lr):
    weight = np.zeros(1)
    optimizer_class([weight], lr=lr).step([np.full(1, gradient)])
    return abs(weight[0]) / lr


def _decayed():
    weight = np.ones(1)
    optim.SGD([weight], lr=0.1, weight_decay=0.01).step([np.zeros(1)])
    return weight[0]


def _running_var():
    bn_param = {"mode": "train"}
    layers.batchnorm_forward(np.array([[1.0], [2.0], [3.0], [4.0]]), np.ones(1), np.zeros(1), bn_param)
    return bn_param["running_var"][0]


@pytest.mark.parametrize("lab", list(LABS))
def test_every_numeric_answer_is_what_the_library_computes(lab):
    numeric = {q.name: q for q in questions(lab) if isinstance(q, NumericAnswer)}
    assert set(numeric) == {name for (l, name) in EXPECTED if l == lab}, "every numeric question is recomputed here"
    for name, question in numeric.items():
        assert question.answer == pytest.approx(float(EXPECTED[lab, name]()), rel=1e-12, abs=1e-12), name


def test_the_numbers_teach_the_corrected_errata():
    by_name = {q.name: q for lab in LABS for q in questions(lab)}
    assert by_name["label_smoothing_target"].answer == pytest.approx(0.925)  # (1 - eps) + eps / C, not eps / (1 - C)
    assert by_name["inverted_dropout_scale"].answer == pytest.approx(1 / 0.8)  # 1 / (1 - p)
    assert by_name["gaussian_sum"].answer == 273  # the entries sum to 273, not 1/273
    assert by_name["adam_first_step"].answer == pytest.approx(0.990, abs=1e-3)  # eps outside the square root
    assert by_name["one_step_bias"].answer == pytest.approx(0.084)  # L = (y - t)^2 / 2 reproduces the lecture
    equivariance = by_name["equivariance"]
    assert "equivariant" in equivariance.options[equivariance.right_options[0]].why
    # ... and the claim holds for the library's convolution: shifting the input shifts the output
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(1, 1, 8, 12)), rng.normal(size=(2, 1, 3, 3))
    out = layers.conv_forward(x, w, np.zeros(2))[0]
    shifted = layers.conv_forward(np.roll(x, 2, axis=3), w, np.zeros(2))[0]
    assert np.allclose(shifted[..., 4:], out[..., 2:-2])


def test_unknown_lab_names_the_known_ones():
    with pytest.raises(ValueError) as error:
        quiz("06_cnns")
    message = str(error.value)
    assert message.count(".") >= 1 and "'06_cnns'" in message and all(repr(lab) in message for lab in LABS)
    with pytest.raises(ValueError, match="no quiz for"):
        quiz(["01_backprop"])


# -- the widget ---------------------------------------------------------------------------------
def test_unanswered_questions_say_so_and_do_not_count():
    a_quiz = small_quiz()
    verdicts = a_quiz.check()
    assert [v.status for v in verdicts] == ["unanswered"] * 3
    assert all(line.value.startswith("…") for line in a_quiz.feedback)
    assert a_quiz.score.value == "<b>0 of 3 right</b> (3 not answered yet)"
    answer(a_quiz, 1, right=True)
    a_quiz.check_button.click()
    assert a_quiz.score.value == "<b>1 of 3 right</b> (2 not answered yet)"


def test_several_right_options_need_all_of_them_and_no_wrong_one():
    question = small_quiz().questions[2]
    assert question.judge(()).status == "unanswered"
    only_one = question.judge((0,))
    assert only_one.status == "wrong" and "1 more right option to tick" in only_one.message
    with_wrong = question.judge((0, 1, 2))
    assert with_wrong.status == "wrong" and "❌ 4: 4 = 2·2." in with_wrong.message
    assert question.judge([1, 0]).right


def test_numeric_tolerance_relative_and_absolute():
    relative = NumericAnswer("r", "x?", 200.0, tolerance=0.01, explanation="e.", hint="h.")
    assert relative.judge("201.9").right and relative.judge("198").right and not relative.judge("202.1").right
    absolute = NumericAnswer("a", "x?", 0.0, tolerance=0.5, relative=False, explanation="e.", hint="h.")
    assert absolute.judge("-0.5").right and not absolute.judge("0.51").right
    exact = NumericAnswer("e", "x?", 55, tolerance=0, relative=False, explanation="e.", hint="h.")
    assert exact.judge("55").right and exact.judge("55.0").right and not exact.judge("54").right
    assert exact.judge(55).right


def test_typed_numbers_are_read_like_a_person_writes_them():
    assert parse_number("1/4") == 0.25 and parse_number(" 2.5e-3 ") == 0.0025 and parse_number("−3") == -3.0
    assert parse_number("abc") is None and parse_number("1/0") is None and parse_number("nan") is None
    verdict = NumericAnswer("q", "x?", 0.25, explanation="e.", hint="h.").judge("a quarter")
    assert verdict.status == "wrong" and verdict.message == "'a quarter' is not a number: write it like 0.25, 1/4 or 2.5e-3."


def test_changing_an_answer_clears_its_stale_feedback():
    a_quiz = small_quiz()
    for index in range(3):
        answer(a_quiz, index, right=False)
    a_quiz.check_button.click()
    assert all(line.value for line in a_quiz.feedback)
    answer(a_quiz, 0, right=True)
    a_quiz.controls[2].children[0].value = True
    assert a_quiz.feedback[0].value == "" and a_quiz.feedback[2].value == "" and a_quiz.feedback[1].value


def test_show_answers_reveals_every_solution():
    a_quiz = quiz("05_convolutions")
    a_quiz.show_button.click()
    for question, line in zip(a_quiz.questions, a_quiz.feedback):
        assert line.value.startswith("💡")
        if isinstance(question, NumericAnswer):
            assert f"{question.answer:.6g}" in line.value
        else:
            assert all(escaped(question.options[i].text) in line.value for i in question.right_options)


def test_text_fallback_lists_every_question_and_keeps_the_answers_back():
    a_quiz = small_quiz()
    text = a_quiz.text()
    assert text.startswith("Warm-up\n") and "1. Which is even?" in text and "   b) 3" in text
    assert "(several options may be right)" in text and "(answer with a number)" in text
    assert "Answer" not in text and "One of two equal parts" not in text
    assert "Answer: 0.5: One of two equal parts." in a_quiz.text(with_answers=True)
    assert repr(a_quiz) == text


def test_displaying_sends_the_widget_view_with_the_text_beside_it(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *args, **kwargs: shown.append((args, kwargs)))
    a_quiz = small_quiz()
    a_quiz._ipython_display_()
    (bundle,), options = shown[0]
    assert options == {"raw": True} and bundle["text/plain"] == a_quiz.text()
    assert bundle["application/vnd.jupyter.widget-view+json"] == {
        "version_major": 2, "version_minor": 0, "model_id": a_quiz.widget.model_id}


def _question(kind, **changes):
    if kind == "choice":
        arguments = dict(name="q", prompt="Which?", options=[Option("a", right=True, why="yes."), Option("b", why="no.")])
        arguments.update(changes)
        return MultipleChoice(**arguments)
    arguments = dict(name="n", prompt="How many?", answer=3.0, tolerance=0.1, explanation="e.", hint="h.")
    arguments.update(changes)
    return NumericAnswer(**arguments)


@pytest.mark.parametrize("build, message", [
    (lambda: _question("choice", options=[Option("a", why="x."), Option("b", why="y.")]), "no option is marked right"),
    (lambda: _question("choice", options=[Option("a", True, "x."), Option("b", True, "y."), Option("c", why="z.")]),
     "2 options are marked right; pass several=True"),
    (lambda: _question("choice", options=[Option("a", True, "x."), Option("b", True, "y.")], several=True),
     "every option is marked right"),
    (lambda: _question("choice", options=[Option("a", True, "x.")]), "at least two options"),
    (lambda: _question("choice", options=["a", "b"]), "at least two options"),
    (lambda: _question("choice", options=[Option("a", True, "x."), Option("a", why="y.")]), "same text"),
    (lambda: _question("choice", options=[Option("a", True, "x."), Option("b")]), "the reason of option 'b'"),
    (lambda: _question("choice", prompt=" "), "the prompt must be a non-empty string"),
    (lambda: _question("numeric", tolerance=-0.1), "the tolerance must not be negative, got -0.1"),
    (lambda: _question("numeric", answer=0.0), "relative tolerance around an answer of 0"),
    (lambda: _question("numeric", answer=float("nan")), "the answer must be a finite number"),
    (lambda: _question("numeric", answer="3"), "the answer must be a finite number"),
    (lambda: _question("numeric", hint=""), "the hint"),
    (lambda: Quiz([]), "at least one question"),
    (lambda: Quiz(["What is 2 + 2?"]), "is not a question"),
    (lambda: Quiz([_question("choice"), _question("choice")]), "the question name 'q' is used twice"),
])
def test_mistakes_in_question_data_are_refused_with_one_sentence(build, message):
    with pytest.raises(ValueError) as error:
        build()
    text = str(error.value)
    assert message in text and text.endswith(".") and "\n" not in text


# -- grading mode ---------------------------------------------------------------------------------
def test_while_grading_the_quiz_is_one_line_and_computes_nothing(monkeypatch):
    import course.quizzes as quizzes

    monkeypatch.setenv("COURSE_GRADING", "1")
    monkeypatch.setattr(quizzes, "import_module", lambda *a: pytest.fail("a lab's questions were computed"))
    shown = quiz("01_backprop")
    assert isinstance(shown, SkippedWhileGrading) and "not shown while grading" in repr(shown)
    with pytest.raises(ValueError, match="no quiz for"):
        quiz("99_nothing")


def _student_names(lab):
    """The functions and classes a lab's answer cells define, as the autograder's policy reads them."""
    notebook = nbformat.read(ROOT / "solutions" / lab / f"{lab}.ipynb", as_version=4)
    names = set()
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            tree = ast.parse("\n".join("pass" if l.lstrip().startswith(("%", "!")) else l for l in cell.source.splitlines()))
            names.update(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
    return names


def test_the_quiz_cell_runs_in_the_grading_kernels_view_of_the_package(tmp_path):
    """The lead's cell, `from course.quizzes import quiz; quiz("05_convolutions")`, in the package
    as a grading kernel sees it (reference functions stubbed, COURSE_GRADING=1): no error, one line."""
    from autograder.sandbox.view import write_view

    names = set().union(*(_student_names(lab) for lab in LABS))
    write_view(Path(course.__file__).parent, {"reference"}, names, tmp_path / "view" / "course")
    script = "\n".join([
        "import course, course.arithmetic",
        "try:",
        "    course.arithmetic.receptive_field([(3, 1)])",
        "except RuntimeError as error:",
        "    print('stubbed:', error)",
        "from course.quizzes import quiz",
        *[f"print(repr(quiz({lab!r})))" for lab in LABS],
        "print(course.__file__)",
    ])
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    environment.update(PYTHONPATH=str(tmp_path / "view"), COURSE_GRADING="1")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stubbed:") and "not available while grading" in lines[0]
    assert all("not shown while grading" in line for line in lines[1:1 + len(LABS)])
    assert Path(lines[-1]).is_relative_to(tmp_path / "view")


# -- ipywidgets 7.7 (Colab) and 8.x -----------------------------------------------------------------
# What quiz.py may use: the classes, keyword arguments and methods that ipywidgets 7.7.1 and 8.1
# both have (checked on both; the Colab rehearsal runs the quiz on 7.7.1 in a notebook).
SHARED_API = {
    "VBox": {"layout"}, "HBox": {"layout"}, "HTML": {"value"}, "Layout": {"width", "margin"},
    "RadioButtons": {"options", "value", "layout"}, "Checkbox": {"value", "description", "indent", "layout"},
    "Text": {"value", "placeholder", "layout"}, "Button": {"description", "button_style"},
}
SHARED_METHODS = {"observe", "on_click", "model_id"}


def test_quiz_uses_only_what_ipywidgets_7_7_and_8_share():
    tree = ast.parse((ROOT / "course" / "widgets" / "quiz.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "widgets":
            name = node.func.attr
            assert name in SHARED_API, f"widgets.{name} is not in the list checked on ipywidgets 7.7 and 8"
            keywords = {k.arg for k in node.keywords}
            assert keywords <= SHARED_API[name], f"widgets.{name}({', '.join(sorted(keywords - SHARED_API[name]))}=...)"
    for name in SHARED_API:
        assert hasattr(ipywidgets, name)
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    widget_only = {"on_submit", "tooltip", "description_tooltip", "description_allow_html", "add_class", "style"}
    assert not used & widget_only, f"quiz.py uses {used & widget_only}, which only one of 7.7 and 8 has"
    assert SHARED_METHODS <= used
