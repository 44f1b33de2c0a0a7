"""Put a folder of downloaded submissions into nbgrader's ``submitted/<student>/<assignment>/``.

Accepted, one entry per student: a folder (``alice/…/01_backprop.ipynb``), a zip file
(``alice.zip``), or a single notebook (``alice.ipynb``, ``alice_01_backprop.ipynb``), named as
the lecturer likes or as Moodle and Canvas name them (``lms_names``). The LMS's single
"download all" zip (or a folder holding only that) is unpacked first. Of several submissions of
one student the latest is kept. With a roster, names become the roster's ids.
"""
import dataclasses
import os
import shutil
import stat
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from .autograde import MAX_DATA_BYTES  # per submission: as much as grading copies into a kernel's folder
from .course_directory import REPOSITORY_ROOT, assignments
from .lms_names import CANVAS, MOODLE, MOODLE_TEXT, decode


def _size(count):
    return f"{count // 2**20} MB" if count >= 2**20 else f"{count} bytes"


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


def _notebooks(names):
    return [n for n in names if n.endswith(".ipynb") and "/." not in "/" + n and "__MACOSX" not in n
            and ".ipynb_checkpoints" not in n]


def _pick(names, notebook):
    """``(chosen, problem, warning)``: the notebook named like the lab's, or the only one."""
    candidates = _notebooks(names)
    exact = [n for n in candidates if Path(n).name == f"{notebook}.ipynb"]
    if len(exact) == 1:
        others = len(candidates) - 1
        return exact[0], None, f"holds {others + 1} notebooks; {exact[0]} was taken." if others else None
    if len(candidates) == 1:
        return candidates[0], None, None
    if not candidates:
        return None, "contains no notebook", None
    return None, f"contains {len(candidates)} notebooks and none is named {notebook}.ipynb", None


def _is_data_file(relative):
    parts = Path(relative).parts
    return bool(parts) and not relative.endswith(".ipynb") and "__MACOSX" not in parts and \
        ".ipynb_checkpoints" not in parts and not any(p.startswith(".") or p == ".." for p in parts) and \
        relative != "timestamp.txt"


def _data_files(chosen, sizes, read, symlinks=()):
    """``(files, warning)``: the files in the chosen notebook's folder and below it (data the
    notebook reads), by path relative to that folder; symbolic links are not followed, and files
    beyond MAX_DATA_BYTES in all are left out with a warning."""
    base = Path(chosen).parent
    files, skipped, links, total = {}, [], [], 0
    for name in sorted(sizes):
        if Path(name).is_absolute() or Path(name) == Path(chosen) or \
                (base.parts and Path(name).parts[:len(base.parts)] != base.parts):
            continue
        relative = Path(name).relative_to(base).as_posix()
        if not _is_data_file(relative):
            continue
        if name in symlinks:
            links.append(relative)
        elif total + sizes[name] > MAX_DATA_BYTES:
            skipped.append(relative)
        else:
            files[relative], total = read(name), total + sizes[name]
    notes = []
    if links:
        notes.append(f"holds symbolic links, not collected: {', '.join(links[:3])}")
    if skipped:
        notes.append(f"holds more than {_size(MAX_DATA_BYTES)} of data files; not collected: "
                     f"{', '.join(skipped[:3])}" + (" …" if len(skipped) > 3 else ""))
    return files, "; ".join(notes) + "." if notes else None


def _download_all(source, assignment, unpack_to):
    """The folder to read entries from: ``source``, or the LMS's "download all" zip unpacked
    (``source`` itself, or the only thing in it when that holds LMS-named entries)."""
    entries = [e for e in source.iterdir() if not e.name.startswith(".")] if source.is_dir() else [source]
    if len(entries) != 1 or entries[0].suffix.lower() != ".zip":
        return source
    with zipfile.ZipFile(entries[0]) as archive:
        members = [m for m in archive.infolist() if "__MACOSX" not in m.filename]
        tops = {m.filename.split("/")[0] for m in members}
        if source.is_dir() and sum(1 for top in tops if decode(top, assignment).lms) < 2:
            return source  # one student's zip
        for member in members:
            path = Path(archive.extract(member, unpack_to))
            stamp = datetime(*member.date_time).timestamp()
            os.utime(path, (stamp, stamp))
    return Path(unpack_to)


def _read(entry, notebook):
    """``(data, modified, files, problem, warning)`` for one downloaded entry."""
    if entry.is_dir():
        paths = {str(p.relative_to(entry)): p for p in entry.rglob("*")}
        links = {name for name, p in paths.items() if p.is_symlink()}
        files = {name: p for name, p in paths.items() if name not in links and p.is_file()}
        chosen, problem, warning = _pick(list(files), notebook)
        if not chosen:
            return None, None, {}, problem, None
        sizes = {name: p.stat().st_size for name, p in files.items()} | {name: 0 for name in links}
        data, note = _data_files(chosen, sizes, lambda name: files[name].read_bytes(), links)
        return files[chosen].read_bytes(), files[chosen].stat().st_mtime, data, None, _join(warning, note)
    if entry.suffix.lower() == ".zip":
        with zipfile.ZipFile(entry) as archive:
            members = {m.filename: m for m in archive.infolist() if not m.is_dir()}
            chosen, problem, warning = _pick(list(members), notebook)
            if not chosen:
                return None, None, {}, problem, None
            links = {name for name, m in members.items() if stat.S_ISLNK(m.external_attr >> 16)}
            sizes = {name: m.file_size for name, m in members.items()}
            data, note = _data_files(chosen, sizes, archive.read, links)
            modified = datetime(*members[chosen].date_time).timestamp()
            return archive.read(chosen), modified, data, None, _join(warning, note)
    if entry.suffix == ".ipynb":
        return entry.read_bytes(), entry.stat().st_mtime, {}, None, None
    return None, None, {}, "is neither a folder, a zip file nor a notebook", None


def _join(*sentences):
    """Warnings about one entry as one sentence."""
    parts = [sentence.rstrip(".") for sentence in sentences if sentence]
    return "; ".join(parts) + "." if parts else None


def _flat_data_file(entry, assignment):
    """``(LmsName, file name)`` when ``entry`` is a data file that Moodle or Canvas handed out
    beside a student's notebook (``Alice Smith_12345_assignsubmission_file_data.csv``)."""
    if entry.is_dir() or entry.suffix.lower() in (".zip", ".ipynb"):
        return None
    lms = decode(entry.name, assignment)
    found = (MOODLE if lms.lms == "Moodle" else CANVAS).match(entry.name) if lms.lms else None
    return (lms, found["file"]) if found and _is_data_file(found["file"]) else None


def _gather(source, assignment, notebook, roster, report):
    found, loose = [], []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or entry.name == "__MACOSX" or MOODLE_TEXT in entry.name or entry.is_symlink():
            continue
        lms = decode(entry.name, assignment)
        student = roster.find(lms.name) if roster else lms.student_id
        flat = _flat_data_file(entry, assignment)
        if flat:
            loose.append((student, entry, flat[1]))
            continue
        try:
            data, modified, files, problem, warning = _read(entry, notebook)
        except (zipfile.BadZipFile, OSError) as error:
            data, files, problem, warning = None, {}, f"could not be read ({error})", None
        if not problem and not student:
            problem = f"'{lms.name}' is not on the roster" if roster else "has no usable student name"
        if problem or data is None:
            report.problems.append(f"{entry.name}: {problem or 'no notebook found'}; not collected.")
            continue
        if warning:
            report.warnings.append(f"{entry.name} {warning}")
        found.append(_Found(entry.name, student, data, modified, lms.late, lms.attempt, files))
    _attach_loose_files(found, loose, report)
    return found


def _attach_loose_files(found, loose, report):
    """Data files that came as entries of their own (Moodle's flattened download, Canvas) join
    each of their student's notebooks, within the size limit."""
    for student, entry, name in loose:
        mine = [item for item in found if item.student == student]
        if not mine:
            report.warnings.append(f"{entry.name}: a data file without a notebook from the same student; not collected.")
            continue
        size = entry.stat().st_size
        for item in mine:
            if sum(len(data) for data in item.files.values()) + size > MAX_DATA_BYTES:
                report.warnings.append(f"{entry.name}: beyond the {_size(MAX_DATA_BYTES)} of data files a "
                                       "submission may bring; not collected.")
                break
            item.files.setdefault(name, entry.read_bytes())


def collect(source, course, assignment, notebook=None, roster=None):
    source, course = Path(source), Path(course)
    known = assignments(course / "solutions" if (course / "solutions").is_dir() else REPOSITORY_ROOT / "solutions")
    if assignment not in known:
        raise FileNotFoundError(f"There is no assignment '{assignment}' in solutions/; the known ones are "
                                f"{', '.join(known)}.")
    notebook = notebook or assignment
    report = CollectReport({}, [])
    if not source.exists():
        report.problems.append(f"{source} does not exist.")
        return report
    with tempfile.TemporaryDirectory() as unpacked:
        try:
            folder = _download_all(source, assignment, unpacked)
        except (zipfile.BadZipFile, OSError) as error:
            report.problems.append(f"{source.name}: could not be read ({error}); not collected.")
            return report
        if not folder.is_dir():
            report.problems.append(f"{source} is neither a folder nor a zip file.")
            return report
        found = _gather(folder, assignment, notebook, roster, report)
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


def _place(course, assignment, notebook, student, item, count, report):
    target = course / "submitted" / student / assignment
    previous = target / f"{notebook}.ipynb"
    remarks = ["late"] if item.late else []
    if item.attempt:
        remarks.append(f"resubmission {item.attempt}")
    if count > 1:
        remarks.append(f"the latest of {count}")
    if previous.exists() and previous.read_bytes() != item.data:
        remarks.append("replaces the one collected before")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    previous.write_bytes(item.data)
    for relative, data in item.files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if item.files:
        remarks.append(f"{len(item.files)} data file(s)")
    stamp = datetime.fromtimestamp(item.modified, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (target / "timestamp.txt").write_text(stamp)
    report.placed[student] = previous
    report.derived.append((student, item.entry, ", ".join(remarks)))


__all__ = ["CollectReport", "collect"]
