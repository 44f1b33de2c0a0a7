"""Grades as a CSV: one row per student, one column per exercise, the total, late work and the notes.

Scores come from nbgrader's gradebook (the one record, which ``nbgrader export`` reads too):
every submission it holds is exported, hand grades included; the notes come from the grading
reports. A late penalty (``autograde --late-penalty``) is taken off the score. Every cell a
spreadsheet could read as a formula is neutralized (``csv_cell``), in every format."""
import csv
import html
from pathlib import Path

from . import gradebook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A value safe in a spreadsheet: numbers stay numbers (``-2.5`` is not a formula), text that
    starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a ``'`` before it,
    as OWASP's advice on CSV injection says."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    text = str(value)
    if text.startswith(FORMULA_STARTS) and text != "-":  # a lone "-" (Moodle's "never") computes nothing
        try:
            float(text)
            return text
        except ValueError:
            return "'" + text
    return text


def notes(result):
    """What the notebook did wrong and why each failed test lost its points, in full sentences."""
    failed = [f"{v.grade_id} lost {v.max_points - v.points:g} point(s): {v.message}".rstrip(": ")
              for v in result.verdicts if v.points < v.max_points]
    return " ".join(result.defects + failed)


def _scaled(value, maximum, scale):
    return value if not scale or not maximum else round(value * scale / maximum, 2)


def graded(course, assignment):
    """``{student: (score after any late penalty, {grade_id: points}, Result or None, late)}`` for every
    submission in the gradebook, ``late`` being (submitted, seconds late, penalty points)."""
    recorded, late = gradebook.scores(course, assignment), gradebook.late_work(course, assignment)
    results = {result.student: result for result, _ in gradebook.reports(course, assignment)}
    found = {}
    for student, (score, points) in sorted(recorded.items()):
        when = late.get(student, ("", 0.0, 0.0))
        found[student] = (max(0.0, score - when[2]), points, results.get(student), when)
    return found


def export_grades(course, assignment, path, scale=None):
    """The full CSV; with ``scale`` the score, max_score and penalty are out of that maximum (the
    exercises stay in the lab's points). Returns (path, rows written)."""
    from .cli import late_by

    maximum = gradebook.max_score(course, assignment)
    rows, exercises = [], []
    for student, (score, points, result, (submitted, late, penalty)) in graded(course, assignment).items():
        for grade_id in [v.grade_id for v in result.verdicts] if result else list(points):
            if grade_id not in exercises:
                exercises.append(grade_id)
        top = maximum or (result.max_score if result else 0.0)
        row = {"student": student, "score": _scaled(score, top, scale), "max_score": scale or top,
               "submitted": submitted, "late by": late_by(late), "penalty": _scaled(penalty, top, scale),
               "notes": notes(result) if result else
               "graded by nbgrader's own autograde only: `course-grade autograde` grades it in the sandbox"}
        row.update(points)
        rows.append(row)
    columns = ["student", "score", "max_score", *exercises, "submitted", "late by", "penalty", "notes"]
    return _write(path, columns, [[row.get(column, "") for column in columns] for row in rows]), len(rows)


# -- files an LMS imports -----------------------------------------------------------------------
# Canvas: Grades > Import takes its own export's layout: Student, ID, SIS User ID, SIS Login ID,
# Section, then one column per assignment (a new name makes a new assignment; an existing one is
# "Name (assignment id)"); an optional second row "Points Possible" gives each column's maximum.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Moodle: Grades > Import > CSV file maps one column to a user field ("Identify user by": email
# address, ID number or username) and each other column to a grade item.
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}
# Moodle's assignment, feedback type "Offline grading worksheet": View all submissions > Download
# grading worksheet gives these columns; Upload grading worksheet reads "Identifier" ("Participant
# 123"), "Grade" and "Feedback comments", and refuses rows whose grade changed in Moodle after the
# worksheet's "Last modified (grade)".
MOODLE_WORKSHEET_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                            "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                            "Feedback comments")
ROSTER_FIELDS = {  # what a roster column may be called (case does not matter) -> the field it holds
    "name": ("name", "full_name", "full name", "lms_name", "lms name"),
    "canvas_id": ("canvas_id", "canvas id", "canvas user id"),
    "sis_user_id": ("sis_user_id", "sis user id"),
    "sis_login_id": ("sis_login_id", "sis login id"),
    "section": ("section",),
    "email": ("email", "email address", "e-mail"),
    "idnumber": ("idnumber", "id number", "id_number"),
    "username": ("username", "user name"),
    "participant": ("participant", "moodle_participant", "participant id", "participant_id"),
}


def read_roster(path):
    """``{student id: {field: value}}`` from a roster CSV: the id column ``roster.py`` knows (id,
    student_id or student) and any of the LMS columns of ``ROSTER_FIELDS``."""
    from .roster import read_rows

    rows, columns, id_column = read_rows(path)
    fields = {field: next((columns[a] for a in aliases if a in columns), None) for field, aliases in ROSTER_FIELDS.items()}
    return {row[id_column].strip(): {field: (row[column] or "").strip() for field, column in fields.items() if column}
            for row in rows if (row[id_column] or "").strip()}


def _totals(course, assignment, scale=None):
    """``{student: score}`` from the gradebook (hand grades included, late penalty taken off) and the
    maximum, both out of ``scale`` when given."""
    maximum = gradebook.max_score(course, assignment)
    found = graded(course, assignment)
    for _, _, result, _ in found.values():
        if result:
            maximum = max(maximum, result.max_score)
    return {student: _scaled(score, maximum, scale) for student, (score, *_) in found.items()}, scale or maximum


def export_canvas(course, assignment, path, roster=None, column=None, scale=None):
    """A CSV for Canvas's gradebook import; returns (path, rows written, warnings)."""
    totals, maximum = _totals(course, assignment, scale)
    people = read_roster(roster) if roster else {}
    warnings = [] if roster else ["no --roster: Student and SIS User ID hold the grading folder's ids; Canvas "
                                  "finds a student by ID, SIS User ID or SIS Login ID, so give a roster with those "
                                  "columns if the ids are not Canvas's"]
    rows = [["    Points Possible", "", "", "", "", maximum]]
    for student, score in sorted(totals.items()):
        person = people.get(student, {})
        if roster and not person:
            warnings.append(f"{student} is not on the roster: left out")
            continue
        rows.append([person.get("name") or student, person.get("canvas_id", ""),
                     person.get("sis_user_id", "" if roster else student), person.get("sis_login_id", ""),
                     person.get("section", ""), score])
    return _write(path, [*CANVAS_COLUMNS, column or assignment], rows), len(rows) - 1, warnings


def export_moodle(course, assignment, path, roster=None, identifier=None, column=None, scale=None):
    """A CSV for Moodle's grade import (CSV file), keyed by ``identifier`` (email, idnumber or
    username; by default the first the roster has, else username = the grading folder's id)."""
    totals, _ = _totals(course, assignment, scale)
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
        rows.append([value, score])
    header = [MOODLE_IDENTIFIERS[identifier], column or assignment]
    return _write(path, header, rows), len(rows), warnings


def feedback_comment(result, written=(), penalty=0.0):
    """A short feedback text for an LMS: each lost test in a sentence, hand grades and comments."""
    parts = [notes(result)] if result and notes(result) else ["Every automatic test passed."]
    waiting = [cell for cell, points, _ in written if points is None]
    if waiting:
        parts.append(f"Written answers not graded yet: {', '.join(waiting)}.")
    if penalty:
        parts.append(f"Late penalty: {penalty:g} point(s).")
    return " ".join(parts)


def export_moodle_worksheet(course, assignment, path, roster=None, worksheet=None, scale=None):
    """Moodle's offline grading worksheet, with grades and feedback comments; returns (path, rows,
    warnings). With ``worksheet`` (the one Moodle gave) its rows are filled in, matched to students
    by the roster's email, participant number or name, and the grade is out of its "Maximum Grade"
    unless ``scale`` says otherwise; without it, rows are made from the roster's ``participant``
    column (Moodle's number, the one in its download's folder names)."""
    course = Path(course)
    found = graded(course, assignment)
    maximum = gradebook.max_score(course, assignment)
    people = read_roster(roster) if roster else {}
    warnings = []

    def grade_and_comment(student, top):
        score, _, result, (_, _, penalty) = found[student]
        comment = feedback_comment(result, gradebook.written_answers(course, assignment, student), penalty)
        hand = [e["manual_comment"] for e in gradebook.hand_grades(course, assignment, student) if e.get("manual_comment")]
        comment = " ".join([comment, *hand])
        return f"{_scaled(score, maximum, top):.2f}", html.escape(comment)

    if worksheet:
        with open(worksheet, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header, rows = list(reader.fieldnames or []), list(reader)
        missing = [c for c in ("Identifier", "Grade", "Feedback comments") if c not in header]
        if missing:
            raise ValueError(f"{worksheet} is not Moodle's grading worksheet: it has no {', '.join(missing)} column.")
        keys = {}
        for student, person in people.items():
            for value in (person.get("email", "").lower(), f"participant {person.get('participant', '')}".strip(),
                          person.get("name", "").casefold()):
                if value and value != "participant":
                    keys[value] = student
        keys.update({s.casefold(): s for s in found if s.casefold() not in keys})
        filled, used = [], set()
        for row in rows:
            student = next((keys[k] for k in (row.get("Email address", "").lower(), row["Identifier"].lower(),
                                              row.get("Full name", "").casefold()) if k in keys), None)
            if student in found:
                top = scale or float(row.get("Maximum Grade") or 0) or maximum
                row["Grade"], row["Feedback comments"] = grade_and_comment(student, top)
                used.add(student)
                filled.append(student)
        warnings += [f"{s} is not in the worksheet: left out (add an email, participant or name column to the roster)"
                     for s in sorted(set(found) - used)]
        _write(path, header, [[row.get(c, "") for c in header] for row in rows])
        return Path(path), len(filled), warnings
    rows = []
    for student in sorted(found):
        person = people.get(student, {})
        if not person.get("participant"):
            warnings.append(f"{student} has no participant number on the roster (Moodle's, as in "
                            "'Participant 123'): left out")
            continue
        grade, comment = grade_and_comment(student, scale or maximum)
        rows.append([f"Participant {person['participant']}", person.get("name", student), person.get("email", ""),
                     "Submitted for grading", grade, f"{scale or maximum:.2f}", "Yes", found[student][3][0], "",
                     comment])
    return _write(path, MOODLE_WORKSHEET_COLUMNS, rows), len(rows), warnings


def _write(path, header, rows):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(cell) for cell in header])
        writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return path
