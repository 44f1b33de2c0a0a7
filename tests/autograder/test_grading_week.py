"""A lecturer's grading week on the command line: Moodle's and Canvas's downloads with late and
resubmission markers and a roster, grading, a change of points in solutions/, a resubmission,
the export. Every score and every id is checked at every step."""
import csv
import json
import shutil
import zipfile

import nbformat
from nbgrader.api import Gradebook

from autograder import gradebook
from autograder.course_directory import prepare_course_directory
from tests.autograder.submissions import ASSIGNMENT, BATCH
from tests.autograder.test_cli import course_grade
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


def table(output):
    return {line.split()[0]: line for line in output.splitlines() if line.startswith("s00")}


def raise_points(source, grade_id, points):
    notebook = nbformat.read(source, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.metadata["nbgrader"]["points"] = points
    nbformat.write(notebook, source)


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

    raise_points(solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", "test_affine_backward", 5)
    second = course_grade("autograde", ASSIGNMENT, *common, "--workers", "2")
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb changed since the gradebook last saw it" in second.stdout
    scores = table(second.stdout)
    assert [scores[s].split()[1:4] for s in sorted(scores)] == [["18", "/", "22"], ["10", "/", "22"],
                                                                ["10", "/", "22"], ["18", "/", "22"]]
    assert all("(graded again: the lab changed)" in line for line in scores.values())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        assert book.find_assignment(ASSIGNMENT).max_score == 22

    again = course_grade("collect", str(canvas_download(tmp_path / "canvas2", resubmission=True)), ASSIGNMENT,
                         *common, *roster)
    assert "(late, resubmission 2, replaces the one collected before)" in again.stdout
    third = course_grade("autograde", ASSIGNMENT, *common, "--workers", "2")
    scores = table(third.stdout)
    assert "18 / 22" in scores["s002"] and "(graded again: the submission changed)" in scores["s002"]
    assert all("(graded before)" in scores[s] for s in ("s001", "s003", "s004"))
    history = gradebook.history(course, ASSIGNMENT, "s002")
    assert [(h["student"], h["score"], h["max_score"], h["replaced_because"]) for h in history] == [
        ("s002", 10, 20, "the lab changed"), ("s002", 10, 22, "the submission changed")]
    assert all(h["graded_at"] for h in history)

    exported = course_grade("export", ASSIGNMENT, *common, "--output", str(tmp_path / "grades.csv"))
    assert "Wrote 4 student(s)" in exported.stdout
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert {s: float(r["score"]) for s, r in rows.items()} == {"s001": 18, "s002": 18, "s003": 10, "s004": 18}
    assert float(rows["s003"]["test_affine_backward"]) == 0 and float(rows["s003"]["max_score"]) == 22
    assert "test_affine_backward lost 5 point(s)" in rows["s003"]["notes"] and rows["s001"]["notes"] == ""
    report = json.loads(gradebook.report_path(course, ASSIGNMENT, "s002").read_text())
    assert report["submission_sha256"] == gradebook.submission_hash(
        (course / "submitted" / "s002" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes())
