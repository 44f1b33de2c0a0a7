"""Put a folder of downloaded submissions into nbgrader's ``submitted/<student>/<assignment>/``.

Accepted, one entry per student: a folder (``alice/…/01_backprop.ipynb``), a zip file
(``alice.zip``), or a single notebook (``alice.ipynb``, ``alice_01_backprop.ipynb``), named as
the lecturer likes or as Moodle and Canvas name them (``lms_names``). The LMS's single
"download all" zip (or a folder holding only that) is unpacked first. Of several submissions of
one student the latest is kept. With a roster, names become the roster's ids.

Beside each notebook go ``timestamp.txt`` (nbgrader's form: the LMS's submission time, from the
download's file dates) and ``lms.json`` (the LMS, its id for the student, the name, the late
flag), and Moodle's online-text answer as ``online_text.txt``. What the lecturer's machine
unpacks or reads is capped (``MAX_*``) before it is read; only regular files are read, never
through a link; names are printed with control characters escaped.
"""
import dataclasses
import html
import html.parser
import json
import os
import shutil
import stat
import struct
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from .autograde import MAX_DATA_BYTES  # per submission: as much as grading copies into a kernel's folder
from .course_directory import REPOSITORY_ROOT, assignments
from .lms_names import CANVAS, MOODLE, decode, normal
from .regular_files import Refused, open_folder, read_regular, walk, why_refused

MAX_NOTEBOOK_BYTES = 50 * 2**20  # one notebook (outputs included)
MAX_MEMBER_BYTES = 128 * 2**20  # one member of a zip, unpacked
MAX_UNPACKED_BYTES = 4 * 2**30  # everything one collect unpacks, together
MAX_MEMBERS = 50_000  # members of one zip
MAX_ONLINE_TEXT_BYTES = 2**20


def _size(count):
    return f"{count // 2**20} MB" if count >= 2**20 else f"{count} bytes"


def shown(name):
    """``name`` as it may reach a terminal: control and format characters (an escape sequence,
    a right-to-left override) written as ``\\x1b``, ``\\u202e``."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(name))


@dataclasses.dataclass
class CollectReport:
    placed: dict  # student -> path written
    problems: list  # sentences about entries that were refused
    derived: list = dataclasses.field(default_factory=list)  # (student, entry name, remark)
    warnings: list = dataclasses.field(default_factory=list)  # sentences about entries that were collected
    missing: list = dataclasses.field(default_factory=list)  # roster ids with no submission collected yet


@dataclasses.dataclass
class _Found:
    entry: str
    student: str
    data: bytes
    modified: float
    late: bool
    attempt: int
    files: dict = dataclasses.field(default_factory=dict)  # data files beside the notebook: path -> bytes
    lms: object = None  # the LmsName the entry's name gave
    online_text: str = ""


class _Unpacked:
    """What this collect has unpacked from zips so far, against MAX_UNPACKED_BYTES."""

    def __init__(self):
        self.left = MAX_UNPACKED_BYTES

    def read(self, archive, info, limit=MAX_MEMBER_BYTES):
        """A zip member's bytes, refused by its declared size before unpacking, and counted while
        unpacking (a member that unpacks to more than it declared is refused too)."""
        limit = min(limit, MAX_MEMBER_BYTES)
        if info.file_size > limit:
            raise Refused(f"unpacks to {_size(info.file_size)}, beyond the limit of {_size(limit)}")
        if info.file_size > self.left:
            raise Refused(f"would take the download beyond {_size(MAX_UNPACKED_BYTES)} unpacked")
        chunks, count = [], 0
        with archive.open(info) as stream:
            while chunk := stream.read(2**20):
                count += len(chunk)
                if count > min(limit, self.left):
                    raise Refused(f"unpacks to more than the limit of {_size(limit)}")
                chunks.append(chunk)
        self.left -= count
        return b"".join(chunks)


def _member_time(info):
    """A zip member's modification time: the UTC time of its "extended timestamp" field when it
    has one, else its DOS date, which zips store in the packing machine's local time."""
    extra = info.extra
    while len(extra) >= 4:
        tag, length = struct.unpack("<HH", extra[:4])
        if tag == 0x5455 and length >= 5 and extra[4] & 1:
            return float(struct.unpack("<i", extra[5:9])[0])
        extra = extra[4 + length:]
    try:
        return datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError):
        return 0.0


def _members(archive):
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise Refused(f"holds {len(infos)} members, more than the {MAX_MEMBERS} a download may hold")
    return infos


def _is_link(info):
    return stat.S_ISLNK(info.external_attr >> 16)


def _notebooks(names):
    return [n for n in names if n.endswith(".ipynb") and "/." not in "/" + n and "__MACOSX" not in n
            and ".ipynb_checkpoints" not in n]


def _pick(names, notebook):
    """``(chosen, problem, warning)``: the notebook named like the lab's, or the only one."""
    candidates = _notebooks(names)
    exact = [n for n in candidates if Path(n).name == f"{notebook}.ipynb"]
    if len(exact) == 1:
        others = len(candidates) - 1
        return exact[0], None, f"holds {others + 1} notebooks; {shown(exact[0])} was taken." if others else None
    if len(candidates) == 1:
        return candidates[0], None, None
    if not candidates:
        return None, "contains no notebook", None
    return None, f"contains {len(candidates)} notebooks and none is named {notebook}.ipynb", None


def _is_data_file(relative):
    parts = Path(relative).parts
    return bool(parts) and not relative.endswith(".ipynb") and "__MACOSX" not in parts and \
        ".ipynb_checkpoints" not in parts and not any(p.startswith(".") or p == ".." for p in parts) and \
        relative not in ("timestamp.txt", "lms.json", "online_text.txt")


def _data_files(chosen, listing):
    """``(files, warning)``: the files in the chosen notebook's folder and below it (data the
    notebook reads), by path relative to that folder. ``listing``: name -> (size, read, refusal);
    a link or any other file that is not a regular one is left out by name, and files beyond
    MAX_DATA_BYTES in all are left out with a warning."""
    base = Path(chosen).parent
    files, skipped, refused, total = {}, [], [], 0
    for name in sorted(listing):
        if Path(name).is_absolute() or Path(name) == Path(chosen) or \
                (base.parts and Path(name).parts[:len(base.parts)] != base.parts):
            continue
        relative = Path(name).relative_to(base).as_posix()
        if not _is_data_file(relative):
            continue
        size, read, refusal = listing[name]
        if refusal:
            refused.append(f"{shown(relative)} {refusal}")
        elif total + size > MAX_DATA_BYTES:
            skipped.append(shown(relative))
        else:
            try:
                files[relative] = read(MAX_DATA_BYTES - total)
                total += len(files[relative])
            except Refused as why:
                refused.append(f"{shown(relative)} {why}")
    notes = []
    if refused:
        notes.append(f"holds files that are not collected: {'; '.join(refused[:5])}" + (" …" if len(refused) > 5 else ""))
    if skipped:
        notes.append(f"holds more than {_size(MAX_DATA_BYTES)} of data files; not collected: "
                     f"{', '.join(skipped[:3])}" + (" …" if len(skipped) > 3 else ""))
    return files, "; ".join(notes) + "." if notes else None


def _download_all(source, assignment, unpack_to, unpacked, report):
    """The folder to read entries from: ``source``, or the LMS's "download all" zip unpacked
    (``source`` itself, or the only thing in it when that holds LMS-named entries)."""
    entries = [e for e in source.iterdir() if not e.name.startswith(".")] if source.is_dir() else [source]
    if len(entries) != 1 or entries[0].suffix.lower() != ".zip" or entries[0].is_symlink():
        return source
    with zipfile.ZipFile(entries[0]) as archive:
        members = [m for m in _members(archive) if "__MACOSX" not in m.filename]
        tops = {m.filename.split("/")[0] for m in members}
        if source.is_dir() and sum(1 for top in tops if decode(top, assignment).lms) < 2:
            return source  # one student's zip
        for member in members:
            if member.is_dir():
                continue
            try:
                if _is_link(member):
                    raise Refused("is a symbolic link")
                data = unpacked.read(archive, member)
            except Refused as why:
                report.problems.append(f"{shown(entries[0].name)}: {shown(member.filename)} {why}; not collected.")
                continue
            path = _target(unpack_to, member.filename)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            stamp = _member_time(member)
            os.utime(path, (stamp, stamp))
    return Path(unpack_to)


def _target(folder, name):
    """Where a zip member named ``name`` lands inside ``folder``: as zipfile's own extract places
    it, without ``..``, drive or leading ``/``."""
    parts = [normal(p) for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return Path(folder).joinpath(*parts) if parts else Path(folder) / "_"


def _listing_of_folder(entry):
    """``(listing, modified)`` of a downloaded folder, read without following a link."""
    handle = open_folder(entry)
    listing, modified = {}, {}
    try:
        for relative, status, dir_fd, name in walk(handle):
            if stat.S_ISDIR(status.st_mode) and not stat.S_ISLNK(status.st_mode):
                continue
            refusal = why_refused(status)

            def read(limit, path=entry / relative):  # O_NOFOLLOW: a link put there since is refused
                return read_regular(str(path), limit=limit)

            listing[normal(relative)] = (status.st_size, read, refusal)
            modified[normal(relative)] = status.st_mtime
    finally:
        os.close(handle)
    return listing, modified


def _read(entry, notebook, unpacked):
    """``(data, modified, files, problem, warning)`` for one downloaded entry."""
    if entry.is_dir() and not entry.is_symlink():
        listing, modified = _listing_of_folder(entry)
        chosen, problem, warning = _pick([n for n, (_, _, refusal) in listing.items() if not refusal], notebook)
        if not chosen:
            refused = [f"{shown(n)} {refusal}" for n, (_, _, refusal) in listing.items() if refusal and n in _notebooks([n])]
            if refused and problem == "contains no notebook":
                problem = f"contains no notebook that is a regular file ({'; '.join(refused[:3])})"
            return None, None, {}, problem, None
        data, note = _data_files(chosen, listing)
        size, read, _ = listing[chosen]
        if size > MAX_NOTEBOOK_BYTES:
            return None, None, {}, f"holds a notebook of {_size(size)}, beyond the limit of {_size(MAX_NOTEBOOK_BYTES)}", None
        return read(MAX_NOTEBOOK_BYTES), modified[chosen], data, None, _join(warning, note)
    if entry.suffix.lower() == ".zip":
        with zipfile.ZipFile(entry) as archive:
            members = {normal(m.filename): m for m in _members(archive) if not m.is_dir()}
            listing = {name: (m.file_size, lambda limit, m=m: unpacked.read(archive, m, limit),
                              "is a symbolic link" if _is_link(m) else None) for name, m in members.items()}
            chosen, problem, warning = _pick([n for n, (_, _, refusal) in listing.items() if not refusal], notebook)
            if not chosen:
                return None, None, {}, problem, None
            data, note = _data_files(chosen, listing)
            try:
                content = unpacked.read(archive, members[chosen], MAX_NOTEBOOK_BYTES)
            except Refused as why:
                return None, None, {}, f"{shown(chosen)} {why}", None
            return content, _member_time(members[chosen]), data, None, _join(warning, note)
    if entry.suffix == ".ipynb":
        content = read_regular(str(entry), limit=MAX_NOTEBOOK_BYTES)
        return content, entry.lstat().st_mtime, {}, None, None
    return None, None, {}, "is neither a folder, a zip file nor a notebook", None


def _join(*sentences):
    """Warnings about one entry as one sentence."""
    parts = [sentence.rstrip(".") for sentence in sentences if sentence]
    return "; ".join(parts) + "." if parts else None


def _not_a_notebook(data):
    """Why ``data`` will not grade (empty, not JSON, not a notebook), or None."""
    from .execute import read_notebook_text

    if not data.strip():
        return "is empty" if not data else "holds only white space"
    try:
        read_notebook_text(data.decode("utf-8", errors="replace"))
    except ValueError as error:
        return f"is not a notebook: {error}"
    return None


def _flat_data_file(entry, lms):
    """The file's name when ``entry`` is a data file that Moodle or Canvas handed out beside a
    student's notebook (``Alice Smith_12345_assignsubmission_file_data.csv``)."""
    if entry.is_dir() or entry.suffix.lower() in (".zip", ".ipynb") or not lms.lms or lms.online_text:
        return None
    return lms.file if lms.file and _is_data_file(lms.file) else None


class _TextOnly(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attributes):
        if tag in ("p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4"):
            self.parts.append("\n")


def _online_text(entry):
    """Moodle's online-text answer (a folder with ``onlinetext.html``, or that file) as plain text."""
    if entry.is_dir() and not entry.is_symlink():
        listing, _ = _listing_of_folder(entry)
        pages = [read(MAX_ONLINE_TEXT_BYTES) for name, (size, read, refusal) in sorted(listing.items())
                 if not refusal and name.lower().endswith((".html", ".htm", ".txt"))]
    else:
        pages = [read_regular(str(entry), limit=MAX_ONLINE_TEXT_BYTES)]
    parser = _TextOnly()
    for page in pages:
        parser.feed(page.decode("utf-8", errors="replace"))
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return html.unescape("\n".join(line for line in lines if line)).strip()


def _gather(source, assignment, notebook, roster, report, unpacked):
    found, loose, texts = [], [], []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        name = shown(entry.name)
        status = entry.lstat()
        if stat.S_ISLNK(status.st_mode) or not (stat.S_ISDIR(status.st_mode) or stat.S_ISREG(status.st_mode)):
            report.problems.append(f"{name}: {why_refused(status)}; not collected.")
            continue
        lms = decode(entry.name, assignment)
        student, problem = roster.match(lms.name, lms.lms_id) if roster else (lms.student_id, None)
        if lms.online_text:
            texts.append((student, lms, entry, problem))
            continue
        flat = _flat_data_file(entry, lms)
        if flat:
            loose.append((student, entry, flat, lms))
            continue
        try:
            data, modified, files, problem_reading, warning = _read(entry, notebook, unpacked)
        except Refused as why:
            data, files, problem_reading, warning = None, {}, str(why), None
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
            data, files, problem_reading, warning = None, {}, f"could not be read ({shown(error)})", None
        problem = problem_reading or problem
        if not problem and not student:
            problem = "has no usable student name"
        if problem or data is None:
            report.problems.append(f"{name}: {problem or 'no notebook found'}; not collected.")
            continue
        broken = _not_a_notebook(data)
        if broken:
            warning = _join(warning, f"its notebook {broken}; collected, it will score zero")
        if warning:
            report.warnings.append(f"{name} {warning}")
        found.append(_Found(name, student, data, modified, lms.late, lms.attempt, files, lms))
    found = _namesakes(found, roster, report)
    _attach_loose_files(found, loose, report)
    _attach_online_texts(found, texts, report)
    return found


def _namesakes(found, roster, report):
    """Students with one name and different LMS ids stay apart: without a roster each gets the
    id ``<name>_<LMS id>``; with one (matched by name, so whose is whose is unclear) neither is
    collected."""
    by_student = {}
    for item in found:
        by_student.setdefault(item.student, []).append(item)
    kept = []
    for student, items in by_student.items():
        numbers = sorted({item.lms.lms_id for item in items if item.lms and item.lms.lms_id})
        if len(numbers) < 2:
            kept.extend(items)
            continue
        which = f"{items[0].lms.lms} ids {', '.join(numbers)}"
        if roster:
            for item in items:
                report.problems.append(f"{item.entry}: '{shown(item.lms.name)}' is one of {len(numbers)} students "
                                       f"({which}) that match the roster's {student}; not collected (an lms_id column "
                                       "in the roster tells them apart).")
            continue
        for item in items:
            item.student = f"{student}_{item.lms.lms_id}" if item.lms and item.lms.lms_id else student
        report.warnings.append(f"{len(numbers)} students are called '{shown(items[0].lms.name)}' ({which}): collected as "
                               f"{', '.join(sorted({item.student for item in items}))}; a roster keeps ids the same "
                               "from lab to lab.")
        kept.extend(items)
    return kept


def _owner(found, student, lms):
    return [item for item in found if (item.lms and lms.lms_id and item.lms.lms_id == lms.lms_id
                                       and item.lms.lms == lms.lms) or
            (item.student == student and not (item.lms and item.lms.lms_id and lms.lms_id))]


def _attach_loose_files(found, loose, report):
    """Data files that came as entries of their own (Moodle's flattened download, Canvas) join
    each of their student's notebooks, within the size limit."""
    for student, entry, name, lms in loose:
        mine = _owner(found, student, lms)
        if not mine:
            report.warnings.append(f"{shown(entry.name)}: a data file without a notebook from the same student; "
                                   "not collected.")
            continue
        size = entry.lstat().st_size
        for item in mine:
            if sum(len(data) for data in item.files.values()) + size > MAX_DATA_BYTES:
                report.warnings.append(f"{shown(entry.name)}: beyond the {_size(MAX_DATA_BYTES)} of data files a "
                                       "submission may bring; not collected.")
                break
            try:
                item.files.setdefault(normal(name), read_regular(str(entry), limit=MAX_DATA_BYTES))
            except Refused as why:
                report.warnings.append(f"{shown(entry.name)} {why}; not collected.")
                break


def _attach_online_texts(found, texts, report):
    """Moodle's online-text answers: kept beside their student's notebook as a note."""
    for student, lms, entry, problem in texts:
        try:
            text = _online_text(entry)
        except (OSError, Refused) as why:
            report.warnings.append(f"{shown(entry.name)}: an online-text answer that could not be read ({shown(why)}).")
            continue
        mine = _owner(found, student, lms) if not problem else []
        if not text:
            continue
        if not mine:
            report.warnings.append(f"{shown(entry.name)}: an online-text answer without a notebook from the same "
                                   f"student; not collected (it reads: \"{shown(text[:80])}\").")
        for item in mine:
            item.online_text = text


def collect(source, course, assignment, notebook=None, roster=None):
    source, course = Path(source), Path(course)
    known = assignments(course / "solutions" if (course / "solutions").is_dir() else REPOSITORY_ROOT / "solutions")
    if assignment not in known:
        raise FileNotFoundError(f"There is no assignment '{assignment}' in solutions/; the known ones are "
                                f"{', '.join(known)}.")
    notebook = notebook or assignment
    report = CollectReport({}, [])
    if not source.exists():
        report.problems.append(f"{shown(source)} does not exist.")
        return report
    unpacked = _Unpacked()
    with tempfile.TemporaryDirectory() as unpack_to:
        try:
            folder = _download_all(source, assignment, unpack_to, unpacked, report)
        except (zipfile.BadZipFile, OSError, Refused, RuntimeError, NotImplementedError, EOFError) as error:
            report.problems.append(f"{shown(source.name)}: could not be read ({shown(error)}); not collected.")
            return report
        if not folder.is_dir():
            report.problems.append(f"{shown(source)} is neither a folder nor a zip file.")
            return report
        found = _gather(folder, assignment, notebook, roster, report, unpacked)
    by_student = {}
    for item in found:
        by_student.setdefault(item.student, []).append(item)
    for student, items in sorted(by_student.items()):
        items.sort(key=lambda item: (item.attempt, item.modified))
        latest = items[-1]
        _place(course, assignment, notebook, student, latest, len(items), report)
    if roster:
        submitted = course / "submitted"
        report.missing = [s for s in roster.ids if not (submitted / s / assignment / f"{notebook}.ipynb").exists()]
    return report


def timestamp(seconds):
    """nbgrader's form of a submission time: ``2026-12-07 13:05:00.000000 UTC``."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def _place(course, assignment, notebook, student, item, count, report):
    target = course / "submitted" / student / assignment
    previous = target / f"{notebook}.ipynb"
    remarks = ["late"] if item.late else []
    if item.attempt:
        remarks.append(f"resubmission {item.attempt}")
    if count > 1:
        remarks.append(f"the latest of {count}")
    if previous.is_file() and not previous.is_symlink() and previous.read_bytes() != item.data:
        remarks.append("replaces the one collected before")
    if target.is_symlink():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    previous.write_bytes(item.data)
    for relative, data in item.files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if item.files:
        remarks.append(f"{len(item.files)} data file(s)")
    if item.online_text:
        (target / "online_text.txt").write_text(item.online_text + "\n", encoding="utf-8")
        remarks.append("an online-text note in online_text.txt")
    (target / "timestamp.txt").write_text(timestamp(item.modified))
    lms = item.lms
    (target / "lms.json").write_text(json.dumps({
        "lms": lms.lms if lms else "", "id": lms.lms_id if lms else "", "name": lms.name if lms else "",
        "late": bool(item.late), "attempt": item.attempt, "entry": item.entry, "submitted": timestamp(item.modified),
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    report.placed[student] = previous
    report.derived.append((student, item.entry, ", ".join(remarks)))


__all__ = ["CollectReport", "collect", "shown", "timestamp"]
