"""The class report and the similarity page in a real browser.

A small class of lab-01 submissions is graded; `course-grade report` and `course-grade
similarity` write their pages, and headless Chromium (Debian's, driven by Playwright over CDP:
tests/browser/chromium.py) opens them from disk: every plot must be an image the browser
decoded, of non-zero natural size, and the tables must be there. A screenshot is kept in
test-artifacts/.
"""
import pytest

from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.report import write_report
from autograder.sandbox import Limits
from autograder.similarity import write_similarity
from tests.autograder.generated_class import MISTAKES, write_class
from tests.autograder.submissions import ASSIGNMENT
from tests.browser.chromium import chromium
from tests.notebook_tools import ROOT

ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "class-report.png"
STUDENTS = ["student00", "student04", "student14", "copier_1", "broken_kernel_died", "untouched"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("class"), ASSIGNMENT)
    write_class(course, STUDENTS)
    autograde(course, ASSIGNMENT, workers=2, limits=Limits(cell_timeout=60, notebook_timeout=300), progress=False)
    _, report = write_report(course, ASSIGNMENT)
    _, _, similarity = write_similarity(course, ASSIGNMENT)
    return report, similarity


def decoded_images(page):
    """(natural width, natural height, decoded) of every plot on the page."""
    return page.eval_on_selector_all(
        "img.plot", "images => images.map(i => [i.naturalWidth, i.naturalHeight, i.complete && i.naturalWidth > 0])")


def test_the_report_page_shows_its_plots_and_tables(pages, tmp_path):
    report, _ = pages
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium(tmp_path, viewport=(1200, 1000)) as page:
        page.goto(report.as_uri(), wait_until="load", timeout=60_000)
        images = decoded_images(page)
        assert len(images) == 3 and all(ok and width > 100 and height > 100 for width, height, ok in images), images
        assert page.locator("h1").inner_text() == f"What the class got wrong: {ASSIGNMENT}"
        row = page.locator(f'tr.mistake[data-mistake-id="{MISTAKES["db_averaged"][2]}"]')
        assert row.locator("td.count").inner_text() == "2"  # student00 and the one who copied it
        assert "copier_1" in row.inner_text() and "student00" in row.inner_text()
        assert "the kernel died" in page.locator("body").inner_text()
        page.screenshot(path=SCREENSHOT, full_page=True)


def test_the_similarity_page_shows_the_copied_pair_first(pages, tmp_path):
    _, similarity = pages
    with chromium(tmp_path, viewport=(1200, 1000)) as page:
        page.goto(similarity.as_uri(), wait_until="load", timeout=60_000)
        first = page.locator("section.pair h2").first.inner_text()
        assert first.startswith("copier_1 and student00: ")
        assert page.locator("section.pair").first.locator("mark").count() > 0
