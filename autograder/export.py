"""Grades as a CSV: one row per student, one column per exercise, the total and the notes.

Scores come from nbgrader's gradebook (the one record, which ``nbgrader export`` reads too);
the notes come from the grading reports."""
import csv
from pathlib import Path

from . import gradebook


def notes(result):
    """What the notebook did wrong and why each failed test lost its points, in full sentences."""
    failed = [f"{v.grade_id} lost {v.max_points - v.points:g} point(s): {v.message}".rstrip(": ")
              for v in result.verdicts if v.points < v.max_points]
    return " ".join(result.defects + failed)


def export_grades(course, assignment, path):
    course = Path(course)
    reports = sorted((course / "autograded").glob(f"*/{assignment}/{gradebook.REPORT}"))
    rows, exercises = [], []
    recorded, maximum = gradebook.scores(course, assignment), gradebook.max_score(course, assignment)
    for report in reports:
        result, _ = gradebook.read_report(report)
        if result.student not in recorded:
            continue
        score, points = recorded[result.student]
        for verdict in result.verdicts:
            if verdict.grade_id not in exercises:
                exercises.append(verdict.grade_id)
        row = {"student": result.student, "score": score, "max_score": maximum or result.max_score,
               "notes": notes(result)}
        row.update({v.grade_id: points.get(v.grade_id, v.points) for v in result.verdicts})
        rows.append(row)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "score", "max_score", *exercises, "notes"])
        writer.writeheader()
        writer.writerows(rows)
    return path, len(rows)


# -- files an LMS imports -----------------------------------------------------------------------
# Canvas: Grades > Import takes its own export's layout: Student, ID, SIS User ID, SIS Login ID,
# Section, then one column per assignment (a new name makes a new assignment; an existing one is
# "Name (assignment id)"); an optional second row "Points Possible" gives each column's maximum.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Moodle: Grades > Import > CSV file maps one column to a user field ("Identify user by": email
# address, ID number or username) and each other column to a grade item.
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}
ROSTER_FIELDS = {  # what a roster column may be called (case does not matter) -> the field it holds
    "name": ("name", "full_name", "full name", "lms_name", "lms name"),
    "canvas_id": ("canvas_id", "canvas id", "canvas user id"),
    "sis_user_id": ("sis_user_id", "sis user id"),
    "sis_login_id": ("sis_login_id", "sis login id"),
    "section": ("section",),
    "email": ("email", "email address", "e-mail"),
    "idnumber": ("idnumber", "id number", "id_number"),
    "username": ("username", "user name"),
}


def read_roster(path):
    """``{student id: {field: value}}`` from a roster CSV: the id column ``roster.py`` knows (id,
    student_id or student) and any of the LMS columns of ``ROSTER_FIELDS``."""
    from .roster import read_rows

    rows, columns, id_column = read_rows(path)
    fields = {field: next((columns[a] for a in aliases if a in columns), None) for field, aliases in ROSTER_FIELDS.items()}
    return {row[id_column].strip(): {field: (row[column] or "").strip() for field, column in fields.items() if column}
            for row in rows if (row[id_column] or "").strip()}


def _totals(course, assignment):
    """``{student: score}`` from the gradebook (manual grades included) and the shared maximum."""
    recorded = gradebook.scores(course, assignment)
    totals, maximum = {}, gradebook.max_score(course, assignment)
    for result, _ in gradebook.reports(course, assignment):
        if result.student in recorded:
            totals[result.student] = recorded[result.student][0]
            maximum = max(maximum, result.max_score)
    return totals, maximum


def export_canvas(course, assignment, path, roster=None, column=None):
    """A CSV for Canvas's gradebook import; returns (path, rows written, warnings)."""
    totals, maximum = _totals(course, assignment)
    people = read_roster(roster) if roster else {}
    warnings = [] if roster else ["no --roster: Student and SIS User ID hold the grading folder's ids; Canvas "
                                  "finds a student by ID, SIS User ID or SIS Login ID, so give a roster with those "
                                  "columns if the ids are not Canvas's"]
    rows = [["    Points Possible", "", "", "", "", f"{maximum:g}"]]
    for student, score in sorted(totals.items()):
        person = people.get(student, {})
        if roster and not person:
            warnings.append(f"{student} is not on the roster: left out")
            continue
        rows.append([person.get("name") or student, person.get("canvas_id", ""),
                     person.get("sis_user_id", "" if roster else student), person.get("sis_login_id", ""),
                     person.get("section", ""), f"{score:g}"])
    return _write(path, [*CANVAS_COLUMNS, column or assignment], rows), len(rows) - 1, warnings


def export_moodle(course, assignment, path, roster=None, identifier=None, column=None):
    """A CSV for Moodle's grade import (CSV file), keyed by ``identifier`` (email, idnumber or
    username; by default the first the roster has, else username = the grading folder's id)."""
    totals, _ = _totals(course, assignment)
    people = read_roster(roster) if roster else {}
    if identifier is None:
        held = {field for person in people.values() for field, value in person.items() if value}
        identifier = next((f for f in MOODLE_IDENTIFIERS if f in held), "username")
    if identifier not in MOODLE_IDENTIFIERS:
        raise ValueError(f"Moodle identifies a user by {', '.join(MOODLE_IDENTIFIERS)}, not by '{identifier}'.")
    rows, warnings = [], []
    for student, score in sorted(totals.items()):
        value = people.get(student, {}).get(identifier) or ("" if roster else student if identifier == "username" else "")
        if not value:
            warnings.append(f"{student} has no {MOODLE_IDENTIFIERS[identifier].lower()} on the roster: left out")
            continue
        rows.append([value, f"{score:g}"])
    header = [MOODLE_IDENTIFIERS[identifier], column or assignment]
    return _write(path, header, rows), len(rows), warnings


def _write(path, header, rows):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
