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
    recorded = gradebook.scores(course, assignment)
    for report in reports:
        result, _ = gradebook.read_report(report)
        if result.student not in recorded:
            continue
        score, points = recorded[result.student]
        for verdict in result.verdicts:
            if verdict.grade_id not in exercises:
                exercises.append(verdict.grade_id)
        row = {"student": result.student, "score": score, "max_score": result.max_score,
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
