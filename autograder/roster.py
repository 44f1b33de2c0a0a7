"""A class roster: a CSV file with an id column and a name column, to turn LMS names into ids.

The id column is ``id`` (or ``student_id``, ``student``); the name columns are ``name``,
``lms_name`` and ``full_name`` (any of them). A download's name matches a student when it is the
id, a name, or a name's words run together in any order (Canvas writes "Bob Jones" as "jonesbob");
letters of every alphabet count ("Zoë" and "Zoé" are two names). A name that matches two students
("Ann Lee" and "Lee Ann") matches neither: the optional columns ``lms_id`` (the number in Moodle's
and Canvas's download names) and ``canvas_id`` (Canvas's user id) tell such students apart.
"""
import csv
import itertools
import re
from pathlib import Path

from .lms_names import normal

ID_COLUMNS = ("id", "student_id", "student")
NAME_COLUMNS = ("name", "lms_name", "full_name", "lms name", "full name")
LMS_ID_COLUMNS = ("lms_id", "lms id", "canvas_id", "canvas id", "canvas user id", "participant", "participant id")


def _key(text):
    return re.sub(r"[\W_]+", "", normal(text).casefold())


def _keys(name):
    words = [w for w in re.split(r"[\s_.-]+", normal(name).casefold()) if w][:5]
    return {_key(name)} | {_key("".join(order)) for order in itertools.permutations(words)}


def read_rows(path):
    """``(rows, columns, id column)`` of a roster CSV; ``columns`` maps each header, in lower case,
    to its spelling in the file. A missing file or id column is one sentence."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"There is no roster file {path}.")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    columns = {c.strip().casefold(): c for c in (rows[0].keys() if rows else []) if c is not None}
    id_column = next((columns[c] for c in ID_COLUMNS if c in columns), None)
    if id_column is None:
        raise ValueError(f"The roster {path} has no id column (one of: {', '.join(ID_COLUMNS)}).")
    return rows, columns, id_column


class Roster:
    def __init__(self, path):
        rows, columns, id_column = read_rows(path)
        name_columns = [columns[c] for c in NAME_COLUMNS if c in columns]
        lms_columns = [columns[c] for c in LMS_ID_COLUMNS if c in columns]
        self.ids, self._by_key, self._by_lms_id = [], {}, {}
        for row in rows:
            student = (row[id_column] or "").strip()
            if not student:
                continue
            self.ids.append(student)
            for text in [student] + [row[c] or "" for c in name_columns]:
                for key in _keys(text) if text.strip() else ():
                    self._by_key.setdefault(key, set()).add(student)
            for column in lms_columns:
                number = re.sub(r"\D", "", row[column] or "")  # Moodle's worksheet writes "Participant 123"
                if number:
                    self._by_lms_id[number] = student
        self.has_lms_ids = bool(self._by_lms_id)

    def match(self, lms_name, lms_id=""):
        """``(roster id, None)`` for a name (and LMS id) as the download wrote it, or ``(None,
        why not)`` in words."""
        if lms_id and lms_id in self._by_lms_id:
            return self._by_lms_id[lms_id], None
        students = self._by_key.get(_key(lms_name), set())
        if len(students) == 1:
            return next(iter(students)), None
        if not students:
            return None, f"'{lms_name}' is not on the roster"
        return None, (f"'{lms_name}' matches {len(students)} students on the roster ({', '.join(sorted(students))}), "
                      "so whose it is stays unclear (an lms_id column with the download's numbers tells them apart)")

    def find(self, lms_name, lms_id=""):
        """The roster id for a name as the LMS wrote it, or None (not on it, or not only one)."""
        return self.match(lms_name, lms_id)[0]


__all__ = ["Roster", "read_rows"]
