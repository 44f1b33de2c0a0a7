"""The lecturer's path through `course-grade`: collect downloads, autograde, feedback, export."""
import csv
import subprocess
import sys
import zipfile

import nbformat

from autograder.collect import collect
from tests.autograder.submissions import ASSIGNMENT, BATCH
from tests.notebook_tools import ROOT


def course_grade(*arguments):
    return subprocess.run([sys.executable, "-m", "autograder", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def make_downloads(folder):
    correct, wrong = BATCH["correct"][0](), BATCH["wrong_backward"][0]()
    (folder / "alice" / "lab").mkdir(parents=True)
    nbformat.write(correct, folder / "alice" / "lab" / f"{ASSIGNMENT}.ipynb")
    (folder / "alice" / ".ipynb_checkpoints").mkdir()
    nbformat.write(wrong, folder / "alice" / ".ipynb_checkpoints" / f"{ASSIGNMENT}-checkpoint.ipynb")
    with zipfile.ZipFile(folder / "bob.zip", "w") as archive:
        archive.writestr(f"bob/{ASSIGNMENT}.ipynb", nbformat.writes(wrong))
        archive.writestr("__MACOSX/._x.ipynb", "junk")
    nbformat.write(correct, folder / f"carol_{ASSIGNMENT}.ipynb")
    (folder / "dave.zip").write_bytes(b"not a zip")
    (folder / "erin").mkdir()
    return folder


def test_collect_places_folders_zips_and_notebooks_and_reports_the_rest(tmp_path):
    downloads = make_downloads(tmp_path / "downloads")
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    assert sorted(report.placed) == ["alice", "bob", "carol"]
    assert (tmp_path / "course" / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").exists()
    assert any(p.startswith("dave.zip: could not be read") for p in report.problems)
    assert any(p.startswith("erin: contains no notebook") for p in report.problems)


def test_the_whole_path_on_the_command_line(tmp_path):
    course, downloads = tmp_path / "course", make_downloads(tmp_path / "downloads")
    collected = course_grade("collect", str(downloads), ASSIGNMENT, "--course", str(course))
    assert collected.returncode == 1 and "Collected 3 submission(s)" in collected.stdout  # 2 were refused
    assert "not collected: dave.zip" in collected.stdout
    assert collected.stdout.splitlines()[-1] == "2 item(s) were refused and not collected; see the lines above."

    graded = course_grade("autograde", ASSIGNMENT, "--course", str(course), "--workers", "2")
    assert graded.returncode == 0, graded.stderr[-2000:]
    lines = graded.stdout.splitlines()
    assert lines[0].startswith(f"Grading {ASSIGNMENT} with 300 s per cell")
    table = {line.split()[0]: line for line in lines[2:-1]}
    assert "16 / 20" in table["alice"] and "10 / 20" in table["bob"] and "16 / 20" in table["carol"]
    assert lines[-3].startswith("Written answers (4 of the points) are graded by hand")
    assert lines[-2] == "Written answers still to grade by hand: 3 of 3 submission(s) (alice, bob, carol)."
    assert lines[-1] == "3 submissions, 2 passing every test, 0 with full marks, mean score 14.0"
    assert "grading 01_backprop: 100%" in graded.stderr  # the progress bar
    assert "Traceback" not in graded.stderr and "WARNING" not in graded.stderr
    assert "Warning" not in graded.stderr and "warn" not in graded.stderr.lower()  # only the bar on stderr

    feedback = course_grade("feedback", ASSIGNMENT, "--course", str(course))
    assert "Wrote 3 feedback page(s)" in feedback.stdout
    assert "averages dout over the batch" in (course / "feedback" / "bob" / ASSIGNMENT / "feedback.html").read_text()

    exported = course_grade("export", ASSIGNMENT, "--course", str(course), "--output", str(tmp_path / "g.csv"))
    assert "Wrote 3 student(s)" in exported.stdout
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "g.csv").open())}
    assert float(rows["bob"]["score"]) == 10 and float(rows["bob"]["test_affine_backward"]) == 0


def test_unknown_assignment_is_one_clear_sentence(tmp_path):
    result = course_grade("autograde", "99_nothing", "--course", str(tmp_path / "course"))
    assert result.returncode == 1
    assert result.stderr.strip() == "course-grade autograde: There is no assignment '99_nothing' in solutions/."


def test_without_bubblewrap_grading_is_refused_unless_asked_and_then_marked_unprotected(tmp_path, monkeypatch):
    from autograder.autograde import autograde, summary_table
    from autograder.course_directory import ensure_assignment
    from autograder.sandbox import bubblewrap
    from autograder.sandbox.bubblewrap import SandboxUnavailable
    from tests.autograder.submissions import write_batch

    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    write_batch(course, ["correct", "wrong_backward"])
    monkeypatch.setattr(bubblewrap, "available", lambda: False)
    try:
        autograde(course, ASSIGNMENT, workers=2, progress=False)
        raise AssertionError("graded without a sandbox although nobody asked for that")
    except SandboxUnavailable as error:
        assert "install it (`apt-get install bubblewrap`) or pass --no-sandbox" in str(error)
    outcomes = autograde(course, ASSIGNMENT, workers=2, progress=False, sandboxed=False)
    assert {o.student: o.score for o in outcomes} == {"correct": 16, "wrong_backward": 10}
    assert "not protected" in summary_table(outcomes).splitlines()[-2]


def test_export_and_feedback_read_the_gradebook_the_one_record(tmp_path):
    from nbgrader.api import Gradebook

    from autograder.autograde import autograde
    from autograder.course_directory import ensure_assignment
    from autograder.export import export_grades
    from autograder.feedback import write_feedback
    from tests.autograder.submissions import write_batch

    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    write_batch(course, ["wrong_backward"])
    autograde(course, ASSIGNMENT, workers=1, progress=False)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:  # a lecturer's manual grade
        grade = gradebook.find_grade("test_affine_backward", ASSIGNMENT, ASSIGNMENT, "wrong_backward")
        grade.manual_score = 1.5
        gradebook.db.commit()
    path, _ = export_grades(course, ASSIGNMENT, tmp_path / "grades.csv")
    row = next(csv.DictReader(path.open()))
    assert float(row["score"]) == 11.5 and float(row["test_affine_backward"]) == 1.5
    write_feedback(course, ASSIGNMENT)
    assert "11.5 / 20" in (course / "feedback" / "wrong_backward" / ASSIGNMENT / "feedback.html").read_text()
