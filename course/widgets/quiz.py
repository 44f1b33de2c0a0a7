"""A self-check quiz: questions as data, answered in the notebook, checked at a button press.

    Quiz([
        MultipleChoice("relu_at_zero", "What derivative does this course give ReLU at x = 0?", [
            Option("0", right=True, why="As PyTorch does: the kink gets the slope of the left side."),
            Option("1", why="That is the slope for x > 0; at exactly 0 the course uses 0."),
        ]),
        NumericAnswer("sigmoid_peak", "What is the largest value of σ'(x)?", 0.25, tolerance=0.01,
                      explanation="σ' = σ(1 − σ) is largest at x = 0, where σ = 1/2."),
    ], title="Warm-up")

Ungraded: nothing is recorded, the score line ("1 of 2 right") is for the student alone.
``MultipleChoice`` has one right option, or several with ``several=True`` (then every right one
must be ticked and no wrong one); ``NumericAnswer`` accepts a number within a relative or an
absolute tolerance. Every question explains itself: a multiple-choice question per option, a
numeric one with a hint for a wrong answer and an explanation for a right one.

The judging is plain Python (``question.judge(answer)``, tested headless); ``Quiz`` wires it to
ipywidgets controls that exist alike in 7.7 (Colab) and 8.x (JupyterLab 4): ``RadioButtons``
with nothing selected, ``Checkbox``, ``Text``, ``Button`` and ``HTML``. ``text()`` is the quiz in
plain text, which front ends without widgets show instead.
"""
import html
import math
import re
from dataclasses import dataclass

import ipywidgets as widgets

RIGHT, WRONG, UNANSWERED = "right", "wrong", "unanswered"
MARKS = {RIGHT: "✅", WRONG: "❌", UNANSWERED: "…"}


@dataclass(frozen=True)
class Verdict:
    """The judgement of one answer: ``status`` (right, wrong, unanswered) and a sentence or two."""

    status: str
    message: str

    @property
    def right(self):
        return self.status == RIGHT


@dataclass(frozen=True)
class Option:
    """One option of a multiple-choice question and why it is right or wrong."""

    text: str
    right: bool = False
    why: str = ""


def _require_text(value, what, where):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {what} must be a non-empty string, got {value!r}.")


@dataclass(frozen=True)
class MultipleChoice:
    """A question with options; the answer is the index of the chosen option (``None``: no
    choice yet), or with ``several=True`` the indices of the ticked options."""

    name: str
    prompt: str
    options: tuple
    several: bool = False

    def __post_init__(self):
        where = f"MultipleChoice {self.name!r}"
        _require_text(self.name, "the name", "MultipleChoice")
        _require_text(self.prompt, "the prompt", where)
        object.__setattr__(self, "options", tuple(self.options))
        if len(self.options) < 2 or not all(isinstance(o, Option) for o in self.options):
            raise ValueError(f"{where}: give at least two options, each an Option(text, right=..., why=...).")
        for option in self.options:
            _require_text(option.text, "every option's text", where)
            _require_text(option.why, f"the reason of option {option.text!r} (why=...)", where)
        texts = [o.text for o in self.options]
        if len(set(texts)) != len(texts):
            raise ValueError(f"{where}: two options have the same text; every option must read differently.")
        rights = sum(o.right for o in self.options)
        if rights == 0:
            raise ValueError(f"{where}: no option is marked right; mark the right one with right=True.")
        if rights > 1 and not self.several:
            raise ValueError(f"{where}: {rights} options are marked right; pass several=True to ask for all of "
                             "them, or keep one right option.")
        if self.several and rights == len(self.options):
            raise ValueError(f"{where}: every option is marked right; a question with several right answers "
                             "needs at least one wrong option.")

    @property
    def right_options(self):
        return tuple(i for i, option in enumerate(self.options) if option.right)

    def judge(self, answer):
        """``answer``: an option's index or ``None``; with ``several=True`` a collection of indices."""
        if self.several:
            ticked = sorted(set(answer or ()))
            if not ticked:
                return Verdict(UNANSWERED, "No option ticked yet.")
            lines = [f"{MARKS[RIGHT if self.options[i].right else WRONG]} {self.options[i].text}: {self.options[i].why}"
                     for i in ticked]
            missing = len(set(self.right_options) - set(ticked))
            if missing:
                lines.append(f"… {missing} more right option{'s' if missing > 1 else ''} to tick.")
            right = tuple(ticked) == self.right_options
            heading = "Right: all the right options and no wrong one." if right else "Not quite yet."
            return Verdict(RIGHT if right else WRONG, "\n".join([heading, *lines]))
        if answer is None:
            return Verdict(UNANSWERED, "No option chosen yet.")
        option = self.options[answer]
        return Verdict(RIGHT, f"Right. {option.why}") if option.right else Verdict(WRONG, f"Not quite. {option.why}")

    def solution(self):
        return "\n".join(f"{self.options[i].text}: {self.options[i].why}" for i in self.right_options)


def parse_number(text):
    """A float from what a student types: ``0.25``, ``-3``, ``2.5e-3``, ``1/4`` (``None`` if it is none)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    text = str(text).strip().replace("−", "-").replace(" ", "")
    try:
        if text.count("/") == 1:
            numerator, denominator = (float(part) for part in text.split("/"))
            return numerator / denominator if denominator else None
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class NumericAnswer:
    """A question answered with a number: right within ``tolerance``, relative to the answer
    (``relative=True``, the default: 0.01 accepts 1 % either side) or absolute."""

    name: str
    prompt: str
    answer: float
    tolerance: float = 0.01
    relative: bool = True
    explanation: str = ""
    hint: str = ""

    def __post_init__(self):
        where = f"NumericAnswer {self.name!r}"
        _require_text(self.name, "the name", "NumericAnswer")
        _require_text(self.prompt, "the prompt", where)
        _require_text(self.explanation, "the explanation (shown with a right answer)", where)
        _require_text(self.hint, "the hint (shown with a wrong answer)", where)
        for label, value in (("answer", self.answer), ("tolerance", self.tolerance)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{where}: the {label} must be a finite number, got {value!r}.")
        object.__setattr__(self, "answer", float(self.answer))
        if self.tolerance < 0:
            raise ValueError(f"{where}: the tolerance must not be negative, got {self.tolerance}.")
        if self.relative and self.answer == 0 and self.tolerance > 0:
            raise ValueError(f"{where}: a relative tolerance around an answer of 0 accepts only 0 itself; "
                             "pass relative=False for an absolute tolerance.")

    def accepts(self, value):
        allowed = self.tolerance * abs(self.answer) if self.relative else self.tolerance
        return abs(value - self.answer) <= allowed * (1 + 1e-12) + 1e-300

    def judge(self, answer):
        """``answer``: what the student typed (a string) or a number."""
        if answer is None or str(answer).strip() == "":
            return Verdict(UNANSWERED, "No number entered yet.")
        value = parse_number(answer)
        if value is None:
            return Verdict(WRONG, f"{str(answer).strip()!r} is not a number: write it like 0.25, 1/4 or 2.5e-3.")
        if self.accepts(value):
            return Verdict(RIGHT, f"Right. {self.explanation}")
        return Verdict(WRONG, f"{value:g} is not it. Hint: {self.hint}")

    def solution(self):
        return f"{self.answer:.6g}: {self.explanation}"


QUESTION_TYPES = (MultipleChoice, NumericAnswer)


def _html(text):
    """Escaped text with `code` spans and line breaks."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped).replace("\n", "<br>")


def _check_questions(questions, title):
    _require_text(title, "the title", "Quiz")
    questions = tuple(questions)
    if not questions:
        raise ValueError("Quiz: give at least one question.")
    for question in questions:
        if not isinstance(question, QUESTION_TYPES):
            raise ValueError(f"Quiz: {question!r} is not a question; use MultipleChoice or NumericAnswer.")
    names = [q.name for q in questions]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"Quiz: the question name {repeated[0]!r} is used twice; give every question its own.")
    return questions


class Quiz:
    """The widget: per question a prompt, a control and a feedback line; below them "Check
    answers", "Show answers" and the score line. Display it by leaving it last in a cell."""

    def __init__(self, questions, title="Self-check quiz"):
        self.questions = _check_questions(questions, title)
        self.title = title
        self.prompts, self.controls, self.feedback, rows = [], [], [], []
        for number, question in enumerate(self.questions, 1):
            prompt = widgets.HTML(value=f"<b>{number}.</b> {_html(question.prompt)}"
                                  + (" <i>(tick every right option)</i>" if getattr(question, "several", False) else ""))
            control = self._control(question)
            feedback = widgets.HTML(value="")
            for part in getattr(control, "children", None) or (control,):
                part.observe(lambda change, line=feedback: setattr(line, "value", ""), names="value")
            self.prompts.append(prompt)
            self.controls.append(control)
            self.feedback.append(feedback)
            rows.append(widgets.VBox([prompt, control, feedback], layout=widgets.Layout(margin="0 0 10px 0")))
        self.check_button = widgets.Button(description="Check answers", button_style="primary")
        self.show_button = widgets.Button(description="Show answers")
        self.score = widgets.HTML(value="")
        self.check_button.on_click(lambda button: self.check())
        self.show_button.on_click(lambda button: self.show_answers())
        heading = widgets.HTML(value=f"<h4>{_html(title)}</h4>")
        buttons = widgets.HBox([self.check_button, self.show_button, self.score])
        self.widget = widgets.VBox([heading, *rows, buttons])

    @staticmethod
    def _control(question):
        wide = widgets.Layout(width="auto")
        if isinstance(question, NumericAnswer):
            return widgets.Text(value="", placeholder="a number, e.g. 0.25 or 1/4", layout=widgets.Layout(width="260px"))
        if question.several:
            return widgets.VBox([widgets.Checkbox(value=False, description=o.text, indent=False, layout=wide)
                                 for o in question.options])
        return widgets.RadioButtons(options=[(o.text, i) for i, o in enumerate(question.options)], value=None,
                                    layout=wide)

    # -- the answers as the controls hold them --------------------------------------------------
    def answers(self):
        """One answer per question, in the form its ``judge`` takes."""
        answers = []
        for question, control in zip(self.questions, self.controls):
            if isinstance(question, MultipleChoice) and question.several:
                answers.append(tuple(i for i, box in enumerate(control.children) if box.value))
            else:
                answers.append(control.value)
        return answers

    def check(self):
        """Judge every answer, write the feedback lines and the score; returns the verdicts."""
        verdicts = [q.judge(a) for q, a in zip(self.questions, self.answers())]
        for verdict, line in zip(verdicts, self.feedback):
            line.value = f"{MARKS[verdict.status]} {_html(verdict.message)}"
        right = sum(v.right for v in verdicts)
        unanswered = sum(v.status == UNANSWERED for v in verdicts)
        self.score.value = self.score_line(right, unanswered)
        return verdicts

    def score_line(self, right, unanswered=0):
        line = f"<b>{right} of {len(self.questions)} right</b>"
        return line + (f" ({unanswered} not answered yet)" if unanswered else "")

    def show_answers(self):
        for question, line in zip(self.questions, self.feedback):
            line.value = f"💡 {_html(question.solution())}"

    # -- display --------------------------------------------------------------------------------
    def text(self, with_answers=False):
        """The quiz in plain text (for front ends without widgets), optionally with the answers."""
        lines = [self.title, ""]
        for number, question in enumerate(self.questions, 1):
            lines.append(f"{number}. {question.prompt}")
            if isinstance(question, MultipleChoice):
                if question.several:
                    lines.append("   (several options may be right)")
                lines += [f"   {chr(ord('a') + i)}) {o.text}" for i, o in enumerate(question.options)]
            else:
                lines.append("   (answer with a number)")
            if with_answers:
                lines.append("   Answer: " + question.solution().replace("\n", "\n           "))
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def __repr__(self):
        return self.text()

    def _ipython_display_(self):
        from IPython.display import display

        # The widget's view where widgets work (the same message in ipywidgets 7.7 and 8.x),
        # the quiz as text where they do not.
        view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        display({"text/plain": self.text(), "application/vnd.jupyter.widget-view+json": view}, raw=True)
