"""`course-grade export --format canvas|moodle|moodle-worksheet`: grade files in the layouts those
systems import, out of any maximum (`--scale`), with no cell a spreadsheet could run as a formula.

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
from autograder.export import (CANVAS_COLUMNS, MOODLE_WORKSHEET_COLUMNS, csv_cell, export_canvas, export_grades,
                               export_moodle, export_moodle_worksheet, read_roster)
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
    assert canvas.stdout.strip().splitlines() == [
        "  warning: 3 submission(s) still have written answers not graded by hand (alice, bob, carol): their scores "
        "leave those points out.".strip(),
        f"Wrote 3 student(s) to {course / f'grades-{ASSIGNMENT}-canvas.csv'} for Canvas's grade import."]
    moodle = run("--format", "moodle", "--roster", str(course / "roster.csv"), "--identifier", "idnumber")
    assert rows_of(course / f"grades-{ASSIGNMENT}-moodle.csv")[0] == ["ID number", ASSIGNMENT], moodle.stderr
    plain = run()
    assert plain.stdout.strip().splitlines()[-1] == f"Wrote 3 student(s) to {course / f'grades-{ASSIGNMENT}.csv'}."
    assert run("--strict").returncode == 3  # written answers wait
    worksheet = run("--format", "moodle-worksheet", "--scale", "100")
    assert worksheet.returncode == 0 and "for Moodle's offline grading worksheet." in worksheet.stdout
    assert rows_of(course / f"grades-{ASSIGNMENT}.csv")[0][:3] == ["student", "score", "max_score"]
    wrong = run("--format", "blackboard")
    assert wrong.returncode == 2 and "invalid choice: 'blackboard'" in wrong.stderr


def test_scale_puts_every_format_out_of_the_maximum_asked_for(course):
    path, _ = export_grades(course, ASSIGNMENT, course / "scaled.csv", scale=100)
    rows = {row["student"]: row for row in csv.DictReader(path.open())}
    assert rows["alice"]["score"] == "80" and rows["alice"]["max_score"] == "100"
    assert float(rows["bob"]["score"]) == 57.5 and rows["bob"]["test_affine_backward"] == "1.5"  # exercises: points
    canvas = rows_of(export_canvas(course, ASSIGNMENT, course / "c100.csv", scale=100)[0])
    assert canvas[1][5] == "100" and canvas[2][5] == "80"
    moodle = rows_of(export_moodle(course, ASSIGNMENT, course / "m100.csv", scale=100)[0])
    assert moodle[1] == ["alice", "80"]


def test_moodle_worksheet_from_the_roster_has_moodles_columns_grades_and_feedback(course):
    roster = course / "roster-participants.csv"
    roster.write_text(ROSTER.replace("username\n", "username,participant\n").replace("asmith\n", "asmith,201\n")
                      .replace("bjones\n", "bjones,202\n"))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        book.find_comment("explain_random_upstream", ASSIGNMENT, ASSIGNMENT, "bob").manual_comment = "See lecture 2."
        book.db.commit()
    path, count, warnings = export_moodle_worksheet(course, ASSIGNMENT, course / "sheet.csv", roster, scale=100)
    rows = rows_of(path)
    assert tuple(rows[0]) == MOODLE_WORKSHEET_COLUMNS == (
        "Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
        "Last modified (submission)", "Last modified (grade)", "Feedback comments")
    assert count == 2 and warnings == ["carol has no participant number on the roster (Moodle's, as in "
                                       "'Participant 123'): left out"]
    alice, bob = rows[1], rows[2]
    assert alice[:7] == ["Participant 201", "Smith, Alice", "alice@uni.example", "Submitted for grading", "80.00",
                         "100.00", "Yes"]
    assert alice[9].startswith("Every automatic test passed. Written answers not graded yet: explain_random_upstream")
    assert bob[4] == "57.50" and "test_affine_backward lost" in bob[9] and bob[9].endswith("See lecture 2.")


def test_moodle_worksheet_fills_the_one_moodle_gave_out_of_its_maximum(course, tmp_path):
    sheet = tmp_path / "Grades-Lab 1.csv"
    sheet.write_text('\ufeff"Identifier","Full name","Email address","Status","Grade","Maximum Grade",'
                     '"Grade can be changed","Last modified (submission)","Last modified (grade)","Feedback comments"\n'
                     '"Participant 7","Smith, Alice",alice@uni.example,"Submitted for grading",,50.00,Yes,'
                     '"Monday, 16 November 2026, 9:00 AM",-,\n'
                     '"Participant 9","Jones, Bob",bob@uni.example,"Submitted for grading",,50.00,Yes,-,-,\n'
                     '"Participant 11","Someone Else",se@uni.example,"No submission",,50.00,Yes,-,-,\n', encoding="utf-8")
    path, count, warnings = export_moodle_worksheet(course, ASSIGNMENT, tmp_path / "filled.csv", course / "roster.csv",
                                                    sheet)
    rows = rows_of(path)
    assert count == 2 and warnings == ["carol is not in the worksheet: left out (add an email, participant or name "
                                       "column to the roster)"]
    assert rows[1][:6] == ["Participant 7", "Smith, Alice", "alice@uni.example", "Submitted for grading", "40.00", "50.00"]
    assert rows[1][7:9] == ["Monday, 16 November 2026, 9:00 AM", "-"] and rows[3][4] == ""  # left as Moodle gave
    assert rows[2][4] == f"{plain_scores(course)['bob'] * 50 / 20:.2f}"


def test_no_cell_of_any_csv_can_start_a_formula_but_numbers_stay_numbers(course, tmp_path):
    assert [csv_cell(v) for v in ("=1+2", "+x", "-x", "@SUM(A1)", "\tx", "\rx", "-2.5", "ok", -2.5, 3.0)] == \
        ["'=1+2", "'+x", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "-2.5", "ok", "-2.5", "3"]
    roster = tmp_path / "hostile.csv"
    roster.write_text('id,name,sis_user_id,email\nalice,"=HYPERLINK(""http://x"",""y"")",@S1,+a@x\n'
                      'bob,-Bob,-12,bob@x\ncarol,Carol,S3,c@x\n')
    rows = rows_of(export_canvas(course, ASSIGNMENT, tmp_path / "hostile-canvas.csv", roster)[0])
    assert rows[2][0] == "'=HYPERLINK(\"http://x\",\"y\")" and rows[2][2] == "'@S1"
    assert rows[3][0] == "'-Bob" and rows[3][2] == "-12"
    assert rows_of(export_moodle(course, ASSIGNMENT, tmp_path / "hostile-moodle.csv", roster)[0])[1][0] == "'+a@x"
    for path in (tmp_path / "hostile-canvas.csv", tmp_path / "hostile-moodle.csv"):
        for row in rows_of(path):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")) and (
                    not cell.startswith("-") or float(cell) < 0), (path.name, cell)
