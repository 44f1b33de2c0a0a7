"""course-grade: release, collect, autograde, feedback and export for the course's labs.

    course-grade release                          regenerate notebooks/ of the labs changed in solutions/
    course-grade collect DOWNLOADS 01_backprop    place submissions into grading/submitted/
    course-grade autograde 01_backprop            grade them (parallel, sandboxed)
    course-grade feedback 01_backprop             per-student HTML in grading/feedback/
    course-grade export 01_backprop               grading/grades-01_backprop.csv
    course-grade export 01_backprop --format canvas   (or moodle, moodle-worksheet) a file that LMS imports
    course-grade report 01_backprop               grading/report-01_backprop.html: what the class got wrong
    course-grade similarity 01_backprop           grading/similarity-01_backprop.csv and .html

The grading folder (``--course``, default ``grading``) is an nbgrader course directory; it is
created on first use and its gradebook works with nbgrader's own tools.
"""
import argparse
import sys
from pathlib import Path

from .sandbox.bubblewrap import SandboxUnavailable
from .course_directory import NbgraderError, ensure_assignment
from .sandbox.limits import Limits


def _release(arguments):
    from .release import release

    names, unchanged = release(everything=arguments.all)
    if names:
        print(f"Regenerated the student notebooks in notebooks/: {', '.join(names)}")
    if unchanged:
        print(f"Unchanged since the last release (not regenerated; --all does): {', '.join(unchanged)}")


def _collect(arguments):
    from .collect import collect
    from .roster import Roster

    roster = Roster(arguments.roster) if arguments.roster else None
    report = collect(arguments.downloads, arguments.course, arguments.assignment, roster=roster)
    print(f"Collected {len(report.placed)} submission(s) into {Path(arguments.course) / 'submitted'}:")
    width = max([len(student) for student, _, _ in report.derived] + [1])
    for student, entry, remark in report.derived:
        print(f"  {student:<{width}}  from {entry}" + (f" ({remark})" if remark else ""))
    for warning in report.warnings:
        print(f"  warning: {warning}")
    for problem in report.problems:
        print(f"  not collected: {problem}")
    if report.missing:
        print(f"No submission from {len(report.missing)} student(s) on the roster: {', '.join(report.missing)}.")
    if report.problems:
        print(f"{len(report.problems)} item(s) were refused and not collected; see the lines above.")
        return 1
    return 0


def _print_repairs(sentences):
    for sentence in sentences:
        print(f"  repaired: {sentence}")


def _extensions(roster):
    """``{student: timedelta}`` from a roster's ``extension`` column (days: ``2``, ``2d``; hours: ``36h``)."""
    import re
    from datetime import timedelta

    from .roster import read_rows

    rows, columns, id_column = read_rows(roster)
    column = next((columns[c] for c in ("extension", "extension_days", "extension days") if c in columns), None)
    found = {}
    for row in rows if column else []:
        value, student = (row[column] or "").strip().lower(), (row[id_column] or "").strip()
        if not value or not student:
            continue
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(d|day|days|h|hour|hours)?", value)
        if not match:
            raise ValueError(f"The roster's extension for {student} is '{value}', not a number of days (2, 2d) or hours (36h).")
        amount = float(match[1])
        found[student] = timedelta(hours=amount) if (match[2] or "d").startswith("h") else timedelta(days=amount)
    return found


def _autograde(arguments):
    from . import gradebook
    from .autograde import autograde, plan, summary_table

    due = gradebook.parse_time(arguments.due) if arguments.due else None
    policy = gradebook.parse_policy(arguments.late_penalty) if arguments.late_penalty else None
    extensions = _extensions(arguments.roster) if arguments.roster else {}
    course = ensure_assignment(arguments.course, arguments.assignment)
    if arguments.dry_run:
        found = plan(course, arguments.assignment, arguments.force, arguments.student or None)
        print(f"Dry run: nothing is graded. What `course-grade autograde {arguments.assignment}` would do:")
        width = max([len(student) for student, _ in found] + [7])
        for student, why in found:
            print(f"  {student:<{width}}  " + ("skip (graded before)" if why == "graded before" else f"grade ({why})"))
        graded = sum(1 for _, why in found if why != "graded before")
        print(f"{graded} submission(s) would be graded, {len(found) - graded} skipped.")
        return 0
    limits = Limits(arguments.cell_timeout, arguments.notebook_timeout, arguments.memory_mb, arguments.allow_network)
    print(f"Grading {arguments.assignment} with {limits.describe()}.")

    def lab_changed(names):
        files = ", ".join(f"solutions/{arguments.assignment}/{name}" for name in names)
        print(f"{files} changed since the gradebook last saw it: the assignment was regenerated and every "
              "submission is graded again (hand grades on unchanged cells are kept).")

    outcomes = autograde(course, arguments.assignment, workers=arguments.workers, scheduler=arguments.scheduler,
                         force=arguments.force, limits=limits, students=arguments.student or None,
                         sandboxed=not arguments.no_sandbox, on_lab_change=lab_changed, on_repair=_print_repairs)
    unknown = gradebook.set_late_work(course, arguments.assignment, due,
                                      (policy or False) if arguments.late_penalty else None, extensions)
    if unknown:
        print(f"  warning: extension for {', '.join(sorted(unknown))}, who handed nothing in")
    if outcomes:
        outcomes = _with_late_scores(course, arguments.assignment, outcomes)
    print(summary_table(outcomes))
    _print_late(course, arguments.assignment)
    if arguments.strict and any(o.waiting for o in outcomes):
        print("--strict: written answers are still to be graded by hand (see above).")
        return 3
    return 0


def _with_late_scores(course, assignment, outcomes):
    import dataclasses

    from . import gradebook

    late = gradebook.late_work(course, assignment)
    return [dataclasses.replace(o, score=max(0.0, o.score - late.get(o.student, ("", 0, 0.0))[2])) for o in outcomes]


def _print_late(course, assignment):
    from . import gradebook

    due = gradebook.due_date(course, assignment)
    if due is None:
        return
    late = {s: v for s, v in gradebook.late_work(course, assignment).items() if v[1] > 0}
    policy = gradebook.late_policy(course, assignment)
    print(f"Due {due:%Y-%m-%d %H:%M} UTC ({gradebook.describe_policy(policy)}): {len(late)} submission(s) late"
          + (": " + ", ".join(f"{s} by {late_by(v[1])}" + (f" (-{v[2]:g})" if v[2] else "") for s, v in sorted(late.items()))
             if late else "") + ".")


def late_by(seconds):
    """``1 d 3 h``, ``2 h 5 min``, ``40 min``: how late, for a person."""
    if seconds <= 0:
        return ""
    minutes = int(-(-seconds // 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes and not days else []
    return " ".join(parts)


def _feedback(arguments):
    from . import gradebook
    from .feedback import write_feedback

    _print_repairs(gradebook.reconcile(arguments.course, arguments.assignment))
    written = write_feedback(arguments.course, arguments.assignment, arguments.student or None)
    print(f"Wrote {len(written)} feedback page(s) to {Path(arguments.course) / 'feedback'}.")


def _export(arguments):
    from . import gradebook
    from .export import export_canvas, export_grades, export_moodle, export_moodle_worksheet

    _print_repairs(gradebook.reconcile(arguments.course, arguments.assignment))
    scale = arguments.scale
    if arguments.format == "csv":
        output = arguments.output or Path(arguments.course) / f"grades-{arguments.assignment}.csv"
        path, rows = export_grades(arguments.course, arguments.assignment, output, scale=scale)
        warnings, done = [], f"Wrote {rows} student(s) to {path}."
    else:
        output = arguments.output or Path(arguments.course) / f"grades-{arguments.assignment}-{arguments.format}.csv"
        if arguments.format == "canvas":
            path, rows, warnings = export_canvas(arguments.course, arguments.assignment, output, arguments.roster,
                                                 arguments.column, scale=scale)
        elif arguments.format == "moodle":
            path, rows, warnings = export_moodle(arguments.course, arguments.assignment, output, arguments.roster,
                                                 arguments.identifier, arguments.column, scale=scale)
        else:
            path, rows, warnings = export_moodle_worksheet(arguments.course, arguments.assignment, output,
                                                           arguments.roster, arguments.worksheet, scale=scale)
        name = "Moodle's offline grading worksheet" if arguments.format == "moodle-worksheet" else \
            f"{arguments.format.capitalize()}'s grade import"
        done = f"Wrote {rows} student(s) to {path} for {name}."
    for warning in warnings:
        print(f"  warning: {warning}")
    waiting = gradebook.waiting_for_hand(arguments.course, arguments.assignment)
    if waiting:
        print(f"  warning: {len(waiting)} submission(s) still have written answers not graded by hand "
              f"({', '.join(sorted(waiting))}): their scores leave those points out.")
    print(done)
    if arguments.strict and waiting:
        print("--strict: not every written answer is graded; grade them in formgrader, then export again.")
        return 3
    return 0


def _report(arguments):
    from . import gradebook
    from .report import summary, write_report

    _print_repairs(gradebook.reconcile(arguments.course, arguments.assignment))
    report, path = write_report(arguments.course, arguments.assignment, arguments.output)
    print(summary(report))
    print(f"Wrote {path}.")


def _similarity(arguments):
    from .similarity import summary, write_similarity

    pairs, csv_path, html_path = write_similarity(arguments.course, arguments.assignment, arguments.output)
    print(f"Most alike answer code in {arguments.assignment} (1 = the same code):")
    print(summary(pairs))
    print(f"Wrote {len(pairs)} pair(s) to {csv_path} and the top pairs side by side to {html_path}.")


def _parser():
    parser = argparse.ArgumentParser(prog="course-grade", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help="regenerate the student notebooks of the labs that changed")
    release.add_argument("--all", action="store_true", help="regenerate every lab, changed or not")
    release.set_defaults(run=_release)

    def command(name, run, help):
        sub = commands.add_parser(name, help=help)
        sub.add_argument("--course", default="grading", help="the grading folder (default: grading)")
        sub.set_defaults(run=run)
        return sub

    collect = command("collect", _collect, "place downloaded submissions into submitted/")
    collect.add_argument("downloads", help="folder with one folder, zip or notebook per student")
    collect.add_argument("assignment")
    collect.add_argument("--roster", help="CSV with an id column and a name column: LMS names become these ids")
    grade = command("autograde", _autograde, "grade all submissions of an assignment")
    grade.add_argument("assignment")
    grade.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    grade.add_argument("--scheduler", help="address of a Dask scheduler to grade on a cluster")
    grade.add_argument("--force", action="store_true", help="grade again what was graded before")
    grade.add_argument("--student", action="append", help="only this student (repeatable)")
    defaults = Limits()
    grade.add_argument("--cell-timeout", type=float, default=defaults.cell_timeout, help="seconds per cell")
    grade.add_argument("--notebook-timeout", type=float, default=defaults.notebook_timeout, help="seconds per notebook")
    grade.add_argument("--memory-mb", type=int, default=defaults.memory_mb, help="memory per submission")
    grade.add_argument("--allow-network", action="store_true", help="let student code use the network")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="grade without bubblewrap (grades are then NOT protected from students' code)")
    grade.add_argument("--dry-run", action="store_true", help="list what would be graded and why; grade nothing")
    grade.add_argument("--due", help="the due date, ISO (2026-11-20T23:59, UTC unless it has an offset; a date "
                                     "alone is its end); kept in nbgrader's gradebook")
    grade.add_argument("--late-penalty", help="e.g. 10%%/day or 10%%/day max 50%% (of the full points, per day "
                                              "or hour begun); none removes it")
    grade.add_argument("--roster", help="CSV with an id column and an extension column (days: 2, or hours: 36h)")
    grade.add_argument("--strict", action="store_true", help="exit with 3 while written answers wait for grading")
    feedback = command("feedback", _feedback, "write per-student HTML feedback")
    feedback.add_argument("assignment")
    feedback.add_argument("--student", action="append")
    export = command("export", _export, "write the grades as CSV")
    export.add_argument("assignment")
    export.add_argument("--output", help="CSV file (default: <course>/grades-<assignment>.csv, "
                                         "or grades-<assignment>-<format>.csv)")
    export.add_argument("--format", choices=("csv", "canvas", "moodle", "moodle-worksheet"), default="csv",
                        help="csv (every exercise, late work and the notes), a file Canvas or Moodle imports, or "
                             "Moodle's offline grading worksheet (grades and feedback comments)")
    export.add_argument("--scale", type=float, help="the grades out of this maximum (Moodle's default is 100)")
    export.add_argument("--strict", action="store_true", help="exit with 3 while written answers wait for grading")
    export.add_argument("--worksheet", help="moodle-worksheet: the worksheet Moodle gave you (Download grading "
                                            "worksheet), filled in; without it one is made from the roster")
    export.add_argument("--roster", help="CSV with an id column and the LMS's columns (canvas_id, sis_user_id, "
                                         "sis_login_id, section, name; email, idnumber, username)")
    export.add_argument("--identifier", choices=("email", "idnumber", "username"),
                        help="Moodle: the user field that identifies a student (default: the first the roster has)")
    export.add_argument("--column", help="the grade column's name (default: the assignment's)")
    report = command("report", _report, "write what the class got wrong as an HTML page")
    report.add_argument("assignment")
    report.add_argument("--output", help="HTML file (default: <course>/report-<assignment>.html)")
    similarity = command("similarity", _similarity, "find pairs of submissions with suspiciously alike code")
    similarity.add_argument("assignment")
    similarity.add_argument("--output", help="CSV file (default: <course>/similarity-<assignment>.csv; the page "
                                             "beside it)")
    return parser


def main(argv=None):
    arguments = _parser().parse_args(argv)
    try:
        return arguments.run(arguments) or 0
    except (NbgraderError, FileNotFoundError, ValueError, SandboxUnavailable) as error:
        print(f"course-grade {arguments.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"course-grade {arguments.command}: interrupted; what was graded is kept, run it again to go on.",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
