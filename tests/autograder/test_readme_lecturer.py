"""The README's grading commands, run exactly as written (from a folder that has the repository's
``.venv``, as a fresh clone has after ``make test`` or ``make lab``) on a Moodle download of two
students and a roster: every command succeeds, says what the README says it says, and its
promised file is there. (The "On JupyterHub" section is followed by test_hub_exchange.py.)"""
import csv
import os
import re
import subprocess

from tests.autograder.test_grading_week import ROSTER, moodle_download
from tests.notebook_tools import ROOT


def readme_grading_commands():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Grading", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_grading_commands_work_as_written(tmp_path):
    commands = readme_grading_commands()
    assert commands[0].startswith(".venv/bin/course-grade collect ~/Downloads/lab01.zip 01_backprop --roster")
    assert all(command.startswith(".venv/bin/course-grade ") for command in commands)
    home, work = tmp_path / "home", tmp_path / "clone"
    (home / "Downloads").mkdir(parents=True)
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    moodle_download(home / "Downloads" / "lab01.zip")
    roster = ROSTER.replace("id,name\n", "id,name,email\n")
    roster = "\n".join(f"{line},{line.split(',')[0]}@uni.example" if line.startswith("s0") else line
                        for line in roster.splitlines()) + "\n"
    (work / "roster.csv").write_text(roster)
    environment = dict(os.environ, HOME=str(home))
    printed = {}
    for command in commands:
        result = subprocess.run(["bash", "-c", command], cwd=work, env=environment, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stdout + result.stderr, command
        printed[command] = result.stdout
    dry_run = printed[".venv/bin/course-grade autograde 01_backprop --dry-run"]
    assert dry_run.splitlines()[1:] == ["  s001     grade (new)", "  s003     grade (new)",
                                        "2 submission(s) would be graded, 0 skipped."]
    graded = printed[".venv/bin/course-grade autograde 01_backprop"]
    assert "Written answers still to grade by hand: 2 of 2 submission(s) (s001, s003)." in graded
    assert ("warning: 2 submission(s) still have written answers not graded by hand (s001, s003): their scores "
            "leave those points out.") in printed[".venv/bin/course-grade export 01_backprop"]
    grading = work / "grading"
    rows = {row["student"]: row for row in csv.DictReader((grading / "grades-01_backprop.csv").open())}
    assert sorted(rows) == ["s001", "s003"]
    assert float(rows["s001"]["score"]) > float(rows["s003"]["score"])
    for student in rows:
        assert (grading / "feedback" / student / "01_backprop" / "feedback.html").is_file()
    assert "<img" in (grading / "report-01_backprop.html").read_text()
    similarity = list(csv.DictReader((grading / "similarity-01_backprop.csv").open()))
    assert [sorted((row["student_a"], row["student_b"])) for row in similarity] == [["s001", "s003"]]
    canvas = list(csv.reader((grading / "grades-01_backprop-canvas.csv").open()))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert {row[0] for row in canvas[2:]} == {"Alice Smith", "Carol Diaz"}  # names from the roster
    moodle = list(csv.reader((grading / "grades-01_backprop-moodle.csv").open()))
    assert moodle[0] == ["Email address", "01_backprop"]
    assert dict(moodle[1:]) == {"s001@uni.example": f"{float(rows['s001']['score']) * 5:g}",
                                "s003@uni.example": f"{float(rows['s003']['score']) * 5:g}"}  # out of 100, not 20


def test_the_readme_says_exactly_what_never_losing_a_grade_means():
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    promise = text.split("**Never loses a grade:**", 1)[1].split("* **", 1)[0]
    for clause in ("every regrade (changed points or tests, a resubmission, `--force`, formgrader's autograde)",
                   "keeps each manual score, override, extra credit and comment whose cell did not change",
                   "the lab's cell (its text and points) and, for a written answer, the student's text",
                   "\"Hand grades to look at again\"", "`grading_history.json` keeps what it was"):
        assert clause in promise, clause
