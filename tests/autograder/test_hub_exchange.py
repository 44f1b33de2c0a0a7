"""The round trip on a JupyterHub, through nbgrader's exchange, as the README's "On JupyterHub"
section tells it: the lecturer releases, two students (each with a home of their own) fetch and
submit, the lecturer collects, `course-grade autograde` and `course-grade feedback` grade, nbgrader
releases the feedback and a student fetches the page course-grade wrote."""
import os
import re
import subprocess
import sys

import nbformat

from autograder.course_directory import ensure_assignment
from tests.autograder.submissions import ASSIGNMENT, BATCH
from tests.notebook_tools import ROOT

COURSE_ID = "dl101"


def nbgrader(folder, *arguments, user="lecturer", home=None, exchange):
    """``nbgrader ...`` as ``user``. The tests run as one system user, so a student's commands name
    the student (``--student``, which a hub's own login does) and collect does not check owners."""
    if user != "lecturer":
        arguments += (f"--student={user}",)
    environment = dict(os.environ, USER=user, LOGNAME=user, HOME=str(home or folder), PYTHONWARNINGS="ignore")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *arguments, f"--Exchange.root={exchange}"],
                            cwd=folder, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"nbgrader {' '.join(arguments)}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def readme_hub_section():
    """The README's "On JupyterHub" section: its configuration lines and its commands."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### On JupyterHub", 1)[1].split("\n## ", 1)[0]
    config = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    commands = [line.split("  #")[0].strip() for line in re.search(r"```bash\n(.*?)```", section, re.S).group(1)
                .splitlines() if line.strip()]
    return config, commands


def course_grade(*arguments):
    return subprocess.run([sys.executable, "-m", "autograder", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_release_fetch_submit_collect_grade_release_feedback_fetch_feedback(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    grading = ensure_assignment(tmp_path / "grading", ASSIGNMENT)
    config, commands = readme_hub_section()
    assert config == f'c.CourseDirectory.course_id = "{COURSE_ID}"\nc.Exchange.root = "/srv/nbgrader/exchange"\n'
    assert commands == [f"nbgrader release_assignment {ASSIGNMENT}", f"nbgrader collect {ASSIGNMENT}",
                        f"../.venv/bin/course-grade autograde {ASSIGNMENT} --course .",
                        f"../.venv/bin/course-grade feedback {ASSIGNMENT} --course .",
                        f"nbgrader release_feedback {ASSIGNMENT}"]  # the steps below, in this order
    with (grading / "nbgrader_config.py").open("a") as handle:  # the README's two lines
        handle.write(config.replace("/srv/nbgrader/exchange", str(exchange)))
    nbgrader(grading, "release_assignment", ASSIGNMENT, exchange=exchange)

    work = {"alice": BATCH["correct"][0](), "bob": BATCH["wrong_backward"][0]()}
    for student, notebook in work.items():
        home = tmp_path / "home" / student
        home.mkdir(parents=True)
        nbgrader(home, "fetch_assignment", ASSIGNMENT, f"--course={COURSE_ID}", user=student, exchange=exchange)
        fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert fetched.is_file()
        nbformat.write(notebook, fetched)  # the student's work
        nbgrader(home, "submit", ASSIGNMENT, f"--course={COURSE_ID}", user=student, exchange=exchange)

    collected = nbgrader(grading, "collect", ASSIGNMENT, "--ExchangeCollect.check_owner=False", exchange=exchange)
    for student in work:
        assert (grading / "submitted" / student / ASSIGNMENT / "timestamp.txt").is_file(), collected

    graded = course_grade("autograde", ASSIGNMENT, "--course", str(grading), "--workers", "2")
    assert graded.returncode == 0, graded.stderr[-2000:]
    scores = {line.split()[0]: line for line in graded.stdout.splitlines() if line.startswith(("alice", "bob"))}
    assert "16 / 20" in scores["alice"] and "10 / 20" in scores["bob"]
    feedback = course_grade("feedback", ASSIGNMENT, "--course", str(grading))
    assert "Wrote 2 feedback page(s)" in feedback.stdout, feedback.stderr
    assert (grading / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()

    released = nbgrader(grading, "release_feedback", ASSIGNMENT, exchange=exchange)
    assert "Releasing feedback for student 'bob'" in released

    home = tmp_path / "home" / "bob"
    nbgrader(home, "fetch_feedback", ASSIGNMENT, f"--course={COURSE_ID}", user="bob", exchange=exchange)
    pages = list((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    assert len(pages) == 1, list((home / ASSIGNMENT).rglob("*"))
    page = pages[0].read_text()
    assert "Feedback on 01_backprop" in page and "Student id: <b>bob</b>" in page and "Score: <b>10 / 20</b>" in page
    assert "averages dout over the batch" in page
    assert not list((tmp_path / "home" / "alice" / ASSIGNMENT).glob("feedback/*/*.html"))  # alice did not fetch yet
