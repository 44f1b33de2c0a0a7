"""What an LMS's download calls a submission: the student's name, late and resubmission markers.

Moodle's "Download all submissions" names each student's folder (or, flattened, each file)
``First Last_<participant id>_assignsubmission_file_`` followed by the file's own name.
Canvas names each file ``lastnamefirstname[_LATE]_<user id>_<file id>_<file name>``, and a
resubmitted file's name carries ``-1``, ``-2``, … before its extension. Anything else is a name
the lecturer chose (``alice``, ``alice.zip``, ``alice_01_backprop.ipynb``).
"""
import dataclasses
import re

MOODLE = re.compile(r"^(?P<name>.+?)_(?P<lms_id>\d+)_assignsubmission_file_(?P<file>.*)$")
MOODLE_TEXT = "_assignsubmission_onlinetext_"  # an online-text answer, not a notebook
CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<lms_id>\d+)_(?P<file_id>\d+)_(?P<file>.+)$")
RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<attempt>\d+)$")


@dataclasses.dataclass
class LmsName:
    name: str  # the student's name as the LMS wrote it ("Alice Smith", "jonesbob", "alice")
    lms: str = ""  # "Moodle", "Canvas" or ""
    late: bool = False
    attempt: int = 0  # Canvas's resubmission number (0 for the first submission)

    @property
    def student_id(self):
        """An nbgrader student id made from the name: lower case, ``_`` between words."""
        return re.sub(r"[^a-z0-9.-]+", "_", self.name.casefold()).strip("_.-") or ""


def _stem(name):
    return re.sub(r"\.(zip|ipynb)$", "", name, flags=re.IGNORECASE)


def decode(entry_name, assignment):
    """The student behind a downloaded entry's name (a folder, zip or notebook)."""
    moodle = MOODLE.match(entry_name)
    if moodle:
        return LmsName(moodle["name"].strip(), "Moodle")
    canvas = CANVAS.match(entry_name)
    if canvas:
        stem = _stem(canvas["file"])
        resubmission = RESUBMISSION.match(stem)
        attempt = int(resubmission["attempt"]) if resubmission and resubmission["stem"].endswith(assignment) else 0
        return LmsName(canvas["name"], "Canvas", bool(canvas["late"]), attempt)
    name = _stem(entry_name)
    if name.endswith(assignment) and name != assignment:
        name = name[: -len(assignment)].rstrip("_- ")
    return LmsName(name)


__all__ = ["LmsName", "decode"]
