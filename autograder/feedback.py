"""Per-student HTML feedback: for each test, what was expected, what the submission gave, and a
hint — taken from the check's message, never from the test's code, so hidden tests stay hidden."""
import html
from pathlib import Path

from . import gradebook

# Marks drawn, not typed: a machine without an emoji font shows ✅ and ❌ as empty boxes.
PASSED_MARK = ('<svg class="mark" viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8.5l3.2 3.2L13 4.5" '
               'fill="none" stroke="currentColor" stroke-width="2.2"/></svg> passed')
FAILED_MARK = ('<svg class="mark" viewBox="0 0 16 16" aria-hidden="true"><path d="M4 4l8 8M12 4l-8 8" '
               'fill="none" stroke="currentColor" stroke-width="2.2"/></svg> failed')

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
h1 { font-size: 1.4rem; } .score { font-size: 1.1rem; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }
.passed { color: #1a7f37; } .failed { color: #cf222e; } .hint { color: #555; margin-top: .3rem; }
.notes { background: #fff8c5; padding: .5rem 1rem; border-radius: .3rem; }
.mark { width: 1em; height: 1em; vertical-align: -0.15em; } .manual { color: #555; }
.comment { background: #eef4ff; padding: .3rem .6rem; margin-top: .3rem; border-radius: .3rem; }
.override { color: #8250df; } .late { color: #9a6700; }
"""


def _message_cell(message):
    if not message:
        return ""
    text, _, hint = message.partition(" Hint: ")
    cell = html.escape(text)
    if hint:
        cell += f'<div class="hint">Hint: {html.escape(hint)}</div>'
    return cell


def _cells(course, assignment, student):
    """``{cell: {auto, manual, extra, comment}}`` from nbgrader's gradebook: what formgrader shows."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{Path(course).resolve() / 'gradebook.db'}") as book:
            try:
                submission = book.find_submission(assignment, student)
            except MissingEntry:
                return found
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    found.setdefault(grade.name, {}).update(auto=grade.auto_score, manual=grade.manual_score,
                                                            extra=grade.extra_credit or 0.0)
                for comment in notebook.comments:
                    if (comment.manual_comment or "").strip():
                        found.setdefault(comment.name, {})["comment"] = comment.manual_comment.strip()
    return found


def _comment(cell):
    text = cell.get("comment")
    return f'<div class="comment">Your lecturer: {html.escape(text)}</div>' if text else ""


def render(result, score, written=(), cells=None, late=None):
    """The feedback page of one submission; ``written``: its answers graded by hand; ``cells``: the
    gradebook's hand grades and comments per cell (see ``_cells``); ``late``: (submitted, late by,
    penalty) when it came in late."""
    cells = cells or {}
    rows = []
    for verdict in result.verdicts:
        cell = cells.get(verdict.grade_id, {})
        mark = PASSED_MARK if verdict.status == "passed" else FAILED_MARK
        points, message = f"{verdict.points:g} / {verdict.max_points:g}", _message_cell(verdict.message)
        if cell.get("manual") is not None and cell["manual"] != verdict.points:
            points = f"{cell['manual']:g} / {verdict.max_points:g}"
            message = (f'<div class="override">Changed by your lecturer: {cell["manual"]:g} points instead of the '
                       f'{verdict.points:g} the test gave.</div>' + message)
            mark += " (changed by your lecturer)"
        if cell.get("extra"):
            points += f" + {cell['extra']:g} extra"
        rows.append(
            f"<tr><td>{html.escape(verdict.grade_id)}</td><td class=\"{verdict.status}\">{mark}</td>"
            f"<td>{points}</td><td>{message}{_comment(cell)}</td></tr>"
        )
    for grade_id, points, max_points in written:
        cell = cells.get(grade_id, {})
        if points is not None and cell.get("extra"):  # nbgrader's score counts the extra credit in
            points -= cell["extra"]
        shown = f"{points:g} / {max_points:g}" if points is not None else f"– / {max_points:g}"
        if cell.get("extra"):
            shown += f" + {cell['extra']:g} extra"
        state = "graded by your lecturer" if points is not None else "written answer: your lecturer grades it by hand"
        rows.append(f"<tr><td>{html.escape(grade_id)}</td><td class=\"manual\">by hand</td>"
                    f"<td>{shown}</td><td class=\"manual\">{state}{_comment(cell)}</td></tr>")
    shown_cells = {v.grade_id for v in result.verdicts} | {g for g, _, _ in written}
    for name, cell in cells.items():  # comments on answer cells that carry no points
        if name not in shown_cells and cell.get("comment"):
            rows.append(f"<tr><td>{html.escape(name)}</td><td class=\"manual\">comment</td><td></td>"
                        f"<td>{_comment(cell)}</td></tr>")
    max_score = result.max_score + sum(m for _, _, m in written)
    notes = ""
    if result.defects:
        items = "".join(f"<li>{html.escape(d)}</li>" for d in result.defects)
        notes = f'<div class="notes"><p>About your notebook:</p><ul>{items}</ul></div>'
    waiting = sum(m for _, p, m in written if p is None)
    pending = f" ({waiting:g} of them for written answers not graded yet)" if waiting else ""
    lateness = ""
    if late and late[1]:
        lateness = (f'<p class="late">Handed in {html.escape(late[0])} UTC, {html.escape(late[1])} after the due date'
                    + (f": a late penalty of {late[2]:g} point(s) is taken off (included above)." if late[2] else ".")
                    + "</p>")
        score = max(0.0, score - late[2])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(result.assignment)}: feedback for {html.escape(result.student)}</title>
<style>{STYLE}</style></head><body>
<h1>Feedback on {html.escape(result.assignment)}</h1>
<p>Student id: <b>{html.escape(result.student)}</b></p>
<p class="score">Score: <b>{score:g} / {max_score:g}</b>{pending}</p>
{lateness}{notes}
<table><thead><tr><th>test</th><th>result</th><th>points</th><th>what happened</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p>Each test also ran hidden cases with other random inputs; a message names the check that failed, not its code.</p>
</body></html>
"""


def write_feedback(course, assignment, students=None):
    """Write ``feedback/<student>/<assignment>/feedback.html`` for every graded submission.

    A submission that came through nbgrader's exchange (``nbgrader collect``: its folder holds
    ``submission_secret.txt``) also gets the page under nbgrader's own name, ``<notebook>.html``,
    beside the ``timestamp.txt`` and ``submission_secret.txt`` that ``nbgrader release_feedback``
    needs, so that students on a hub fetch it with ``nbgrader fetch_feedback``."""
    import shutil

    from .cli import late_by

    course = Path(course)
    written, recorded = [], gradebook.scores(course, assignment)
    late = gradebook.late_work(course, assignment)
    for result, _ in gradebook.reports(course, assignment):
        student = result.student
        if students and student not in students:
            continue
        if student not in recorded:
            continue
        score = recorded[student][0]
        submitted, seconds, penalty = late.get(student, ("", 0.0, 0.0))
        page = render(result, score, gradebook.written_answers(course, assignment, student),
                      _cells(course, assignment, student), (submitted, late_by(seconds), penalty))
        folder = course / "feedback" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "feedback.html"
        target.write_text(page, encoding="utf-8")
        submitted_folder = course / "submitted" / student / assignment
        if (submitted_folder / "submission_secret.txt").exists():
            (folder / f"{result.notebook}.html").write_text(page, encoding="utf-8")
            for name in ("timestamp.txt", "submission_secret.txt"):
                if (submitted_folder / name).exists():
                    shutil.copyfile(submitted_folder / name, folder / name)
        written.append(target)
    return written
