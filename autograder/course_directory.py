"""An nbgrader course directory laid out like this repository, and a way to run nbgrader in it.

nbgrader finds its configuration in ``nbgrader_config.py`` in the directory it runs in; this
module writes that file (source = ``solutions``, release = ``notebooks``) and runs nbgrader's own
command line there, so every step is exactly what a lecturer would type.
"""
import os
import subprocess
import sys
from pathlib import Path

from . import source_changes

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

CONFIG_TEMPLATE = """\
# Written by autograder.course_directory: nbgrader's view of the course repository.
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = {db_url!r}
# Deep-learning cells take longer than nbgrader's default of 30 s.
c.ExecutePreprocessor.timeout = {cell_timeout}
# Formgrader shows students' notebooks in the lecturer's browser: HTML in them is cleaned too.
c.HTMLExporter.sanitize_html = True
"""


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries the end of its log."""


def prepare_course_directory(work, solutions=None, cell_timeout=300, db_url=None):
    """Make ``work`` an nbgrader course whose ``solutions`` are this repository's (a symlink)."""
    work = Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    solutions = Path(solutions or REPOSITORY_ROOT / "solutions").resolve()
    if not solutions.is_dir():
        raise FileNotFoundError(f"No solutions folder at {solutions}.")
    link = work / "solutions"
    if not link.exists():
        link.symlink_to(solutions, target_is_directory=True)
    db_url = db_url or f"sqlite:///{work / 'gradebook.db'}"
    (work / "nbgrader_config.py").write_text(
        CONFIG_TEMPLATE.format(root=str(work), db_url=db_url, cell_timeout=cell_timeout)
    )
    return work


def assignments(solutions=None):
    """Names of the assignments: the folders of ``solutions/`` that hold a notebook."""
    solutions = Path(solutions or REPOSITORY_ROOT / "solutions")
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def run_nbgrader(work, *arguments, timeout=None):
    """Run ``nbgrader <arguments>`` in the course directory ``work``; return its log."""
    # nbgrader calls the `alembic` command of its own environment to create the gradebook.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    environment = dict(os.environ, PATH=path, PYTHONWARNINGS="ignore")
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *arguments],
        cwd=work, capture_output=True, text=True, timeout=timeout, env=environment,
    )
    log = result.stdout + result.stderr
    if result.returncode != 0:
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise NbgraderError(f"`nbgrader {' '.join(arguments)}` failed (exit {result.returncode}):\n{tail}")
    return log


def ensure_assignment(work, assignment):
    """Make ``work`` a course directory whose gradebook knows ``assignment`` (nbgrader's
    ``generate_assignment`` records it; done once, and again when the source changed: see
    ``source_changes``)."""
    from nbgrader.api import Gradebook, MissingEntry

    work = Path(work).resolve()
    if assignment not in assignments(work / "solutions" if (work / "solutions").exists() else None):
        raise FileNotFoundError(f"There is no assignment '{assignment}' in solutions/.")
    if not (work / "nbgrader_config.py").exists():
        prepare_course_directory(work)
    if (work / "gradebook.db").exists():  # (creating one in-process would need nbgrader's alembic on PATH)
        with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
            try:
                gradebook.find_assignment(assignment)
                return work
            except MissingEntry:
                pass
    run_nbgrader(work, "generate_assignment", assignment, "--force", "--log-level=WARN")
    source_changes.remember(work, assignment)
    return work
