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
HISTORY = "grading_history.json"  # in the record folder: the results (and hand grades) it replaced
RECORDS = "records"  # grading/records/<student>/<assignment>/: course-grade's own record, which nbgrader
# never touches (its autograde, formgrader's button, replaces autograded/<student>/<assignment>/)
HAND_GRADES = "hand_grades.json"  # in the record folder: hand grades waiting to be put back after a regrade
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


def record_folder(course, assignment, student):
    """``grading/records/<student>/<assignment>``: the report's copy, the history, the hand grades."""
    return Path(course) / RECORDS / student / assignment


def _record_copy(course, assignment, student):
    return record_folder(course, assignment, student) / REPORT


def submission_hash(data):
    return hashlib.sha256(data).hexdigest()


def graded_hash(course, assignment, student):
    """The hash of the submission the report was made from ("" when unknown or not graded)."""
    path = report_path(course, assignment, student)
    path = path if path.exists() else _record_copy(course, assignment, student)
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
    """Store one graded submission; returns nbgrader's score for it.

    The hand grades the gradebook held for it (and any still waiting from a regrade of the whole
    lab) are put back on every cell that did not change; the others are listed in the report
    (``look_again``: ``[cell, why]``, see ``look_again``). The result it replaces goes to the
    history, with ``reason`` and the hand grades."""
    with warnings.catch_warnings():  # nbgrader's SQLAlchemy chatter is not for the lecturer
        warnings.simplefilter("ignore")
        return _record(Path(course), db_url, result, timestamp, content_hash, reason)


# -- hand grades: the lecturer's, kept through every regrade --------------------------------------
# A hand grade is what formgrader writes into nbgrader's gradebook: Grade.manual_score (a written
# answer's score, or an override of a test's), Grade.extra_credit and Comment.manual_comment. It is
# put back after a regrade when its cell did not change: the lab's cell (nbgrader's checksum of it
# and its points) and, for an answer cell, the student's text in it.

def _answers(notebook):
    """``{grade_id: sha256 of the student's source}`` of the answer cells of an autograded notebook."""
    found = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id"):
            found[meta["grade_id"]] = hashlib.sha256(cell.source.encode()).hexdigest()
    return found


def _lab_cells(book, assignment):
    """``{(notebook, cell): (nbgrader's checksum of the lab's cell, its points or None)}``."""
    found = {}
    try:
        notebooks = book.find_assignment(assignment).notebooks
    except MissingEntry:
        return found
    for notebook in notebooks:
        points = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
        for cell in notebook.source_cells:
            found[(notebook.name, cell.name)] = (cell.checksum or "", points.get(cell.name))
    return found


def _hand_grades_in(book, course, assignment, student):
    """The hand grades the gradebook holds for a submission, with what they were given for."""
    try:
        submission = book.find_submission(assignment, student)
    except MissingEntry:
        return []
    lab = _lab_cells(book, assignment)
    answers = _read_json(_record_copy(course, assignment, student), {}).get("answers", {})
    found = {}
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.manual_score is not None or grade.extra_credit:
                found[(notebook.name, grade.name)] = {"manual_score": grade.manual_score,
                                                      "extra_credit": grade.extra_credit}
        for comment in notebook.comments:
            if (comment.manual_comment or "").strip():
                found.setdefault((notebook.name, comment.name), {})["manual_comment"] = comment.manual_comment
    entries = []
    for (notebook, cell), given in sorted(found.items()):
        checksum, points = lab.get((notebook, cell), ("", None))
        entries.append({"notebook": notebook, "cell": cell, **given, "lab_checksum": checksum, "points": points,
                        "answer_sha256": answers.get(cell, "")})
    return entries


def keep_hand_grades(book, course, assignment, student):
    """Write the submission's hand grades to its record folder, to be put back after the regrade
    that is about to remove them (entries waiting there already stay; the gradebook's win)."""
    path = record_folder(course, assignment, student) / HAND_GRADES
    waiting = {(e["notebook"], e["cell"]): e for e in _read_json(path, [])}
    waiting.update({(e["notebook"], e["cell"]): e for e in _hand_grades_in(book, course, assignment, student)})
    if waiting:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, json.dumps(list(waiting.values()), indent=1))
    return list(waiting.values())


def hand_grades(course, assignment, student):
    """``[{notebook, cell, manual_score, extra_credit, manual_comment, ...}]`` now in the gradebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(_default_db(course)) as book:
            return _hand_grades_in(book, Path(course), assignment, student)


def _put_back(book, course, assignment, student, answers):
    """Put the waiting hand grades back where their cell did not change; returns them, each marked
    ``kept`` or with ``why`` it was not put back."""
    path = record_folder(course, assignment, student) / HAND_GRADES
    waiting = _read_json(path, [])
    lab = _lab_cells(book, assignment)
    for entry in waiting:
        key = (entry["notebook"], entry["cell"])
        checksum, points = lab.get(key, (None, None))
        if key not in lab:
            entry["why"] = "the cell is no longer in the lab"
        elif points != entry.get("points"):
            entry["why"] = f"the lab's cell changed ({entry.get('points') or 0:g} -> {points or 0:g} points)"
        elif checksum != entry.get("lab_checksum"):
            entry["why"] = "the lab's cell changed"
        elif entry.get("answer_sha256") and answers.get(entry["cell"]) != entry["answer_sha256"]:
            entry["why"] = "the student's answer changed"
        else:
            entry["kept"] = True
            if entry.get("manual_score") is not None or entry.get("extra_credit"):
                grade = book.find_grade(entry["cell"], entry["notebook"], assignment, student)
                grade.manual_score, grade.extra_credit = entry.get("manual_score"), entry.get("extra_credit")
                grade.needs_manual_grade = False
            if entry.get("manual_comment"):
                comment = book.find_comment(entry["cell"], entry["notebook"], assignment, student)
                comment.manual_comment = entry["manual_comment"]
    book.db.commit()
    if path.exists():
        path.unlink()
    return waiting


def _record(course, db_url, result, timestamp, content_hash, reason):
    folder = course / "autograded" / result.student / result.assignment
    folder.mkdir(parents=True, exist_ok=True)
    with Gradebook(db_url) as gradebook:
        keep_hand_grades(gradebook, course, result.assignment, result.student)
        gradebook.update_or_create_student(result.student)
        try:
            extension = gradebook.find_submission(result.assignment, result.student).extension
            gradebook.remove_submission(result.assignment, result.student)
        except MissingEntry:
            extension = None
        submission = gradebook.add_submission(result.assignment, result.student, timestamp=timestamp)
        if extension is not None:
            submission.extension = extension
            gradebook.db.commit()
    answers, autograded_sha = {}, ""
    if result.notebook_json:
        notebook = nbformat.reads(result.notebook_json, as_version=4)
        resources = {"nbgrader": {"notebook": result.notebook, "assignment": result.assignment,
                                  "student": result.student, "db_url": db_url}}
        SaveAutoGrades().preprocess(notebook, resources)
        answers = _answers(notebook)
        nbformat.write(notebook, folder / f"{result.notebook}.ipynb")
        autograded_sha = submission_hash((folder / f"{result.notebook}.ipynb").read_bytes())
    with Gradebook(db_url) as gradebook:
        if not result.notebook_json:  # unreadable: every test scores zero
            for verdict in result.verdicts:
                grade = gradebook.find_grade(verdict.grade_id, result.notebook, result.assignment, result.student)
                grade.auto_score, grade.needs_manual_grade = 0.0, False
            gradebook.db.commit()
        hand = _put_back(gradebook, course, result.assignment, result.student, answers)
        score = gradebook.find_submission(result.assignment, result.student).score
        total = gradebook.find_assignment(result.assignment).max_score  # written answers included
    _keep_in_history(course, result.assignment, result.student, reason, hand)
    extra = {"notebook_json": None, "score": score, "total_max_score": total, "submission_sha256": content_hash,
             "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "answers": answers,
             "autograded_sha256": autograded_sha,
             "look_again": [[e["cell"], e["why"]] for e in hand if not e.get("kept")]}
    text = json.dumps(dataclasses.asdict(result) | extra, indent=1)
    record_folder(course, result.assignment, result.student).mkdir(parents=True, exist_ok=True)
    _write_atomically(report_path(course, result.assignment, result.student), text)  # graded from now on
    _write_atomically(_record_copy(course, result.assignment, result.student), text)
    return score


def look_again(course, assignment, student):
    """``[(cell, why)]``: hand grades the last grading could not put back because their cell changed
    (they are in the history)."""
    return [tuple(item) for item in _read_json(_record_copy(course, assignment, student), {}).get("look_again", [])]


def _keep_in_history(course, assignment, student, reason, hand):
    report = _record_copy(course, assignment, student)
    if not report.exists():
        report = report_path(course, assignment, student)
    if not report.exists() and not hand:
        return
    entry = {"student": student, "replaced_because": reason or "graded again"}
    if report.exists():
        old = json.loads(report.read_text())
        graded_at = old.get("graded_at") or datetime.fromtimestamp(report.stat().st_mtime, timezone.utc).isoformat()
        entry.update({"graded_at": graded_at, "score": old["score"],
                      "max_score": old.get("total_max_score", sum(v["max_points"] for v in old["verdicts"])),
                      "submission_sha256": old.get("submission_sha256", "")})
    entry["hand_grades"] = [{k: e.get(k) for k in ("notebook", "cell", "manual_score", "extra_credit", "manual_comment")}
                            | ({"kept": True} if e.get("kept") else {"kept": False, "why": e.get("why", "")})
                            for e in hand]
    path = record_folder(course, assignment, student) / HISTORY
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps(_read_json(path, []) + [entry], indent=1))


def history(course, assignment, student):
    """The earlier results of a submission, oldest first: who, when, what score, why replaced, and
    the hand grades it held (each ``kept``, or not, with ``why``)."""
    return _read_json(record_folder(course, assignment, student) / HISTORY, [])


def _read_json(path, default):
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else default


def _default_db(course):
    return f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def reconcile(course, assignment):
    """Notice submissions that nbgrader's own ``autograde`` (formgrader's "autograde" button) graded
    since course-grade did, and repair them; returns one sentence per student.

    nbgrader's autograde replaces ``autograded/<student>/<assignment>/`` (the report with it) and
    writes the scores of tests run inside the student's kernel. When the submission is the one
    course-grade graded, its judge's scores are put back and the report restored; hand grades
    (which nbgrader's autograde keeps) stay. When it changed, the next ``autograde`` grades it."""
    course = Path(course)
    said = []
    if not (course / "gradebook.db").exists():
        return said
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(_default_db(course)) as book:
            try:
                in_gradebook = {s.student.id for s in book.find_assignment(assignment).submissions}
            except MissingEntry:
                return said
            recorded = set()
            for copy in sorted((course / RECORDS).glob(f"*/{assignment}/{REPORT}")):
                student = copy.parent.parent.name
                recorded.add(student)
                said += _repair(book, course, assignment, student, copy, student in in_gradebook)
            for student in sorted(in_gradebook - recorded):
                if not report_path(course, assignment, student).exists():
                    said.append(f"{student}: graded by nbgrader's own autograde only (its tests ran in the student's "
                                f"kernel, unprotected); `course-grade autograde {assignment}` grades it in the sandbox.")
    return said


def _repair(book, course, assignment, student, copy, in_gradebook):
    data = json.loads(copy.read_text())
    report = report_path(course, assignment, student)
    notebook = report.with_name(f"{data['notebook']}.ipynb")
    now = submission_hash(notebook.read_bytes()) if notebook.exists() else ""
    if report.exists():  # course-grade's newest word; the copy may lag behind it (a run killed between)
        data = json.loads(report.read_text())
        if now == data.get("autograded_sha256", now):
            if copy.read_text() != report.read_text():
                _write_atomically(copy, report.read_text())
            return []
    if not in_gradebook:  # removed by a lab change: the next autograde grades it
        return []
    submitted = course / "submitted" / student / assignment / f"{data['notebook']}.ipynb"
    same = submitted.exists() and submission_hash(submitted.read_bytes()) == data.get("submission_sha256")
    what = f"{student}: nbgrader's own autograde (formgrader's button) graded it again, running its tests in the " \
           "student's kernel; "
    if same:
        for verdict in data["verdicts"]:
            try:
                grade = book.find_grade(verdict["grade_id"], data["notebook"], assignment, student)
            except MissingEntry:
                continue
            grade.auto_score = verdict["points"]
            grade.needs_manual_grade = grade.manual_score is not None and grade.needs_manual_grade
        book.db.commit()
        data["score"] = book.find_submission(assignment, student).score
    data["autograded_sha256"] = now
    report.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1)
    _write_atomically(copy, text)
    _write_atomically(report, text)
    if same:
        return [what + "course-grade's grades of the same submission were put back (hand grades untouched)."]
    return [what + f"its submission changed since: `course-grade autograde {assignment}` grades it again."]


# -- late work: nbgrader's own fields (Assignment.duedate, SubmittedAssignment.timestamp and
# .extension, SubmittedNotebook.late_submission_penalty), and a policy course-grade keeps ---------
LATE_POLICY = "late_policy-{assignment}.json"  # in the grading folder
_PERIODS = {"day": 86400, "hour": 3600}


def parse_time(text):
    """An ISO date or date and time (``2026-11-20``, ``2026-11-20T23:59``, with or without an
    offset) as nbgrader stores times: naive, in UTC. A date alone means the end of that day."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO date such as 2026-11-20 or 2026-11-20T23:59.") from None
    if len(text.strip()) == 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def parse_policy(text):
    """``"10%/day"`` or ``"10%/day max 50%"`` (also ``/hour``): ``{percent, per, cap}``; ``"none"``: None.
    Each period begun after the due date costs ``percent`` of the full points, at most ``cap``."""
    import re

    if text.strip().lower() in ("none", "0", "0%"):
        return None
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*/\s*(day|hour)s?\s*(?:,?\s*(?:max|cap|at most)\s*(\d+(?:\.\d+)?)\s*%)?\s*",
                         text.lower())
    if not found:
        raise ValueError(f"'{text}' is not a late penalty such as 10%/day or 10%/day max 50%.")
    return {"percent": float(found[1]), "per": found[2], "cap": float(found[3] or 100)}


def describe_policy(policy):
    if not policy:
        return "no late penalty"
    return f"{policy['percent']:g}% of the points per {policy['per']} begun late, at most {policy['cap']:g}%"


def late_policy(course, assignment):
    return _read_json(Path(course) / LATE_POLICY.format(assignment=assignment), None)


def set_late_work(course, assignment, due=None, policy=None, extensions=None):
    """Store what was given: the due date (nbgrader's ``assignment.duedate``), the late policy
    (``False``: none), extensions ``{student: timedelta}`` (nbgrader's ``submission.extension``);
    then each submission's ``late_submission_penalty``. Returns the students whose extension was
    given but who have no submission."""
    course = Path(course)
    if policy is not None:
        path = course / LATE_POLICY.format(assignment=assignment)
        if policy:
            _write_atomically(path, json.dumps(policy))
        elif path.exists():
            path.unlink()
    policy = late_policy(course, assignment)
    unknown = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(_default_db(course)) as book:
            try:
                found = book.find_assignment(assignment)
            except MissingEntry:
                return unknown
            if due is not None:
                found.duedate = due
            students = {s.student.id: s for s in found.submissions}
            for student, extension in (extensions or {}).items():
                if student in students:
                    students[student].extension = extension or None
                else:
                    unknown.append(student)
            book.db.commit()
            maximum = float(found.max_score)
            for submission in found.submissions:
                penalty = _penalty(submission, policy, maximum)
                for index, notebook in enumerate(submission.notebooks):
                    notebook.late_submission_penalty = penalty if index == 0 else 0.0
            book.db.commit()
    return unknown


def _penalty(submission, policy, maximum):
    late = submission.total_seconds_late or 0.0
    if not policy or late <= 0:
        return 0.0
    periods = -(-late // _PERIODS[policy["per"]])
    return round(maximum * min(policy["cap"], periods * policy["percent"]) / 100, 6)


def late_work(course, assignment):
    """``{student: (submitted "YYYY-MM-DD HH:MM" UTC or "", seconds late, penalty points)}``."""
    found = {}
    if not (Path(course) / "gradebook.db").exists():
        return found
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(_default_db(course)) as book:
            try:
                submissions = book.find_assignment(assignment).submissions
            except MissingEntry:
                return found
            for submission in submissions:
                stamp = submission.timestamp.strftime("%Y-%m-%d %H:%M") if submission.timestamp else ""
                late = (submission.total_seconds_late or 0.0) if submission.timestamp else 0.0
                penalty = sum(n.late_submission_penalty or 0.0 for n in submission.notebooks)
                found[submission.student.id] = (stamp, late, penalty)
    return found


def due_date(course, assignment):
    if not (Path(course) / "gradebook.db").exists():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(_default_db(course)) as book:
            try:
                return book.find_assignment(assignment).duedate
            except MissingEntry:
                return None


def waiting_for_hand(course, assignment):
    """``{student: points}`` of written answers not graded by hand yet, per submission that has any."""
    found = {}
    if not (Path(course) / "gradebook.db").exists():
        return found
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(_default_db(course)) as book:
            try:
                submissions = book.find_assignment(assignment).submissions
            except MissingEntry:
                return found
            for submission in submissions:
                points = 0.0
                for notebook in submission.notebooks:
                    answers = {cell.name for cell in notebook.notebook.solution_cells}
                    points += sum(g.max_score for g in notebook.grades if g.name in answers and g.manual_score is None)
                if points:
                    found[submission.student.id] = points
    return found


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


__all__ = ["HAND_GRADES", "HISTORY", "RECORDS", "REPORT", "RUNS", "SourceCell", "graded_hash", "hand_grades", "history",
           "is_graded", "keep_hand_grades", "late_policy", "late_work", "look_again", "parse_policy", "parse_time",
           "set_late_work", "waiting_for_hand", "max_score", "read_report", "reconcile", "record", "record_folder",
           "record_run", "report_path", "reports", "runs", "scores", "source_cells", "submission_hash", "written_answers"]
