"""The single writer of grades: nbgrader's gradebook, the autograded notebooks and the reports.

Only the coordinating process calls this, one result at a time, so concurrent workers can never
lose or corrupt a write. A submission counts as graded once its report file exists; the report
is written last, so an interrupted run leaves nothing half-recorded that a rerun would skip.
"""
import dataclasses
import hashlib
import json
import os
import warnings
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .grading import Result, TestVerdict
from .repair import SourceCell

REPORT = "grading_report.json"
HISTORY = "grading_history.json"  # next to the report: the results it replaced
RUNS = "grading_runs-{assignment}.json"  # in the grading folder: when each autograde run was, how long it took


@event.listens_for(Engine, "connect")
def _quick_durable_sqlite(connection, _record):
    """nbgrader commits after every grade. With a write-ahead log and synchronous=NORMAL a commit
    survives the grader being killed (only a power cut can lose the last ones, which a rerun then
    grades again), and costs no disk flush."""
    if type(connection).__module__.startswith("sqlite3"):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def report_path(course, assignment, student):
    return Path(course) / "autograded" / student / assignment / REPORT


def submission_hash(data):
    return hashlib.sha256(data).hexdigest()


def graded_hash(course, assignment, student):
    """The hash of the submission the report was made from ("" when unknown or not graded)."""
    path = report_path(course, assignment, student)
    return json.loads(path.read_text()).get("submission_sha256", "") if path.exists() else ""


def is_graded(course, db_url, assignment, student, content_hash=None):
    """Graded, and (given ``content_hash``) from the same content as the submission now."""
    if not report_path(course, assignment, student).exists():
        return False
    if content_hash and graded_hash(course, assignment, student) not in ("", content_hash):
        return False
    with Gradebook(db_url) as gradebook:
        try:
            gradebook.find_submission(assignment, student)
        except MissingEntry:
            return False
    return True


def source_cells(db_url, assignment, notebook, source_notebook_path):
    """The lab's graded and read-only cells, in the source notebook's order, as nbgrader stored
    them (answer cells as stubs, test cells with their hidden tests), with their policies."""
    source = nbformat.read(source_notebook_path, as_version=4)
    order, policies = [], {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if "grade_id" in meta:
            order.append(meta["grade_id"])
            policies[meta["grade_id"]] = tuple(cell.metadata.get("course", {}).get("forbid", ()))
    with Gradebook(db_url) as gradebook:
        stored = gradebook.find_notebook(notebook, assignment)
        cells = {c.name: c for c in stored.source_cells}
        points = {c.name: c.max_score for c in stored.grade_cells}
        solutions = {c.name for c in stored.solution_cells}
        return [
            SourceCell(name, cells[name].cell_type, cells[name].source, bool(cells[name].locked),
                       name in points, name in solutions, float(points.get(name, 0.0)), policies.get(name, ()))
            for name in order if name in cells
        ]


def record(course, db_url, result, timestamp=None, content_hash="", reason=""):
    """Store one graded submission; returns nbgrader's score for it. A result it replaces goes
    to the history file beside the report, with ``reason``."""
    with warnings.catch_warnings():  # nbgrader's SQLAlchemy chatter is not for the lecturer
        warnings.simplefilter("ignore")
        return _record(Path(course), db_url, result, timestamp, content_hash, reason)


def _keep_in_history(report, reason):
    if not report.exists():
        return
    old = json.loads(report.read_text())
    graded_at = old.get("graded_at") or datetime.fromtimestamp(report.stat().st_mtime, timezone.utc).isoformat()
    entry = {"student": old["student"], "graded_at": graded_at, "score": old["score"],
             "max_score": old.get("total_max_score", sum(v["max_points"] for v in old["verdicts"])),
             "submission_sha256": old.get("submission_sha256", ""), "replaced_because": reason or "graded again"}
    path = report.with_name(HISTORY)
    history = json.loads(path.read_text()) if path.exists() else []
    _write_atomically(path, json.dumps(history + [entry], indent=1))


def history(course, assignment, student):
    """The earlier results of a submission, oldest first: who, when, what score, why replaced."""
    path = report_path(course, assignment, student).with_name(HISTORY)
    return json.loads(path.read_text()) if path.exists() else []


def _record(course, db_url, result, timestamp, content_hash, reason):
    folder = course / "autograded" / result.student / result.assignment
    folder.mkdir(parents=True, exist_ok=True)
    with Gradebook(db_url) as gradebook:
        gradebook.update_or_create_student(result.student)
        try:
            gradebook.remove_submission(result.assignment, result.student)
        except MissingEntry:
            pass
        gradebook.add_submission(result.assignment, result.student, timestamp=timestamp)
    if result.notebook_json:
        notebook = nbformat.reads(result.notebook_json, as_version=4)
        resources = {"nbgrader": {"notebook": result.notebook, "assignment": result.assignment,
                                  "student": result.student, "db_url": db_url}}
        SaveAutoGrades().preprocess(notebook, resources)
        nbformat.write(notebook, folder / f"{result.notebook}.ipynb")
    with Gradebook(db_url) as gradebook:
        if not result.notebook_json:  # unreadable: every test scores zero
            for verdict in result.verdicts:
                grade = gradebook.find_grade(verdict.grade_id, result.notebook, result.assignment, result.student)
                grade.auto_score, grade.needs_manual_grade = 0.0, False
            gradebook.db.commit()
        score = gradebook.find_submission(result.assignment, result.student).score
        total = gradebook.find_assignment(result.assignment).max_score  # written answers included
    report = report_path(course, result.assignment, result.student)
    _keep_in_history(report, reason)
    extra = {"notebook_json": None, "score": score, "total_max_score": total, "submission_sha256": content_hash,
             "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _write_atomically(report, json.dumps(dataclasses.asdict(result) | extra, indent=1))
    return score


def max_score(course, assignment, db_url=None):
    """The assignment's full points in nbgrader's gradebook: its tests and the written answers a
    lecturer grades by hand (0 when the gradebook does not know the assignment)."""
    db_url = db_url or f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(db_url) as gradebook:
            try:
                return float(gradebook.find_assignment(assignment).max_score)
            except MissingEntry:
                return 0.0


def scores(course, assignment, db_url=None):
    """``{student: (total, {grade_id: points})}`` from nbgrader's gradebook: the one record of
    grades (manual grades a lecturer gave in formgrader included)."""
    db_url = db_url or f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(db_url) as gradebook:
            try:
                submissions = gradebook.find_assignment(assignment).submissions
            except MissingEntry:
                return found
            for submission in submissions:
                points = {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades}
                found[submission.student.id] = (submission.score, points)
    return found


def record_run(course, assignment, started_at, wall_seconds, graded, skipped, workers):
    """Add one autograde run (when, how long, how many graded and skipped) to the runs file."""
    path = runs_path(course, assignment)
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append({"started_at": started_at, "wall_seconds": round(wall_seconds, 3), "graded": graded,
                 "skipped": skipped, "workers": workers})
    _write_atomically(path, json.dumps(runs, indent=1))


def runs_path(course, assignment):
    return Path(course) / RUNS.format(assignment=assignment)


def runs(course, assignment):
    """The autograde runs of an assignment, oldest first (see ``record_run``)."""
    path = runs_path(course, assignment)
    return json.loads(path.read_text()) if path.exists() else []


def reports(course, assignment):
    """``[(Result, score)]`` for every graded submission of ``assignment``, by student."""
    return [read_report(path) for path in sorted((Path(course) / "autograded").glob(f"*/{assignment}/{REPORT}"))]


def written_answers(course, assignment, student):
    """``[(grade_id, points or None, max_points)]`` of the answers a lecturer grades by hand
    (None: not graded yet), from nbgrader's gradebook."""
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{Path(course).resolve() / 'gradebook.db'}") as book:
            try:
                submission = book.find_submission(assignment, student)
            except MissingEntry:
                return found
            for notebook in submission.notebooks:
                answers = {cell.name for cell in notebook.notebook.solution_cells}
                for grade in notebook.grades:
                    if grade.name in answers:
                        graded = grade.manual_score is not None
                        found.append((grade.name, grade.score if graded else None, grade.max_score))
    return found


def read_report(path):
    data = json.loads(Path(path).read_text())
    data["verdicts"] = [TestVerdict(**v) for v in data["verdicts"]]
    score = data.pop("score")
    result = Result(**{k: v for k, v in data.items() if k in Result.__dataclass_fields__})
    result.notebook_json = ""
    return result, score


def _write_atomically(path, text):
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


__all__ = ["HISTORY", "REPORT", "RUNS", "SourceCell", "graded_hash", "history", "is_graded", "max_score", "read_report", "record",
           "record_run", "report_path", "reports", "runs", "scores", "source_cells", "submission_hash", "written_answers"]
