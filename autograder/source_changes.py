"""The gradebook follows ``solutions/``: a checksum of each source notebook, taken when nbgrader
generated the assignment, tells when a lab's points, cells or hidden tests changed since.

Then ``nbgrader generate_assignment --force`` runs again in the grading folder and the
assignment's submissions leave the gradebook (their reports and history stay, and their hand
grades wait in the record folder to be put back: see ``gradebook.keep_hand_grades``), so that
every submission is graded again against the new version.
"""
import hashlib
import json
import warnings
from pathlib import Path

CHECKSUMS = "source_checksums.json"


def current(work, assignment):
    """``{notebook file name: sha256}`` of the assignment's source notebooks."""
    folder = Path(work) / "solutions" / assignment
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.ipynb"))}


def _stored(work):
    path = Path(work) / CHECKSUMS
    return json.loads(path.read_text()) if path.exists() else {}


def remember(work, assignment):
    """Record the checksums nbgrader's gradebook now reflects."""
    stored = _stored(work)
    stored[assignment] = current(work, assignment)
    (Path(work) / CHECKSUMS).write_text(json.dumps(stored, indent=1, sort_keys=True))


def changed(work, assignment):
    """The source notebooks that differ from what the gradebook last saw (all, if never recorded)."""
    before = _stored(work).get(assignment, {})
    return sorted(name for name, digest in current(work, assignment).items() if before.get(name) != digest)


def bring_up_to_date(work, assignment):
    """Regenerate ``assignment`` when its source changed; the names of the changed notebooks."""
    from nbgrader.api import Gradebook, MissingEntry

    from .course_directory import run_nbgrader
    from .gradebook import keep_hand_grades

    names = changed(work, assignment)
    if not names:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{Path(work).resolve() / 'gradebook.db'}") as gradebook:
            try:  # nbgrader refuses to change a notebook's cells while submissions refer to them
                students = [s.student.id for s in gradebook.find_assignment(assignment).submissions]
            except MissingEntry:
                students = []
            for student in students:  # hand grades wait in the record folder until it is graded again
                keep_hand_grades(gradebook, work, assignment, student)
                gradebook.remove_submission(assignment, student)
    run_nbgrader(work, "generate_assignment", assignment, "--force", "--log-level=WARN")
    remember(work, assignment)
    return names


__all__ = ["CHECKSUMS", "bring_up_to_date", "changed", "remember"]
