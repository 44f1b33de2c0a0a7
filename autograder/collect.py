"""Put a folder of downloaded submissions into nbgrader's ``submitted/<student>/<assignment>/``.

Accepted, one entry per student: a folder (``alice/…/01_backprop.ipynb``), a zip file
(``alice.zip``, as LMSs export them), or a single notebook (``alice.ipynb`` or
``alice_01_backprop.ipynb``). The student's id is the entry's name up to the first ``_`` when it
ends with the assignment's name, else the whole name. Anything that cannot be placed is reported.
"""
import dataclasses
import re
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path


@dataclasses.dataclass
class CollectReport:
    placed: dict  # student -> path written
    problems: list  # sentences about entries that could not be placed


def _student_id(name, assignment):
    name = re.sub(r"\.(zip|ipynb)$", "", name)
    if name.endswith(assignment) and name != assignment:
        name = name[: -len(assignment)].rstrip("_- ")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or None


def _pick(names, notebook):
    """The submitted notebook among ``names``: the one named like the lab's, or the only one."""
    candidates = [n for n in names if n.endswith(".ipynb") and "/." not in "/" + n and "__MACOSX" not in n
                  and ".ipynb_checkpoints" not in n]
    exact = [n for n in candidates if Path(n).name == f"{notebook}.ipynb"]
    if len(exact) == 1:
        return exact[0], None
    if len(candidates) == 1:
        return candidates[0], None
    if not candidates:
        return None, "contains no notebook"
    return None, f"contains {len(candidates)} notebooks and none is named {notebook}.ipynb"


def collect(source, course, assignment, notebook=None):
    source, course = Path(source), Path(course)
    notebook = notebook or assignment
    report = CollectReport({}, [])
    if not source.is_dir():
        report.problems.append(f"{source} is not a folder.")
        return report
    for entry in sorted(source.iterdir()):
        if entry.name.startswith("."):
            continue
        student = _student_id(entry.name, assignment)
        data, problem, modified = None, None, entry.stat().st_mtime
        try:
            if entry.is_dir():
                files = {str(p.relative_to(entry)): p for p in entry.rglob("*") if p.is_file()}
                chosen, problem = _pick(list(files), notebook)
                if chosen:
                    data, modified = files[chosen].read_bytes(), files[chosen].stat().st_mtime
            elif entry.suffix == ".zip":
                with zipfile.ZipFile(entry) as archive:
                    chosen, problem = _pick(archive.namelist(), notebook)
                    if chosen:
                        data = archive.read(chosen)
            elif entry.suffix == ".ipynb":
                data = entry.read_bytes()
            else:
                problem = "is neither a folder, a zip file nor a notebook"
        except (zipfile.BadZipFile, OSError) as error:
            problem = f"could not be read ({error})"
        if student is None:
            problem = problem or "has no usable student name"
        if problem or data is None:
            report.problems.append(f"{entry.name}: {problem or 'no notebook found'}; not collected.")
            continue
        if student in report.placed:
            report.problems.append(f"{entry.name}: a second submission for {student}; the first one was kept.")
            continue
        target = course / "submitted" / student / assignment
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        (target / f"{notebook}.ipynb").write_bytes(data)
        stamp = datetime.fromtimestamp(modified, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
        (target / "timestamp.txt").write_text(stamp)
        report.placed[student] = target / f"{notebook}.ipynb"
    return report


__all__ = ["CollectReport", "collect"]
