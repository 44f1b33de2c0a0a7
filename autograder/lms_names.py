"""What an LMS's download calls a submission: the student's name and id, late and resubmission markers.

Moodle's "Download all submissions" names each student's folder
``First Last_<participant id>_assignsubmission_file`` (Moodle 4; older versions and the
flattened download add ``_`` and the file's own name: ``…_assignsubmission_file_01_backprop.ipynb``),
and an online-text answer ``…_assignsubmission_onlinetext`` (``onlinetext.html`` in it).
Canvas names each file ``lastnamefirstname[_LATE]_<user id>_<file id>_<file name>``, and a
resubmitted file's name carries ``-1``, ``-2``, … before its extension. Anything else is a name
the lecturer chose (``alice``, ``alice.zip``, ``alice_01_backprop.ipynb``).
"""
import dataclasses
import re
import unicodedata

MOODLE = re.compile(r"^(?P<name>.+?)_(?P<lms_id>\d+)_assignsubmission_(?P<kind>file|onlinetext)(?:_(?P<file>.*))?$",
                    re.S)
MOODLE_TEXT = "_assignsubmission_onlinetext"  # an online-text answer, not a notebook
CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<lms_id>\d+)_(?P<file_id>\d+)_(?P<file>.+)$", re.S)
RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<attempt>\d+)$")


def normal(text):
    """``text`` in Unicode's composed form (NFC): "Zoë" typed on any system is one string."""
    return unicodedata.normalize("NFC", text)


@dataclasses.dataclass
class LmsName:
    name: str  # the student's name as the LMS wrote it ("Alice Smith", "jonesbob", "alice")
    lms: str = ""  # "Moodle", "Canvas" or ""
    late: bool = False
    attempt: int = 0  # Canvas's resubmission number (0 for the first submission)
    lms_id: str = ""  # Moodle's participant id or Canvas's user id, as the download's name gives it
    file: str = ""  # the file's own name where the entry's name carries one ("" for Moodle 4's folders)
    online_text: bool = False  # Moodle's online-text answer: a note, not a notebook

    @property
    def student_id(self):
        """An nbgrader student id made from the name: lower case, ``_`` between words, letters of
        every alphabet kept ("Zoë Müller" is ``zoë_müller``)."""
        return re.sub(r"[^\w.-]+|_+", "_", normal(self.name).casefold()).strip("_.-") or ""


def _stem(name):
    return re.sub(r"\.(zip|ipynb)$", "", name, flags=re.IGNORECASE)


def decode(entry_name, assignment):
    """The student behind a downloaded entry's name (a folder, zip or notebook)."""
    entry_name = normal(entry_name)
    moodle = MOODLE.match(entry_name)
    if moodle:
        return LmsName(moodle["name"].strip(), "Moodle", lms_id=moodle["lms_id"], file=moodle["file"] or "",
                       online_text=moodle["kind"] == "onlinetext")
    canvas = CANVAS.match(entry_name)
    if canvas:
        stem = _stem(canvas["file"])
        resubmission = RESUBMISSION.match(stem)
        attempt = int(resubmission["attempt"]) if resubmission and resubmission["stem"].endswith(assignment) else 0
        return LmsName(canvas["name"], "Canvas", bool(canvas["late"]), attempt, canvas["lms_id"], canvas["file"])
    name = _stem(entry_name)
    if name.endswith(assignment) and name != assignment:
        name = name[: -len(assignment)].rstrip("_- ")
    return LmsName(name)


__all__ = ["LmsName", "decode", "normal"]
