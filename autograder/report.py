"""``course-grade report``: what the class got wrong, for the lecturer's next lecture.

Reads what the coordinator recorded while grading (the grading reports: each test's verdict,
the mistake its check diagnosed as data, how the student's code failed to finish; and the runs
file: how long grading took) and writes one self-contained HTML page, its plots inside as
PNG images: the score histogram; per exercise the pass rate and the diagnosed mistakes, with
how many submissions show each and whose they are, and the notes beside passes (an input changed
in place: full points, worth a word in class); the submissions whose kernel died, ran out
of time or of memory; the time grading took. ``summary`` is the same in a few lines of text.
"""
import base64
import dataclasses
import html
import io
import statistics
from pathlib import Path

from . import gradebook

FAILURE_WORDS = {"kernel died": "the kernel died", "timeout": "ran out of time", "memory": "ran out of memory"}


@dataclasses.dataclass
class Mistake:
    id: str
    sentence: str
    students: list


@dataclasses.dataclass
class Exercise:
    grade_id: str
    points: float
    passed: list  # students
    failed: list
    mistakes: list  # [Mistake], most frequent first
    undiagnosed: list  # failed with no mistake named (not attempted, a crash, an unusual error)
    unfinished: list = dataclasses.field(default_factory=list)  # failed because the code did not finish
    notes: list = dataclasses.field(default_factory=list)  # [Mistake]: remarks beside passes (not failures)

    @property
    def pass_rate(self):
        total = len(self.passed) + len(self.failed)
        return len(self.passed) / total if total else 0.0


@dataclasses.dataclass
class ClassReport:
    assignment: str
    scores: dict  # student -> score
    max_score: float
    exercises: list  # [Exercise], notebook order
    failures: dict  # student -> (kinds, what happened in words)
    seconds: dict  # student -> seconds grading took
    runs: list  # the autograde runs (gradebook.runs)
    manual_points: float = 0.0  # points of written answers a lecturer grades by hand (in the scores once given)


def class_report(course, assignment):
    """Gather the report's numbers from the grading folder ``course``."""
    results = gradebook.reports(course, assignment)
    if not results:
        raise FileNotFoundError(f"No graded submissions of '{assignment}' in {Path(course) / 'autograded'}: "
                                f"run `course-grade autograde {assignment}` first.")
    recorded = gradebook.scores(course, assignment)
    order, exercises, scores, failures, seconds = [], {}, {}, {}, {}
    for result, score in results:
        scores[result.student] = recorded.get(result.student, (score, None))[0]
        seconds[result.student] = result.seconds
        kinds = sorted(set(result.failures) | {v.failure for v in result.verdicts if v.failure})
        if kinds:
            failures[result.student] = (kinds, result.stopped)
        for verdict in result.verdicts:
            if verdict.grade_id not in exercises:
                order.append(verdict.grade_id)
                exercises[verdict.grade_id] = Exercise(verdict.grade_id, verdict.max_points, [], [], [], [])
            exercise = exercises[verdict.grade_id]
            if verdict.status == "passed":
                exercise.passed.append(result.student)
                for note in getattr(verdict, "notes", None) or []:
                    _count(exercise.notes, note.get("id", ""), note.get("sentence", ""), result.student)
                continue
            exercise.failed.append(result.student)
            if verdict.failure:
                exercise.unfinished.append(result.student)
            elif verdict.mistake_id:
                _count(exercise.mistakes, verdict.mistake_id, verdict.mistake, result.student)
            else:
                exercise.undiagnosed.append(result.student)
    for exercise in exercises.values():
        exercise.mistakes.sort(key=lambda m: (-len(m.students), m.id))
        exercise.notes.sort(key=lambda m: (-len(m.students), m.id))
    max_score = max(result.max_score for result, _ in results)
    return ClassReport(assignment, scores, max_score, [exercises[g] for g in order], failures, seconds,
                       gradebook.runs(course, assignment), _manual_points(course, assignment))


def _count(found, mistake_id, sentence, student):
    """Add ``student`` to the Mistake of ``found`` with ``mistake_id`` (a new one if none)."""
    mistake = next((m for m in found if m.id == mistake_id), None)
    if mistake is None:
        found.append(mistake := Mistake(mistake_id, sentence, []))
    if student not in mistake.students:
        mistake.students.append(student)


def _manual_points(course, assignment):
    """The points of the lab's manually graded answer cells (graded and solution in nbgrader's terms)."""
    import nbformat

    total = 0.0
    for path in sorted((Path(course) / "solutions" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and meta.get("solution"):
                total += float(meta.get("points", 0) or 0)
    return total


# -- plots ------------------------------------------------------------------------------------
def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width=6.0, height=3.2):
    from matplotlib.figure import Figure  # no pyplot: no backend, no global state touched

    figure = Figure(figsize=(width, height))
    return figure, figure.add_subplot()


def score_histogram(report):
    figure, axes = _figure()
    top = report.max_score or 1
    bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 40 else 20
    axes.hist(list(report.scores.values()), bins=bins, color="#4c72b0", edgecolor="white")
    axes.set(xlabel=f"score (of {top:g})", ylabel="submissions", title="Scores")
    for axis in (axes.xaxis, axes.yaxis):
        axis.get_major_locator().set_params(integer=True)
    return _png(figure)


def pass_rates(report):
    figure, axes = _figure(height=0.45 * len(report.exercises) + 1.0)
    names = [e.grade_id for e in report.exercises][::-1]
    rates = [100 * e.pass_rate for e in report.exercises][::-1]
    axes.barh(names, rates, color="#55a868")
    axes.set(xlim=(0, 100), xlabel="submissions that passed (%)", title="Pass rate per exercise")
    for y, rate in enumerate(rates):
        axes.text(min(rate + 1, 90), y, f"{rate:.0f}%", va="center")
    return _png(figure)


def time_histogram(report):
    figure, axes = _figure()
    axes.hist(list(report.seconds.values()), bins=15, color="#c44e52", edgecolor="white")
    axes.set(xlabel="seconds to grade one submission", ylabel="submissions", title="Grading time")
    return _png(figure)


# -- text and page ----------------------------------------------------------------------------
def _timing(report):
    values = list(report.seconds.values())
    slowest = max(report.seconds, key=report.seconds.get)
    line = (f"per submission {statistics.mean(values):.1f} s on average, the longest {report.seconds[slowest]:.1f} s "
            f"({slowest})")
    if report.runs:
        run = report.runs[-1]
        line = (f"the last run graded {run['graded']} submission(s) in {run['wall_seconds']:.0f} s with "
                f"{run['workers']} worker(s) ({run['started_at']}); " + line)
    return line


def summary(report, top=8):
    """A few lines for the terminal: scores, the most frequent mistakes, what did not finish."""
    values = list(report.scores.values())
    full = sum(1 for v in values if v >= report.max_score)
    by_hand = (f" ({report.manual_points:g} more points of written answers are graded by hand and count once given)"
               if report.manual_points else "")
    lines = [f"{report.assignment}: {len(values)} submissions, mean {statistics.mean(values):.1f} / {report.max_score:g}, "
             f"median {statistics.median(values):g}, {full} with full marks on the autograded tests{by_hand}.",
             "Pass rates: " + ", ".join(f"{e.grade_id} {100 * e.pass_rate:.0f}%" for e in report.exercises) + "."]
    mistakes = sorted(((len(m.students), e.grade_id, m.sentence) for e in report.exercises for m in e.mistakes),
                      key=lambda m: -m[0])
    if mistakes:
        lines.append("Most frequent mistakes:")
        lines += [f"  {count:>3}  {grade_id}: {sentence}" for count, grade_id, sentence in mistakes[:top]]
    notes = sorted(((len(m.students), e.grade_id, m.sentence) for e in report.exercises for m in e.notes),
                   key=lambda m: -m[0])
    if notes:
        lines.append("Notes beside passes (not failures):")
        lines += [f"  {count:>3}  {grade_id}: {sentence}" for count, grade_id, sentence in notes[:top]]
    if report.failures:
        lines.append("Did not finish: " + ", ".join(f"{student} ({', '.join(kinds)})"
                                                    for student, (kinds, _) in sorted(report.failures.items())) + ".")
    lines.append(f"Grading time: {_timing(report)}.")
    return "\n".join(lines)


def _students(names):
    return ", ".join(html.escape(n) for n in sorted(names))


def _exercise_section(exercise):
    rows = "".join(f'<tr class="mistake" data-mistake-id="{html.escape(m.id)}"><td class="count">{len(m.students)}</td>'
                   f"<td>{html.escape(m.sentence)}</td><td>{_students(m.students)}</td></tr>" for m in exercise.mistakes)
    if exercise.unfinished:
        rows += (f'<tr class="unfinished"><td class="count">{len(exercise.unfinished)}</td>'
                 f"<td><em>the code did not finish (the kernel died, or it ran out of time or memory)</em></td>"
                 f"<td>{_students(exercise.unfinished)}</td></tr>")
    if exercise.undiagnosed:
        rows += (f'<tr class="undiagnosed"><td class="count">{len(exercise.undiagnosed)}</td>'
                 f"<td><em>failed without a named mistake (not attempted, an error, or a mistake the check does "
                 f"not know)</em></td><td>{_students(exercise.undiagnosed)}</td></tr>")
    table = (f"<table><tr><th>submissions</th><th>mistake</th><th>students</th></tr>{rows}</table>" if rows
             else "<p>Everyone passed.</p>")
    if exercise.notes:
        notes = "".join(f'<tr class="note" data-note-id="{html.escape(m.id)}"><td class="count">{len(m.students)}</td>'
                        f"<td>{html.escape(m.sentence)}</td><td>{_students(m.students)}</td></tr>" for m in exercise.notes)
        table += (f"<p>Notes beside passes (full points, worth a word in class):</p><table><tr><th>submissions</th>"
                  f"<th>note</th><th>students</th></tr>{notes}</table>")
    total = len(exercise.passed) + len(exercise.failed)
    return (f'<section class="exercise" id="{html.escape(exercise.grade_id)}"><h3>{html.escape(exercise.grade_id)} '
            f"({exercise.points:g} point{'' if exercise.points == 1 else 's'})</h3><p>Passed by {len(exercise.passed)} of {total} "
            f"({100 * exercise.pass_rate:.0f}%).</p>{table}</section>")


def page(report):
    """The report as one HTML page (plots inside, as base64 PNG)."""
    failures = "".join(f"<tr><td>{html.escape(s)}</td><td>{html.escape(', '.join(FAILURE_WORDS.get(k, k) for k in kinds))}"
                       f"</td><td>{html.escape(stopped)}</td></tr>" for s, (kinds, stopped) in sorted(report.failures.items()))
    failures = (f"<table><tr><th>student</th><th>what happened</th><th>details</th></tr>{failures}</table>"
                if failures else "<p>Every submission ran to the end.</p>")
    summary_text = html.escape(summary(report))
    plots = [("Scores", score_histogram(report)), ("Pass rate per exercise", pass_rates(report))]
    images = "".join(f'<img class="plot" alt="{alt}" src="data:image/png;base64,{data}">' for alt, data in plots)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>What the class got wrong: {html.escape(report.assignment)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 1100px; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; }} td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; }}
td.count {{ text-align: right; font-weight: bold; }} img.plot {{ max-width: 100%; margin-right: 1em; }}
pre {{ background: #f6f6f6; padding: 0.6em; white-space: pre-wrap; }}
</style></head><body>
<h1>What the class got wrong: {html.escape(report.assignment)}</h1>
<pre class="summary">{summary_text}</pre>
<h2>Scores and pass rates</h2>
{images}
<h2>Mistakes, per exercise</h2>
{''.join(_exercise_section(e) for e in report.exercises)}
<h2>Submissions that did not finish</h2>
{failures}
<h2>Grading time</h2>
<p>{html.escape(_timing(report))}.</p>
<img class="plot" alt="Grading time" src="data:image/png;base64,{time_histogram(report)}">
</body></html>
"""


def write_report(course, assignment, path=None):
    """Write ``report-<assignment>.html`` in the grading folder; returns (ClassReport, path)."""
    report = class_report(course, assignment)
    path = Path(path or Path(course) / f"report-{assignment}.html")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(report), encoding="utf-8")
    return report, path


__all__ = ["ClassReport", "Exercise", "Mistake", "class_report", "page", "summary", "write_report"]
