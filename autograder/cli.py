"""``course-grade``: the lecturer's command line.

    course-grade release      regenerate notebooks/ from solutions/
"""
import argparse
import sys

from .course_directory import NbgraderError
from .release import release


def _release(arguments):
    names = release()
    print(f"Regenerated {len(names)} student notebook folder(s) in notebooks/: {', '.join(names)}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course-grade", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="regenerate the student notebooks from solutions/").set_defaults(run=_release)
    arguments = parser.parse_args(argv)
    try:
        arguments.run(arguments)
    except (NbgraderError, FileNotFoundError) as error:
        print(f"course-grade {arguments.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
