"""`course-grade export --format canvas|moodle`: grade files in the layouts those systems import.

Canvas's gradebook import reads its own export's columns (Student, ID, SIS User ID, SIS Login
ID, Section, then one column per assignment, and an optional "Points Possible" row); Moodle's
CSV grade import maps one column to a user field (email address, ID number or username) and
another to a grade item."""
import csv
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from autograder import gradebook
from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.export import CANVAS_COLUMNS, export_canvas, export_grades, export_moodle, read_roster
from autograder.sandbox import Limits
from tests.autograder.submissions import ASSIGNMENT, BATCH, write_submission
from tests.notebook_tools import ROOT

STUDENTS = {"alice": "correct", "bob": "wrong_backward", "carol": "untouched"}
ROSTER = """id,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber,username
alice,"Smith, Alice",101,S-001,asmith,Lab A,alice@uni.example,1001,asmith
bob,"Jones, Bob",102,S-002,bjones,Lab B,bob@uni.example,1002,bjones
carol,"Wu, Carol",103,S-003,cwu,Lab A,,1003,cwu
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    for student, kind in STUDENTS.items():
        write_submission(course, student, BATCH[kind][0]())
    autograde(course, ASSIGNMENT, workers=2, limits=Limits(cell_timeout=60, notebook_timeout=300), progress=False)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:  # a lecturer's manual grade counts
        gradebook.find_grade("test_affine_backward", ASSIGNMENT, ASSIGNMENT, "bob").manual_score = 1.5
        gradebook.db.commit()
    (course / "roster.csv").write_text(ROSTER)
    return course


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def plain_scores(course):
    path, _ = export_grades(course, ASSIGNMENT, course / "plain.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["student"]: float(row["score"]) for row in csv.DictReader(handle)}


def test_canvas_file_has_canvas_columns_points_possible_and_the_roster_ids(course):
    path, count, warnings = export_canvas(course, ASSIGNMENT, course / "canvas.csv", course / "roster.csv")
    rows = rows_of(path)
    assert rows[0] == [*CANVAS_COLUMNS, ASSIGNMENT] and count == 3 and warnings == []
    assert rows[1][0].strip() == "Points Possible" and rows[1][1:5] == ["", "", "", ""]
    scores = plain_scores(course)
    assert float(rows[1][5]) == gradebook.max_score(course, ASSIGNMENT) == 20  # written answers included
    assert max(scores.values()) == 16
    by_id = {row[1]: row for row in rows[2:]}
    assert by_id["101"] == ["Smith, Alice", "101", "S-001", "asmith", "Lab A", f"{scores['alice']:g}"]
    assert float(by_id["102"][5]) == scores["bob"] and scores["bob"] % 1 == 0.5  # with the 1.5 given by hand
    assert float(by_id["103"][5]) == 0


def test_canvas_without_a_roster_uses_the_grading_ids_and_says_so(course):
    path, count, warnings = export_canvas(course, ASSIGNMENT, course / "canvas-plain.csv", column="Lab 1 (4711)")
    rows = rows_of(path)
    assert rows[0][-1] == "Lab 1 (4711)" and count == 3
    assert [row[0] for row in rows[2:]] == ["alice", "bob", "carol"] and [row[2] for row in rows[2:]] == ["alice", "bob", "carol"]
    assert len(warnings) == 1 and "Canvas finds a student by ID, SIS User ID or SIS Login ID" in warnings[0]


@pytest.mark.parametrize("identifier, header, values", [
    ("email", "Email address", ["alice@uni.example", "bob@uni.example"]),
    ("idnumber", "ID number", ["1001", "1002", "1003"]),
    ("username", "Username", ["asmith", "bjones", "cwu"]),
])
def test_moodle_file_is_keyed_by_the_chosen_user_field(course, identifier, header, values):
    path, count, warnings = export_moodle(course, ASSIGNMENT, course / f"moodle-{identifier}.csv", course / "roster.csv",
                                          identifier)
    rows = rows_of(path)
    assert rows[0] == [header, ASSIGNMENT] and [row[0] for row in rows[1:]] == values and count == len(values)
    assert float(dict(rows[1:])[values[1]]) == plain_scores(course)["bob"]
    assert warnings == ([] if identifier != "email" else ["carol has no email address on the roster: left out"])


def test_moodle_picks_email_from_a_roster_and_username_without_one(course):
    assert rows_of(export_moodle(course, ASSIGNMENT, course / "m1.csv", course / "roster.csv")[0])[0][0] == "Email address"
    rows = rows_of(export_moodle(course, ASSIGNMENT, course / "m2.csv")[0])
    assert rows[0][0] == "Username" and [row[0] for row in rows[1:]] == ["alice", "bob", "carol"]


def test_a_roster_without_an_id_column_is_one_clear_sentence(tmp_path):
    (tmp_path / "r.csv").write_text("name,email\nAlice,a@x\n")
    with pytest.raises(ValueError, match=r"has no id column \(one of: id, student_id, student\)"):
        read_roster(tmp_path / "r.csv")


def test_the_command_writes_each_format_and_keeps_the_plain_csv(course):
    def run(*extra):
        return subprocess.run([sys.executable, "-m", "autograder", "export", ASSIGNMENT, "--course", str(course), *extra],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)

    canvas = run("--format", "canvas", "--roster", str(course / "roster.csv"))
    assert canvas.returncode == 0, canvas.stderr
    assert canvas.stdout.strip() == (f"Wrote 3 student(s) to {course / f'grades-{ASSIGNMENT}-canvas.csv'} "
                                     "for Canvas's grade import.")
    moodle = run("--format", "moodle", "--roster", str(course / "roster.csv"), "--identifier", "idnumber")
    assert rows_of(course / f"grades-{ASSIGNMENT}-moodle.csv")[0] == ["ID number", ASSIGNMENT], moodle.stderr
    plain = run()
    assert plain.stdout.strip() == f"Wrote 3 student(s) to {course / f'grades-{ASSIGNMENT}.csv'}."
    assert rows_of(course / f"grades-{ASSIGNMENT}.csv")[0][:3] == ["student", "score", "max_score"]
    wrong = run("--format", "blackboard")
    assert wrong.returncode == 2 and "invalid choice: 'blackboard'" in wrong.stderr
