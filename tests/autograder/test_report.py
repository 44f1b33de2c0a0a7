"""`course-grade report` on a generated class of 30 lab-01 submissions with planted mistakes,
copies and crashes: every count on the report is the planted one."""
import base64
import json
import re
import subprocess
import sys

import pytest

from autograder import gradebook
from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.report import class_report, summary, write_report
from autograder.sandbox import Limits
from tests.autograder.generated_class import CLASS, MISTAKES, TESTS_OF, planted_mistakes, write_class
from tests.autograder.submissions import ASSIGNMENT, SOURCE
from tests.notebook_tools import ROOT

# Touching memory is slow on some machines (800 MB took 17 s here): a low memory limit lets the bomb reach it
# well within the cell limit; the endless loop costs one cell_timeout.
LIMITS = Limits(cell_timeout=30, notebook_timeout=150, memory_mb=700)
POINTS = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in SOURCE.cells
          if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("class"), ASSIGNMENT)
    write_class(course)
    autograde(course, ASSIGNMENT, workers=2, limits=LIMITS, progress=False)
    return course, class_report(course, ASSIGNMENT)


def test_every_submission_is_in_the_report_with_the_score_its_planted_failures_give(graded):
    _, report = graded
    assert set(report.scores) == set(CLASS)
    for student, planted in CLASS.items():
        lost = sum(POINTS[test] for test in planted.failed_tests())
        assert report.scores[student] == sum(POINTS.values()) - lost, student


def test_each_planted_mistake_is_counted_once_per_submission_that_has_it(graded):
    _, report = graded
    found = {m.id: sorted(m.students) for e in report.exercises for m in e.mistakes}
    for mistake_id, students in planted_mistakes().items():
        assert found.get(mistake_id) == students, mistake_id
    assert len(planted_mistakes()["affine_backward/db/it-averages-dout-over-the-batch-instead-of-summing"]) == 5  # 4 + a copy


def test_exercises_without_knock_on_failures_show_only_the_planted_mistakes(graded):
    _, report = graded
    planted = set(planted_mistakes())
    for exercise in report.exercises:
        if exercise.grade_id != "test_two_layer_net":  # the net calls the student's layers: their mistakes show there too
            blank = [m for m in exercise.mistakes if m.id.endswith("/it-is-not-implemented-yet")]
            assert all(m.students == ["untouched"] for m in blank), exercise.grade_id  # the notebook left as given
            # a check that also runs an earlier function (sigmoid_stable runs sigmoid_backward) names it as the cause
            knock_on = {m.id for m in exercise.mistakes if m.id.endswith("/it-fails-because-an-earlier-function-of-the-student-s-is-wrong")}
            assert {m.id for m in exercise.mistakes} - {m.id for m in blank} - knock_on <= planted, exercise.grade_id


def test_pass_rates_are_the_planted_ones(graded):
    _, report = graded
    for exercise in report.exercises:
        failing = sorted(s for s, p in CLASS.items() if exercise.grade_id in p.failed_tests())
        assert sorted(exercise.failed) == failing, exercise.grade_id
        assert exercise.pass_rate == pytest.approx(1 - len(failing) / len(CLASS))


def test_submissions_that_did_not_finish_say_how(graded):
    _, report = graded
    assert {s: kinds for s, (kinds, _) in report.failures.items()} == \
        {p.student: [p.failure] for p in CLASS.values() if p.failure}
    kernel_died = next(e for e in report.exercises if e.grade_id == "test_sigmoid").unfinished
    assert sorted(kernel_died) == ["broken_kernel_died", "broken_memory"]


def test_the_data_comes_from_the_coordinator_records_not_from_messages(graded):
    course, _ = graded
    record = json.loads(gradebook.report_path(course, ASSIGNMENT, "student00").read_text())
    verdict = next(v for v in record["verdicts"] if v["grade_id"] == "test_affine_backward")
    assert verdict["mistake_id"] == MISTAKES["db_averaged"][2]
    assert verdict["mistake"] == "db: it averages dout over the batch instead of summing"
    assert verdict["mistake"].split(": ", 1)[1] in verdict["message"]  # the student's message is as it was
    runs = gradebook.runs(course, ASSIGNMENT)
    assert runs[-1]["graded"] == len(CLASS) and runs[-1]["wall_seconds"] > 0


def test_grading_time_is_reported(graded):
    _, report = graded
    assert set(report.seconds) == set(CLASS) and all(s > 0 for s in report.seconds.values())
    assert report.seconds["broken_timeout"] >= LIMITS.cell_timeout


def test_the_page_holds_its_plots_and_every_planted_count(graded, tmp_path):
    course, _ = graded
    _, path = write_report(course, ASSIGNMENT, tmp_path / "report.html")
    page = path.read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    for mistake_id, students in planted_mistakes().items():
        row = re.search(rf'data-mistake-id="{re.escape(mistake_id)}"><td class="count">(\d+)</td>', page)
        assert row and int(row.group(1)) == len(students), mistake_id
    assert "ran out of memory" in page and "the kernel died" in page and "ran out of time" in page


def test_the_terminal_summary_leads_with_the_most_frequent_mistake(graded):
    _, report = graded
    lines = summary(report).splitlines()
    assert lines[0].startswith(f"{ASSIGNMENT}: {len(CLASS)} submissions, mean ")
    first = lines[lines.index("Most frequent mistakes:") + 1]
    assert first.split() == ["5", "test_affine_backward:", "db:", "it", "averages", "dout", "over", "the", "batch",
                             "instead", "of", "summing"]
    assert any(line.startswith("Did not finish: broken_kernel_died (kernel died)") for line in lines)


def test_the_command_writes_the_page_into_the_grading_folder(graded):
    course, _ = graded
    result = subprocess.run([sys.executable, "-m", "autograder", "report", ASSIGNMENT, "--course", str(course)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-1] == f"Wrote {course / f'report-{ASSIGNMENT}.html'}."
    assert "db: it averages dout over the batch instead of summing" in result.stdout
    assert (course / f"report-{ASSIGNMENT}.html").exists()


def test_a_lab_not_graded_yet_is_one_clear_sentence(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    result = subprocess.run([sys.executable, "-m", "autograder", "report", ASSIGNMENT, "--course", str(course)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"course-grade report: No graded submissions of '{ASSIGNMENT}' in "
                                     f"{course / 'autograded'}: run `course-grade autograde {ASSIGNMENT}` first.")


def test_the_class_has_what_the_tests_count_on():
    assert len(CLASS) == 30 and {t for tests in TESTS_OF.values() for t in tests} == set(POINTS)
