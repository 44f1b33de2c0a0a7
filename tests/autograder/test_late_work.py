"""Late work as nbgrader keeps it: each submission's time (`timestamp.txt`), the due date in the
gradebook (assignment.duedate), extensions from a roster column (submission.extension), and a
capped late penalty per day begun that export, feedback and the summary take off."""
import csv
import html
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from nbgrader.api import Gradebook

from autograder import gradebook
from autograder.cli import late_by
from autograder.course_directory import ensure_assignment
from tests.autograder.submissions import ASSIGNMENT, write_batch
from tests.notebook_tools import ROOT

SUBMITTED = {"correct": "2026-11-25 12:00:00.000000 UTC", "wrong_backward": "2026-11-22 01:00:00.000000 UTC",
             "untouched": "2026-11-20 09:30:00.000000 UTC"}
ROSTER = "id,name,extension\ncorrect,Ada,\nwrong_backward,Bo,1\nuntouched,Cy,\nnobody,Di,2\n"


def course_grade(*arguments):
    return subprocess.run([sys.executable, "-m", "autograder", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_due_date_extension_and_a_capped_penalty_per_day_begun(tmp_path):
    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    write_batch(course, list(SUBMITTED))
    for student, stamp in SUBMITTED.items():
        (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text(stamp)
    (tmp_path / "roster.csv").write_text(ROSTER)
    graded = course_grade("autograde", ASSIGNMENT, "--course", str(course), "--workers", "2", "--due", "2026-11-20",
                          "--late-penalty", "10%/day max 30%", "--roster", str(tmp_path / "roster.csv"))
    assert graded.returncode == 0, graded.stderr[-2000:]
    lines = {line.split()[0]: line for line in graded.stdout.splitlines() if line.split()}
    # 4 days 12 hours late: 5 days begun, 50 % capped at 30 % of 20 points; 1 day of extension
    # leaves wrong_backward 1 hour late: 10 %
    assert "10 / 20" in lines["correct"] and "8 / 20" in lines["wrong_backward"] and "0 / 20" in lines["untouched"]
    assert ("Due 2026-11-20 23:59 UTC (10% of the points per day begun late, at most 30%): 2 submission(s) late: "
            "correct by 4 d 12 h (-6), wrong_backward by 1 h 1 min (-2).") in graded.stdout
    assert "warning: extension for nobody, who handed nothing in" in graded.stdout
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:  # nbgrader's own fields hold it
        assert book.find_assignment(ASSIGNMENT).duedate == datetime(2026, 11, 20, 23, 59, 59)
        submission = book.find_submission(ASSIGNMENT, "wrong_backward")
        assert submission.extension == timedelta(days=1) and submission.late_submission_penalty == 2
        assert book.find_submission(ASSIGNMENT, "correct").late_submission_penalty == 6

    exported = course_grade("export", ASSIGNMENT, "--course", str(course))
    rows = {row["student"]: row for row in csv.DictReader((course / f"grades-{ASSIGNMENT}.csv").open())}
    assert [rows["correct"][c] for c in ("score", "submitted", "late by", "penalty")] == \
        ["10", "2026-11-25 12:00", "4 d 12 h", "6"]
    assert [rows["untouched"][c] for c in ("submitted", "late by", "penalty")] == ["2026-11-20 09:30", "", "0"]
    scaled = course_grade("export", ASSIGNMENT, "--course", str(course), "--scale", "100", "--output",
                          str(tmp_path / "scaled.csv"))
    assert scaled.returncode == 0, scaled.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "scaled.csv").open())}
    assert [rows["correct"][c] for c in ("score", "max_score", "penalty")] == ["50", "100", "30"]
    assert exported.returncode == 0

    course_grade("feedback", ASSIGNMENT, "--course", str(course))
    page = html.unescape((course / "feedback" / "wrong_backward" / ASSIGNMENT / "feedback.html").read_text())
    assert ("Handed in 2026-11-22 01:00 UTC, 1 h 1 min after the due date: a late penalty of 2 point(s) is taken "
            "off (included above).") in page and "Score: <b>8 / 20</b>" in page

    again = course_grade("autograde", ASSIGNMENT, "--course", str(course), "--workers", "1")  # the policy is kept
    assert "8 / 20" in next(line for line in again.stdout.splitlines() if line.startswith("wrong_backward"))
    gradebook.set_late_work(course, ASSIGNMENT, policy=False)
    assert gradebook.late_work(course, ASSIGNMENT)["correct"][2] == 0


@pytest.mark.parametrize("text, policy", [
    ("10%/day", {"percent": 10, "per": "day", "cap": 100}),
    ("5 %/hour max 50%", {"percent": 5, "per": "hour", "cap": 50}),
    ("10%/days, cap 40%", {"percent": 10, "per": "day", "cap": 40}),
    ("none", None),
])
def test_late_penalty_policies_read_as_written(text, policy):
    assert gradebook.parse_policy(text) == policy


def test_a_wrong_policy_or_date_is_one_sentence():
    with pytest.raises(ValueError, match=r"^'ten per day' is not a late penalty such as 10%/day or 10%/day max 50%\.$"):
        gradebook.parse_policy("ten per day")
    with pytest.raises(ValueError, match=r"^'next friday' is not an ISO date such as 2026-11-20 or 2026-11-20T23:59\.$"):
        gradebook.parse_time("next friday")
    assert gradebook.parse_time("2026-11-20T23:59+01:00") == datetime(2026, 11, 20, 22, 59)


def test_late_by_reads_like_a_person_wrote_it():
    assert [late_by(s) for s in (0, 59, 3601, 86400 * 2 + 7200)] == ["", "1 min", "1 h 1 min", "2 d 2 h"]
