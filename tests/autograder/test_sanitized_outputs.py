"""Nothing a student wrote runs in a lecturer's page: the autograded notebook (what formgrader
renders in the lecturer's Jupyter origin) keeps plain text and size-capped PNG images from the
kernel, and Markdown that holds HTML or a script link is shown as plain text."""
import base64
import copy
import json

import nbformat
import pytest

from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.lecturer_view import (MAX_PNG_BYTES, MAX_TEXT_PER_CELL, for_lecturer, markdown_hazards, safe_markdown,
                                      safe_outputs)
from autograder.sandbox import Limits
from tests.autograder.attacks import with_cell_after
from tests.autograder.submissions import ASSIGNMENT, STUDENT
from tests.notebook_tools import SOLUTIONS, read

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
PNG_TEXT = base64.b64encode(PNG).decode()


def ran(what):
    """JavaScript that records that it ran, as ``what``, in ``window.__pwned``."""
    return f"window.__pwned=(window.__pwned||[]).concat(['{what}'])"


HOSTILE_OUTPUTS = [
    {"output_type": "display_data", "metadata": {},
     "data": {"text/html": f"<script>{ran('html')}</script><img src=x onerror=\"{ran('html-img')}\">"}},
    {"output_type": "display_data", "metadata": {}, "data": {"application/javascript": ran("javascript")}},
    {"output_type": "display_data", "metadata": {},
     "data": {"image/svg+xml": f"<svg xmlns='http://www.w3.org/2000/svg' onload=\"{ran('svg')}\"><script>{ran('svg-script')}</script></svg>"}},
    {"output_type": "execute_result", "execution_count": "1 onclick=x", "metadata": {"image/png": {"width": f"1 onload={ran('width')}"}},
     "data": {"image/png": PNG_TEXT, "text/plain": "<Figure>"}},
    {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": f"<img src=x onerror=\"{ran('markdown-output')}\">"}},
]
HOSTILE_ANSWER = (f"The upstream gradient must not be all ones.\n\n<script>{ran('answer')}</script>\n"
                  f"<img src=x onerror=\"{ran('answer-img')}\">\n\n[see here](java&#115;cript:{ran('answer-link')})\n")
CLEAN_ANSWER = "A clean answer: with ones, *every* sum hides a wrong `axis`; see eq. (3) and $\\sum_i x_i$."

# The student's code patches the kernel's side of the wire: every reply carries hostile outputs.
PATCH_THE_KERNEL = f'''
import autograder.kernel.responder as _responder
_original_run_cell = _responder.run_cell
def _hostile_run_cell(shell, code):
    reply = _original_run_cell(shell, code)
    reply["outputs"] = list(reply.get("outputs", [])) + {HOSTILE_OUTPUTS!r} + [
        {{"output_type": "stream", "name": "stdout", "text": "x" * 3_000_000}}]
    return reply
_responder.run_cell = _hostile_run_cell
'''


def test_only_plain_text_and_png_images_are_kept():
    kept = safe_outputs(copy.deepcopy(HOSTILE_OUTPUTS))
    text = json.dumps(kept)
    assert "<script" not in text and "onerror" not in text and "onload" not in text and "__pwned" not in text
    assert {key for output in kept for key in output.get("data", {})} <= {"text/plain", "image/png"}
    assert all(not output.get("metadata") for output in kept)
    figure = next(output for output in kept if output["output_type"] == "execute_result")
    assert figure["data"] == {"image/png": PNG_TEXT, "text/plain": "<Figure>"} and figure["execution_count"] is None
    notes = [output["data"]["text/plain"] for output in kept if "image/png" not in output["data"]]
    assert notes == [f"[not kept: output of type {kind}; the grader keeps plain text and PNG images]"
                     for kind in ("text/html", "application/javascript", "image/svg+xml", "text/markdown")]


def test_text_and_images_are_capped():
    big_png = PNG + b"\0" * MAX_PNG_BYTES
    kept = safe_outputs([
        {"output_type": "stream", "name": "stdout", "text": "x" * 100_000_000},
        {"output_type": "stream", "name": "stderr", "text": "more"},
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": base64.b64encode(big_png).decode()}},
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": base64.b64encode(b"GIF89a").decode()}},
        {"output_type": "unknown", "data": {"text/plain": "?"}}, "not a dictionary",
    ])
    assert len(kept) == 1 and kept[0]["name"] == "stdout"  # the text budget was spent by the first
    assert len(kept[0]["text"]) < MAX_TEXT_PER_CELL + 200 and "cut here" in kept[0]["text"]
    images = safe_outputs([{"output_type": "display_data", "metadata": {}, "data": {"image/png": base64.b64encode(big_png).decode()}},
                           {"output_type": "display_data", "metadata": {}, "data": {"image/png": base64.b64encode(b"GIF89a").decode()}}])
    assert [output["data"] for output in images] == [
        {"text/plain": "[not kept: a PNG image larger than 1 MB; the grader keeps plain text and PNG images]"},
        {"text/plain": "[not kept: an image that is not a PNG; the grader keeps plain text and PNG images]"}]


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "[x](java&#115;cript:alert(1))", "![y](JaVaScRiPt:alert(1))", "[x][r]\n\n[r]: javascript:alert(1)",
    "$\\href{javascript:alert(1)}{click}$", "<iframe src=//evil.example></iframe>", "<!-- hidden -->",
    "[a](data:text/html;base64,PHNjcmlwdD4=)", "```\ncode\n```\n<svg onload=alert(1)>"])
def test_markdown_with_html_or_script_links_is_shown_as_plain_text_with_every_character(source):
    assert markdown_hazards(source)
    shown = safe_markdown(source)
    assert source in shown and not markdown_hazards(shown)


def test_plain_markdown_and_every_labs_own_cells_stay_as_written():
    assert safe_markdown(CLEAN_ANSWER) == CLEAN_ANSWER
    for path in SOLUTIONS:
        for cell in read(path).cells:
            if cell.cell_type == "markdown":
                assert not markdown_hazards(cell.source), (path.name, cell.source[:80])


def test_raw_cells_widgets_and_odd_cell_ids_are_neutralised():
    notebook = nbformat.v4.new_notebook(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    raw = nbformat.v4.new_raw_cell(f"<script>{ran('raw')}</script>", metadata={"raw_mimetype": "text/html"})
    raw["id"] = 'x" onclick="alert(1)'
    markdown = nbformat.v4.new_markdown_cell("![a](attachment:a.svg)", attachments={
        "a.svg": {"image/svg+xml": "<svg onload=alert(1)/>"}, "b.png": {"image/png": PNG_TEXT}})
    notebook.cells = [raw, markdown]
    for_lecturer(notebook)
    assert "widgets" not in notebook.metadata
    assert notebook.cells[0].metadata == {"format": "text/plain"} and notebook.cells[0]["id"] == "cell-0-0"
    assert notebook.cells[1].attachments == {"b.png": {"image/png": PNG_TEXT}}


def hostile_submission():
    """Lab 01, blank, whose second code cell patches the kernel; written answers hostile and clean."""
    notebook = with_cell_after(STUDENT, "imports", PATCH_THE_KERNEL)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "explain_random_upstream":
            cell.source = HOSTILE_ANSWER
        elif grade_id == "explain_vanishing_gradient":
            cell.source = CLEAN_ANSWER
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"<img src=x onerror=\"{ran('own-cell')}\">"))
    return notebook


def graded_hostile(course_folder):
    """A course with the hostile submission graded; the autograded notebook's path."""
    course = ensure_assignment(course_folder, ASSIGNMENT)
    folder = course / "submitted" / "mallory" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(hostile_submission(), folder / f"{ASSIGNMENT}.ipynb")
    autograde(course, ASSIGNMENT, workers=1, limits=Limits(cell_timeout=30, notebook_timeout=240), progress=False)
    return course, course / "autograded" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return graded_hostile(tmp_path_factory.mktemp("course"))


def test_the_autograded_notebook_keeps_nothing_that_runs(graded):
    _, path = graded
    notebook = nbformat.read(path, as_version=4)
    kinds = {key for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
             for key in output.get("data", {})}
    assert kinds == {"text/plain", "image/png"}  # the patch reached the graded copy, and was filtered
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert sum(len(json.dumps(output)) for output in cell.outputs) < 2 * MAX_TEXT_PER_CELL
            assert all(not output.get("metadata") for output in cell.outputs)
    answers = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source for cell in notebook.cells
               if cell.cell_type == "markdown"}
    assert HOSTILE_ANSWER in answers["explain_random_upstream"] and \
        answers["explain_random_upstream"].startswith("*The grader shows this cell as plain text")
    assert answers["explain_vanishing_gradient"] == CLEAN_ANSWER
    assert all(not markdown_hazards(cell.source) for cell in notebook.cells if cell.cell_type == "markdown")
