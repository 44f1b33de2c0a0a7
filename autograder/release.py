"""Regenerate the student notebooks (``notebooks/``) from the instructor's (``solutions/``).

nbgrader's ``generate_assignment`` does the work: it replaces every solution region with a
stub, removes hidden tests, and records checksums of the cells it must be able to restore.
The result is stored without outputs so that ``git diff`` shows only real changes. ``release``
regenerates only the labs whose source folder changed since (a hash per lab, kept in
``notebooks/.released.json``).
"""
import hashlib
import json
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


RELEASED = ".released.json"  # in notebooks/: {lab: hash of its solutions/ folder when it was generated}


def source_hash(folder):
    """One sha256 of every file of a lab's source folder (names and bytes), checkpoints left out."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and ".ipynb_checkpoints" not in relative and "__pycache__" not in relative:
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def release(repository=REPOSITORY_ROOT, everything=False, names=None):
    """Regenerate ``notebooks/<lab>`` for each lab whose ``solutions/<lab>`` changed since it was
    last generated (all of them with ``everything``); returns (regenerated, unchanged)."""
    repository = Path(repository)
    solutions, notebooks = repository / "solutions", repository / "notebooks"
    stored_path = notebooks / RELEASED
    stored = json.loads(stored_path.read_text()) if stored_path.exists() else {}
    hashes = {name: source_hash(solutions / name) for name in (names or assignments(solutions))}
    todo = [name for name, digest in hashes.items()
            if everything or stored.get(name) != digest or not any((notebooks / name).glob("*.ipynb"))]
    if todo:
        generate_student_notebooks(notebooks, solutions, todo)
    stored.update({name: hashes[name] for name in todo})
    notebooks.mkdir(parents=True, exist_ok=True)
    stored_path.write_text(json.dumps(dict(sorted(stored.items())), indent=1) + "\n")
    return todo, [name for name in hashes if name not in todo]
