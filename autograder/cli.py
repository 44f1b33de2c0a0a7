"""course-grade: release, collect, autograde, feedback and export for the course's labs.

    course-grade release                          regenerate notebooks/ from solutions/
    course-grade collect DOWNLOADS 01_backprop    place submissions into grading/submitted/
    course-grade autograde 01_backprop            grade them (parallel, sandboxed)
    course-grade feedback 01_backprop             per-student HTML in grading/feedback/
    course-grade export 01_backprop               grading/grades-01_backprop.csv
    course-grade export 01_backprop --format canvas   (or moodle) a file that LMS imports
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

    names = release()
    print(f"Regenerated the student notebooks in notebooks/: {', '.join(names)}")


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


def _autograde(arguments):
    from .autograde import autograde, summary_table

    course = ensure_assignment(arguments.course, arguments.assignment)
    limits = Limits(arguments.cell_timeout, arguments.notebook_timeout, arguments.memory_mb, arguments.allow_network)
    print(f"Grading {arguments.assignment} with {limits.describe()}.")

    def lab_changed(names):
        files = ", ".join(f"solutions/{arguments.assignment}/{name}" for name in names)
        print(f"{files} changed since the gradebook last saw it: the assignment was regenerated and every "
              "submission is graded again.")

    outcomes = autograde(course, arguments.assignment, workers=arguments.workers, scheduler=arguments.scheduler,
                         force=arguments.force, limits=limits, students=arguments.student or None,
                         sandboxed=not arguments.no_sandbox, on_lab_change=lab_changed)
    print(summary_table(outcomes))


def _feedback(arguments):
    from .feedback import write_feedback

    written = write_feedback(arguments.course, arguments.assignment, arguments.student or None)
    print(f"Wrote {len(written)} feedback page(s) to {Path(arguments.course) / 'feedback'}.")


def _export(arguments):
    from .export import export_canvas, export_grades, export_moodle

    if arguments.format == "csv":
        output = arguments.output or Path(arguments.course) / f"grades-{arguments.assignment}.csv"
        path, rows = export_grades(arguments.course, arguments.assignment, output)
        print(f"Wrote {rows} student(s) to {path}.")
        return 0
    output = arguments.output or Path(arguments.course) / f"grades-{arguments.assignment}-{arguments.format}.csv"
    if arguments.format == "canvas":
        path, rows, warnings = export_canvas(arguments.course, arguments.assignment, output, arguments.roster,
                                             arguments.column)
    else:
        path, rows, warnings = export_moodle(arguments.course, arguments.assignment, output, arguments.roster,
                                             arguments.identifier, arguments.column)
    for warning in warnings:
        print(f"  warning: {warning}")
    print(f"Wrote {rows} student(s) to {path} for {arguments.format.capitalize()}'s grade import.")
    return 0


def _report(arguments):
    from .report import summary, write_report

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
    commands.add_parser("release", help="regenerate the student notebooks").set_defaults(run=_release)

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
    feedback = command("feedback", _feedback, "write per-student HTML feedback")
    feedback.add_argument("assignment")
    feedback.add_argument("--student", action="append")
    export = command("export", _export, "write the grades as CSV")
    export.add_argument("assignment")
    export.add_argument("--output", help="CSV file (default: <course>/grades-<assignment>.csv, "
                                         "or grades-<assignment>-<format>.csv)")
    export.add_argument("--format", choices=("csv", "canvas", "moodle"), default="csv",
                        help="csv (every exercise and the notes), or a file Canvas or Moodle imports")
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
