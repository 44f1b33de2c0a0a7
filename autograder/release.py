"""Regenerate the student notebooks (``notebooks/``) from the instructor's (``solutions/``).

nbgrader's ``generate_assignment`` does the work: it replaces every solution region with a
stub, removes hidden tests, and records checksums of the cells it must be able to restore.
The result is stored without outputs so that ``git diff`` shows only real changes.
"""
import shutil
import tempfile
from pathlib import Path

import nbformat

from .course_directory import REPOSITORY_ROOT, assignments, prepare_course_directory, run_nbgrader


def strip_outputs(notebook):
    """Outputs and execution counts removed, in place; returns the notebook."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def generate_student_notebooks(destination, solutions=None, names=None):
    """Write the student version of each assignment under ``destination/<assignment>/``."""
    destination = Path(destination)
    names = list(names or assignments(solutions))
    with tempfile.TemporaryDirectory(prefix="course-release-") as scratch:
        work = prepare_course_directory(scratch, solutions)
        for name in names:
            run_nbgrader(work, "generate_assignment", name, "--force", "--log-level=WARN")
            generated = work / "notebooks" / name
            target = destination / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(generated, target)
            for path in target.rglob("*.ipynb"):
                notebook = strip_outputs(nbformat.read(path, as_version=4))
                nbformat.write(notebook, path)
    return names


def release(repository=REPOSITORY_ROOT):
    """Regenerate ``notebooks/`` in the repository from its ``solutions/``."""
    repository = Path(repository)
    return generate_student_notebooks(repository / "notebooks", repository / "solutions")
