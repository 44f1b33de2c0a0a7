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
"""


def _message_cell(message):
    if not message:
        return ""
    text, _, hint = message.partition(" Hint: ")
    cell = html.escape(text)
    if hint:
        cell += f'<div class="hint">Hint: {html.escape(hint)}</div>'
    return cell


def render(result, score, written=()):
    """The feedback page of one submission; ``written``: its answers graded by hand."""
    rows = []
    for verdict in result.verdicts:
        mark = PASSED_MARK if verdict.status == "passed" else FAILED_MARK
        rows.append(
            f"<tr><td>{html.escape(verdict.grade_id)}</td><td class=\"{verdict.status}\">{mark}</td>"
            f"<td>{verdict.points:g} / {verdict.max_points:g}</td><td>{_message_cell(verdict.message)}</td></tr>"
        )
    for grade_id, points, max_points in written:
        shown = f"{points:g} / {max_points:g}" if points is not None else f"– / {max_points:g}"
        state = "graded by your lecturer" if points is not None else "written answer: your lecturer grades it by hand"
        rows.append(f"<tr><td>{html.escape(grade_id)}</td><td class=\"manual\">by hand</td>"
                    f"<td>{shown}</td><td class=\"manual\">{state}</td></tr>")
    max_score = result.max_score + sum(m for _, _, m in written)
    notes = ""
    if result.defects:
        items = "".join(f"<li>{html.escape(d)}</li>" for d in result.defects)
        notes = f'<div class="notes"><p>About your notebook:</p><ul>{items}</ul></div>'
    waiting = sum(m for _, p, m in written if p is None)
    pending = f" ({waiting:g} of them for written answers not graded yet)" if waiting else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(result.assignment)}: feedback for {html.escape(result.student)}</title>
<style>{STYLE}</style></head><body>
<h1>Feedback on {html.escape(result.assignment)}</h1>
<p>Student id: <b>{html.escape(result.student)}</b></p>
<p class="score">Score: <b>{score:g} / {max_score:g}</b>{pending}</p>
{notes}
<table><thead><tr><th>test</th><th>result</th><th>points</th><th>what happened</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p>Each test also ran hidden cases with other random inputs; a message names the check that failed, not its code.</p>
</body></html>
"""


def write_feedback(course, assignment, students=None):
    """Write ``feedback/<student>/<assignment>/feedback.html`` for every graded submission."""
    course = Path(course)
    written, recorded = [], gradebook.scores(course, assignment)
    for report in sorted((course / "autograded").glob(f"*/{assignment}/{gradebook.REPORT}")):
        student = report.parent.parent.name
        if students and student not in students:
            continue
        result, _ = gradebook.read_report(report)
        if student not in recorded:
            continue
        score = recorded[student][0]
        target = course / "feedback" / student / assignment / "feedback.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(result, score, gradebook.written_answers(course, assignment, student)), encoding="utf-8")
        written.append(target)
    return written
