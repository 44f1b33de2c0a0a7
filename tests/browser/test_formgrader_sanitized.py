"""A hostile submission's page as formgrader renders it, in headless Chromium: nothing the student
wrote runs in the lecturer's browser.

The student's code patched the kernel to return HTML, JavaScript and SVG outputs with scripts, and
the written answer holds a script, an ``onerror`` image and a ``javascript:`` link. Formgrader turns
the autograded notebook into its page with nbconvert's HTMLExporter and its own ``formgrade``
template; the same exporter, configured as formgrader configures it plus the course's
``nbgrader_config.py``, renders it here. Every script records itself in ``window.__pwned``: the
same hostile content rendered unfiltered does run (so the probe works), the graded copy does not.
"""
import nbformat
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import handlers
from traitlets.config import Config, PyFileConfigLoader

from tests.autograder.submissions import ASSIGNMENT, STUDENT
from tests.autograder.test_sanitized_outputs import HOSTILE_ANSWER, HOSTILE_OUTPUTS, graded_hostile
from tests.browser.chromium import chromium


def formgrader_page(notebook_path, course=None):
    """The HTML formgrader serves for this notebook (its exporter and template, and the course's
    configuration when ``course`` is given)."""
    config = Config()
    if course is not None:
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "1", "index": 0,
                 "total": 1, "base_url": "", "student": "mallory", "last_name": "", "first_name": "",
                 "notebook_path": str(notebook_path)}
    html, _ = HTMLExporter(config=config).from_filename(str(notebook_path), resources=resources)
    return html


def scripts_that_ran(tmp_path, html):
    page_path = tmp_path / "formgrade.html"
    page_path.write_text(html, encoding="utf-8")
    with chromium(tmp_path) as page:
        page.goto(page_path.as_uri(), wait_until="load", timeout=60_000)
        page.wait_for_timeout(1500)  # broken images fire onerror after load
        return page.evaluate("window.__pwned || []"), page.locator("body").inner_text()


def test_the_probe_sees_unfiltered_hostile_content_run(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(HOSTILE_ANSWER),
                                               nbformat.v4.new_code_cell("x", outputs=[nbformat.from_dict(o) for o in HOSTILE_OUTPUTS[:2]])])
    notebook.cells[0].metadata["nbgrader"] = next(c.metadata["nbgrader"] for c in STUDENT.cells
                                                  if c.metadata.get("nbgrader", {}).get("grade_id") == "explain_random_upstream")
    nbformat.write(notebook, tmp_path / "raw.ipynb")
    ran, _ = scripts_that_ran(tmp_path, formgrader_page(tmp_path / "raw.ipynb"))
    assert {"answer", "answer-img", "html", "html-img"} <= set(ran), ran


def test_nothing_the_student_wrote_runs_in_formgraders_page(tmp_path):
    course, graded = graded_hostile(tmp_path / "course")
    ran, text = scripts_that_ran(tmp_path, formgrader_page(graded, course))
    assert ran == []
    assert "The upstream gradient must not be all ones." in text  # the answer's text is still there
    assert "not kept: output of type text/html" in text
