"""A lecturer's grading week on the command line: Moodle's and Canvas's downloads with late and
resubmission markers and a roster, grading, hand grades given through nbgrader's API the way
formgrader gives them, a change of points in solutions/, a resubmission, the export. Every score,
every id and every hand grade is checked at every step."""
import csv
import json
import shutil
import zipfile

import nbformat
from nbgrader.api import Gradebook

from autograder import gradebook
from autograder.course_directory import prepare_course_directory
from tests.autograder.submissions import ASSIGNMENT, BATCH
from tests.autograder.test_cli import course_grade as run_course_grade
from tests.notebook_tools import ROOT

CORRECT, WRONG, UNTOUCHED = (BATCH[name][0]() for name in ("correct", "wrong_backward", "untouched"))
ROSTER = "id,name\ns001,Alice Smith\ns002,Bob Jones\ns003,Carol Diaz\ns004,Dan Lee\ns005,Eve Stone\n"


def moodle_download(path):
    """Moodle's "download all submissions": one zip, a folder or a flat file per student."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"Alice Smith_101_assignsubmission_file_/{ASSIGNMENT}.ipynb", nbformat.writes(CORRECT))
        archive.writestr(f"Carol Diaz_103_assignsubmission_file_{ASSIGNMENT}.ipynb", nbformat.writes(WRONG))
        archive.writestr("Carol Diaz_103_assignsubmission_onlinetext_/onlinetext.html", "<p>see the notebook</p>")
    return path


def canvas_download(folder, resubmission=False):
    """Canvas's download: ``name[_LATE]_userid_fileid_file[-attempt].ipynb``."""
    folder.mkdir(parents=True)
    if resubmission:
        nbformat.write(CORRECT, folder / f"jonesbob_LATE_102_9004_{ASSIGNMENT}-2.ipynb")
        return folder
    nbformat.write(UNTOUCHED, folder / f"jonesbob_102_9001_{ASSIGNMENT}.ipynb")
    nbformat.write(WRONG, folder / f"jonesbob_LATE_102_9002_{ASSIGNMENT}-1.ipynb")
    nbformat.write(CORRECT, folder / f"leedan_104_9003_{ASSIGNMENT}.ipynb")
    return folder


def course_grade(*arguments):
    """`course-grade ...`; what it printed is shown with `pytest -s` (the week as a lecturer sees it)."""
    result = run_course_grade(*arguments)
    shown = " ".join(a if "/" not in a else a.rsplit("/", 1)[1] for a in arguments)
    print(f"$ course-grade {shown}\n{result.stdout}")
    return result


def table(output):
    return {line.split()[0]: line for line in output.splitlines() if line.startswith("s00")}


def raise_points(source, grade_id, points):
    notebook = nbformat.read(source, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.metadata["nbgrader"]["points"] = points
    nbformat.write(notebook, source)


def give_hand_grades(course):
    """What a lecturer does in formgrader: written answers scored, a test overridden, extra credit,
    comments (formgrader's own writes: Grade.manual_score, .extra_credit, Comment.manual_comment)."""
    given = {
        ("s001", "explain_random_upstream"): (2, None, "Clear."), ("s001", "explain_vanishing_gradient"): (1, None, ""),
        ("s001", "explore_answers"): (1, 0.5, "Nice plots."),
        ("s002", "explain_random_upstream"): (1, None, "Say why a uniform dout hides errors."),
        ("s002", "explore_answers"): (1, None, ""),
        ("s003", "test_two_layer_net"): (1.5, None, None), ("s003", "explain_random_upstream"): (2, 1, "Good."),
        ("s004", "test_affine_backward"): (2, None, None), ("s004", "explain_vanishing_gradient"): (0, None, "Missing."),
    }
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        for (student, cell), (score, extra, comment) in given.items():
            grade = book.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student)
            grade.manual_score, grade.extra_credit, grade.needs_manual_grade = score, extra, False
            if comment is not None:
                book.find_comment(cell, ASSIGNMENT, ASSIGNMENT, student).manual_comment = comment
        book.db.commit()
    return given


def hand_grades_now(course):
    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        for submission in book.find_assignment(ASSIGNMENT).submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.manual_score is not None:
                        comment = next((c.manual_comment for c in notebook.comments if c.name == grade.name), None)
                        found[(submission.student.id, grade.name)] = (grade.manual_score, grade.extra_credit,
                                                                      comment or None)
    return found


def with_new_answer(notebook, grade_id, text):
    notebook = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id).source = text
    return notebook


def test_a_grading_week(tmp_path):
    solutions = tmp_path / "solutions"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, solutions / ASSIGNMENT)
    course = prepare_course_directory(tmp_path / "grading", solutions=solutions)
    (tmp_path / "roster.csv").write_text(ROSTER)
    common = ("--course", str(course))
    roster = ("--roster", str(tmp_path / "roster.csv"))

    moodle = course_grade("collect", str(moodle_download(tmp_path / "moodle.zip")), ASSIGNMENT, *common, *roster)
    assert moodle.returncode == 0, moodle.stdout + moodle.stderr
    assert "s001  from Alice Smith_101_assignsubmission_file_" in moodle.stdout
    assert f"s003  from Carol Diaz_103_assignsubmission_file_{ASSIGNMENT}.ipynb" in moodle.stdout
    assert "No submission from 3 student(s) on the roster: s002, s004, s005." in moodle.stdout

    canvas = course_grade("collect", str(canvas_download(tmp_path / "canvas")), ASSIGNMENT, *common, *roster)
    assert canvas.returncode == 0, canvas.stdout + canvas.stderr
    assert f"s002  from jonesbob_LATE_102_9002_{ASSIGNMENT}-1.ipynb (late, resubmission 1, the latest of 2)" \
        in canvas.stdout
    assert "No submission from 1 student(s) on the roster: s005." in canvas.stdout
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["s001", "s002", "s003", "s004"]

    first = course_grade("autograde", ASSIGNMENT, *common, "--workers", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    scores = table(first.stdout)
    assert [scores[s].split()[1:4] for s in sorted(scores)] == [["16", "/", "20"], ["10", "/", "20"],
                                                                ["10", "/", "20"], ["16", "/", "20"]]

    assert "Written answers still to grade by hand: 4 of 4 submission(s) (s001, s002, s003, s004)." in first.stdout
    given = give_hand_grades(course)
    before = hand_grades_now(course)
    assert len(before) == len(given)

    # --force: everything graded again, every hand grade stays
    forced = course_grade("autograde", ASSIGNMENT, *common, "--workers", "2", "--force")
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert all("(graded again: --force)" in line for line in table(forced.stdout).values())
    assert "Hand grades to look at again" not in forced.stdout
    assert hand_grades_now(course) == before
    assert "20.5 / 20" in table(forced.stdout)["s001"]  # 16 + 4 written + 0.5 extra credit

    # a change of points: the hand grades on unchanged cells stay, the changed cell is named
    dry = course_grade("autograde", ASSIGNMENT, *common, "--dry-run")
    assert dry.returncode == 0 and "Dry run: nothing is graded." in dry.stdout
    assert dry.stdout.splitlines()[-1] == "0 submission(s) would be graded, 4 skipped."  # nothing changed yet
    raise_points(solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", "test_affine_backward", 5)
    dry = course_grade("autograde", ASSIGNMENT, *common, "--dry-run")
    assert "  s001     grade (lab changed)" in dry.stdout and dry.stdout.splitlines()[-1] == \
        "4 submission(s) would be graded, 0 skipped."
    second = course_grade("autograde", ASSIGNMENT, *common, "--workers", "2")
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb changed since the gradebook last saw it" in second.stdout
    scores = table(second.stdout)
    assert [scores[s].split()[1:4] for s in sorted(scores)] == [["22.5", "/", "22"], ["12", "/", "22"],
                                                                ["14.5", "/", "22"], ["18", "/", "22"]]
    assert all("(graded again: the lab changed)" in line for line in scores.values())
    assert "Hand grades to look at again (1; the old ones are in grading_history.json):" in second.stdout
    assert "  s004 test_affine_backward: the lab's cell changed (3 -> 5 points)" in second.stdout
    after = hand_grades_now(course)
    assert after == {key: value for key, value in before.items() if key != ("s004", "test_affine_backward")}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        assert book.find_assignment(ASSIGNMENT).max_score == 22
    s004 = gradebook.history(course, ASSIGNMENT, "s004")[-1]["hand_grades"]
    assert {"notebook": ASSIGNMENT, "cell": "test_affine_backward", "manual_score": 2, "extra_credit": None,
            "manual_comment": None, "kept": False, "why": "the lab's cell changed (3 -> 5 points)"} in s004

    again = course_grade("collect", str(canvas_download(tmp_path / "canvas2", resubmission=True)), ASSIGNMENT,
                         *common, *roster)
    assert "(late, resubmission 2, replaces the one collected before)" in again.stdout
    dry = course_grade("autograde", ASSIGNMENT, *common, "--dry-run")
    assert "  s002     grade (changed)" in dry.stdout and "  s001     skip (graded before)" in dry.stdout
    third = course_grade("autograde", ASSIGNMENT, *common, "--workers", "2")
    scores = table(third.stdout)
    assert "20 / 22" in scores["s002"] and "(graded again: the submission changed)" in scores["s002"]
    assert all("(graded before)" in scores[s] for s in ("s001", "s003", "s004"))
    assert hand_grades_now(course) == after  # the resubmission's written answers are the same text
    history = gradebook.history(course, ASSIGNMENT, "s002")
    assert [(h["student"], h["score"], h["max_score"], h["replaced_because"]) for h in history] == [
        ("s002", 10, 20, "--force"), ("s002", 12, 20, "the lab changed"), ("s002", 12, 22, "the submission changed")]
    assert all(h["graded_at"] for h in history)
    assert [(h["cell"], h["manual_score"], h["manual_comment"], h["kept"]) for h in history[-1]["hand_grades"]] == [
        ("explain_random_upstream", 1, "Say why a uniform dout hides errors.", True), ("explore_answers", 1, None, True)]

    # a resubmission that rewrites a written answer: that hand grade is named, the others stay
    folder = tmp_path / "canvas3"
    folder.mkdir()
    nbformat.write(with_new_answer(CORRECT, "explore_answers", "I rewrote this answer."),
                   folder / f"jonesbob_LATE_102_9005_{ASSIGNMENT}-3.ipynb")
    course_grade("collect", str(folder), ASSIGNMENT, *common, *roster)
    fourth = course_grade("autograde", ASSIGNMENT, *common, "--workers", "2")
    assert "  s002 explore_answers: the student's answer changed" in fourth.stdout
    assert hand_grades_now(course) == {k: v for k, v in after.items() if k != ("s002", "explore_answers")}

    exported = course_grade("export", ASSIGNMENT, *common, "--output", str(tmp_path / "grades.csv"))
    assert "Wrote 4 student(s)" in exported.stdout
    assert ("warning: 4 submission(s) still have written answers not graded by hand (s001, s002, s003, s004)"
            not in exported.stdout)
    assert "warning: 3 submission(s) still have written answers not graded by hand (s002, s003, s004)" \
        in exported.stdout
    assert course_grade("export", ASSIGNMENT, *common, "--strict").returncode == 3
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert {s: float(r["score"]) for s, r in rows.items()} == {"s001": 22.5, "s002": 19, "s003": 14.5, "s004": 18}
    assert float(rows["s003"]["test_affine_backward"]) == 0 and float(rows["s003"]["max_score"]) == 22
    assert float(rows["s003"]["test_two_layer_net"]) == 1.5  # the override
    assert "test_affine_backward lost 5 point(s)" in rows["s003"]["notes"] and rows["s001"]["notes"] == ""
    report = json.loads(gradebook.report_path(course, ASSIGNMENT, "s002").read_text())
    assert report["submission_sha256"] == gradebook.submission_hash(
        (course / "submitted" / "s002" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes())
