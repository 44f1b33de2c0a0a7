"""A lab session end to end, in a real browser.

`make lab HEADLESS=1` (the README's command) serves lab 01 with the answers filled in; headless
Chromium opens it in JupyterLab, runs every cell from the Run menu, moves the "hidden units"
slider of the explorer widget and presses "Train 200 steps", and the widget must answer: a new
picture after each, "200 steps" in its status line. Then the lab's self-check quiz: one option
picked, one wrong number typed, "Check answers" pressed, and the feedback and the score line must
say so. Screenshots are kept in test-artifacts/.
A sibling test runs `nbgrader validate` on the solution notebook.

Needs the system Chromium (`apt-get install chromium`; .ci/run installs it) and Playwright (the
`dev` extra), which drives that Chromium: no browser is downloaded.
"""
import json
import os
import re
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from autograder.course_directory import prepare_course_directory, run_nbgrader
from autograder.fill_solutions import fill_solutions
from course.quizzes import questions as quiz_questions
from course.widgets import MultipleChoice, NumericAnswer
from tests.browser.chromium import (chromium, find_chromium, free_port, stop_process_group, sync_playwright,
                                   tail, wait_for_answer)
from tests.notebook_tools import ROOT, read

ASSIGNMENT = "01_backprop"
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
STUDENT = ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "jupyterlab-widget.png"
QUIZ_SCREENSHOT = ARTIFACTS / "jupyterlab-quiz.png"
QUIZ_CELL = f'from course.quizzes import quiz\n\nquiz("{ASSIGNMENT}")'  # the cell at the end of the lab
TOKEN = "course-browser-test"

# Generous, for a busy 2-core CI machine; a healthy run needs a fraction of each.
SERVER_START_S = 120
NOTEBOOK_OPEN_S = 90
RUN_ALL_S = 180  # from "Run All Cells" until the widget is on the page
WIDGET_ANSWER_S = 60  # from a slider move or a click until the widget has redrawn

# JupyterLab's own settings for the session: no news or update pop-ups over the screenshot.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
}


# -- JupyterLab, started with the README's command ----------------------------------------------
@contextmanager
def jupyterlab(notebook_dir, work):
    """``make lab HEADLESS=1`` serving ``notebook_dir``; yields (base url, log path)."""
    settings = work / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    environment = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "lab-workspaces"),  # no layout restored from earlier runs
        JUPYTER_CONFIG_DIR=str(work / "jupyter-config"),  # no personal server configuration
        JUPYTER_RUNTIME_DIR=str(work / "jupyter-runtime"),
    )
    port, log_path = free_port(), work / "jupyterlab.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            ["make", "-s", "lab", "HEADLESS=1", f"PORT={port}", f"TOKEN={TOKEN}", f"NOTEBOOK_DIR={notebook_dir}"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
        )
    try:
        wait_for_answer(f"{base}/api/status?token={TOKEN}", server, SERVER_START_S, "`make lab`", log_path)
        yield base, log_path
    finally:
        shut_down_kernels(base)
        stop_process_group(server)


def shut_down_kernels(base):
    """Kernels run in sessions of their own: ask the server to end them before it goes."""
    try:
        kernels = json.load(urllib.request.urlopen(f"{base}/api/kernels?token={TOKEN}", timeout=5))
        for kernel in kernels:
            request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}?token={TOKEN}", method="DELETE")
            urllib.request.urlopen(request, timeout=15)
    except OSError:
        pass


# -- the page -------------------------------------------------------------------------------------
def error_outputs(page):
    """Text of the error outputs in the notebook, for failure messages."""
    outputs = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    return [text[-1200:] for text in outputs.all_inner_texts()[-3:]]


def _scrolled_to(locator):
    """Scroll ``locator``'s first match into view; False while there is none yet."""
    try:
        locator.scroll_into_view_if_needed(timeout=2000)
        return True
    except Exception:  # Playwright's TimeoutError: the element is not there yet
        return False


def wait_for(page, condition, timeout_s, what):
    """Poll ``condition()`` (Python, reading the page) until it is true, or fail saying ``what``."""
    deadline = time.time() + timeout_s
    while True:
        try:
            if condition():
                return
        except Exception:  # an element between renders; try again
            pass
        if time.time() > deadline:
            errors = error_outputs(page)
            pytest.fail(f"{what} within {timeout_s} s." + ("\nError outputs in the notebook:\n" + "\n---\n".join(errors) if errors else ""))
        page.wait_for_timeout(250)


def image_source(image):
    return image.get_attribute("src", timeout=5000) or ""


def run_all_cells(page):
    menu_bar = page.locator("#jp-MainMenu")
    menu_bar.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^\s*Run All Cells")).first.click()


@pytest.fixture
def served_notebook(tmp_path):
    """Lab 01 as a student who did every exercise has it, in a folder of its own."""
    notebooks = tmp_path / "notebooks"
    (notebooks / ASSIGNMENT).mkdir(parents=True)
    notebook = fill_solutions(read(STUDENT), read(SOURCE))
    assert any(cell.source == QUIZ_CELL for cell in notebook.cells), "lab 01 ends with its quiz cell"
    nbformat.write(notebook, notebooks / ASSIGNMENT / STUDENT.name)
    return notebooks


def test_explorer_widget_answers_in_jupyterlab(served_notebook, tmp_path):
    executable = find_chromium()  # before anything starts: fail fast and say what to install
    sync_playwright()
    ARTIFACTS.mkdir(exist_ok=True)
    failure_shot = ARTIFACTS / "jupyterlab-widget-failure.png"
    failure_shot.unlink(missing_ok=True)
    with jupyterlab(served_notebook, tmp_path) as (base, server_log), chromium(tmp_path, executable) as page:
        try:
            page.set_default_timeout(WIDGET_ANSWER_S * 1000)
            page.goto(f"{base}/lab/tree/{ASSIGNMENT}/{STUDENT.name}?token={TOKEN}",
                      timeout=NOTEBOOK_OPEN_S * 1000)
            cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            wait_for(page, lambda: cells.count() > 10, NOTEBOOK_OPEN_S, "JupyterLab did not show the notebook's cells")
            indicator = page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")
            wait_for(page, lambda: indicator.first.get_attribute("data-status", timeout=1000) == "idle",
                     NOTEBOOK_OPEN_S, "The notebook's kernel did not start (its indicator never said idle)")

            run_all_cells(page)

            explorer = page.locator(".jp-OutputArea-output .widget-vbox", has=page.locator(".widget-image")).first
            slider = explorer.locator(".widget-hslider", has_text="hidden units")
            status = explorer.locator(".widget-html", has_text="training accuracy")
            image = explorer.locator("img.widget-image")
            # Run All leaves the notebook scrolled to its end; JupyterLab does not render cells far off screen.
            wait_for(page, lambda: _scrolled_to(explorer) and image.is_visible() and image_source(image)
                     and status.is_visible() and status.inner_text().strip(), RUN_ALL_S,
                     "The explorer widget (slider, status line, picture) did not appear after Run All Cells")
            assert re.match(r"0\s+steps", status.inner_text()), f"status before training: {status.inner_text()!r}"
            assert slider.locator(".widget-readout").inner_text().strip() == "20"

            # The slider: five steps right on its handle, 20 -> 25 hidden units, a fresh net redrawn
            # after each. One step at a time: the kernel must have taken each value (and redrawn)
            # before the next, or a late value would reset the net after the training below.
            handle = slider.locator(".noUi-handle")
            for hidden_units in range(21, 26):
                before = image_source(image)
                handle.press("ArrowRight")
                wait_for(page, lambda n=str(hidden_units): slider.locator(".widget-readout").inner_text().strip() == n,
                         WIDGET_ANSWER_S, f"The hidden-units slider did not move to {hidden_units} with the arrow key")
                wait_for(page, lambda old=before: image_source(image) != old, WIDGET_ANSWER_S,
                         f"The picture did not change after the hidden-units slider moved to {hidden_units}")

            # The button: 200 steps of training, the status line and the picture follow.
            before = image_source(image)
            explorer.get_by_role("button", name="Train 200 steps").click()
            wait_for(page, lambda: re.match(r"200\s+steps", status.inner_text()), WIDGET_ANSWER_S,
                     f"The status line did not reach '200 steps' after 'Train 200 steps' (it says {status.inner_text()!r})")
            wait_for(page, lambda: image_source(image) != before, WIDGET_ANSWER_S,
                     "The picture did not change after training")
            accuracy = int(re.search(r"training accuracy\s+(\d+)%", status.inner_text()).group(1))
            assert accuracy > 50, f"after 200 steps with 25 hidden units: {status.inner_text()!r}"

            image.scroll_into_view_if_needed()
            page.evaluate("window.scrollTo(0, 0)")
            explorer.scroll_into_view_if_needed()
            page.screenshot(path=SCREENSHOT)

            answer_the_quiz(page)
        except BaseException:
            try:
                page.screenshot(path=failure_shot)
            except Exception:
                pass
            print(f"JupyterLab log (end):\n{tail(server_log)}\nScreenshot: {failure_shot}")
            raise


def answer_the_quiz(page):
    """The lab's quiz: the right option of its first one-answer question, a wrong number for its
    first numeric question, then "Check answers"; each feedback line and the score must follow."""
    questions = quiz_questions(ASSIGNMENT)
    choice = next(i for i, q in enumerate(questions) if isinstance(q, MultipleChoice) and not q.several)
    numeric = next(i for i, q in enumerate(questions) if isinstance(q, NumericAnswer))
    right_option = questions[choice].options[questions[choice].right_options[0]].text
    wrong_number = f"{questions[numeric].answer * 2 + 1:g}"

    check = page.get_by_role("button", name="Check answers")
    wait_for(page, lambda: check.is_visible(), RUN_ALL_S, "The quiz (its 'Check answers' button) did not appear")
    quiz = page.locator(".jp-OutputArea-output .widget-vbox", has=check).first
    rows = quiz.locator(":scope > .widget-vbox")  # one per question: prompt, control, feedback
    rows.nth(choice).get_by_role("radio", name=right_option, exact=True).check()
    rows.nth(numeric).locator("input[type='text']").fill(wrong_number)
    check.click()
    feedback = {i: rows.nth(i).locator(".widget-html").last for i in (choice, numeric)}
    score = quiz.locator(":scope > .widget-hbox .widget-html")  # beside the buttons
    expected_score = f"1 of {len(questions)} right"
    wait_for(page, lambda: expected_score in score.inner_text(), WIDGET_ANSWER_S,
             f"The quiz's score line did not say {expected_score!r} after 'Check answers'")
    assert feedback[choice].inner_text().startswith("✅ Right."), feedback[choice].inner_text()
    numeric_feedback = feedback[numeric].inner_text()
    assert numeric_feedback.startswith(f"❌ {wrong_number} is not it. Hint:"), numeric_feedback
    assert f"({len(questions) - 2} not answered yet)" in score.inner_text()
    quiz.scroll_into_view_if_needed()
    page.screenshot(path=QUIZ_SCREENSHOT)


def test_nbgrader_validate_passes_the_solution_notebook(tmp_path):
    work = prepare_course_directory(tmp_path / "course")
    log = run_nbgrader(work, "validate", str(Path("solutions") / ASSIGNMENT / SOURCE.name), timeout=600)
    assert "Success! Your notebook passes all the tests." in log, f"nbgrader validate failed:\n{log[-3000:]}"
