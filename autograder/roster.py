"""A class roster: a CSV file with an id column and a name column, to turn LMS names into ids.

The id column is ``id`` (or ``student_id``, ``student``); the name columns are ``name``,
``lms_name`` and ``full_name`` (any of them). A download's name matches a student when it is the
id, a name, or a name's words run together in any order (Canvas writes "Bob Jones" as "jonesbob").
"""
import csv
import itertools
import re
from pathlib import Path

ID_COLUMNS = ("id", "student_id", "student")
NAME_COLUMNS = ("name", "lms_name", "full_name", "lms name", "full name")


def _key(text):
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _keys(name):
    words = [w for w in re.split(r"[\s_.-]+", name.casefold()) if w][:5]
    return {_key(name)} | {_key("".join(order)) for order in itertools.permutations(words)}


def read_rows(path):
    """``(rows, columns, id column)`` of a roster CSV; ``columns`` maps each header, in lower case,
    to its spelling in the file. A missing file or id column is one sentence."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"There is no roster file {path}.")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    columns = {c.strip().casefold(): c for c in (rows[0].keys() if rows else [])}
    id_column = next((columns[c] for c in ID_COLUMNS if c in columns), None)
    if id_column is None:
        raise ValueError(f"The roster {path} has no id column (one of: {', '.join(ID_COLUMNS)}).")
    return rows, columns, id_column


class Roster:
    def __init__(self, path):
        rows, columns, id_column = read_rows(path)
        name_columns = [columns[c] for c in NAME_COLUMNS if c in columns]
        self.ids, self._by_key = [], {}
        for row in rows:
            student = (row[id_column] or "").strip()
            if not student:
                continue
            self.ids.append(student)
            for text in [student] + [row[c] or "" for c in name_columns]:
                for key in _keys(text) if text.strip() else ():
                    self._by_key.setdefault(key, student)

    def find(self, lms_name):
        """The roster id for a name as the LMS wrote it, or None."""
        return self._by_key.get(_key(lms_name))


__all__ = ["Roster", "read_rows"]
