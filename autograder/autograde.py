"""``course-grade autograde``: grade every submission of an assignment, in parallel.

Each submission runs in a fresh sandboxed kernel inside a worker process (a local process pool
by default, or a Dask cluster with ``scheduler=``); this process alone writes the gradebook, as
results arrive. Submissions already graded are skipped unless ``force`` is set, so a rerun
after an interruption grades only what is missing.
"""
import concurrent.futures
import concurrent.futures.process
import dataclasses
import logging
import multiprocessing
import os
import secrets
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

from tqdm.auto import tqdm

from . import gradebook, source_changes
from .grading import Job, _zero, close_kernels, die_with_coordinator, grade_submission
from .regular_files import Refused, check_path, open_folder, read_regular, walk
from .sandbox.limits import Limits

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Outcome:
    student: str
    score: float
    max_score: float
    notes: str
    skipped: bool = False
    protected: bool = True  # False when graded with --no-sandbox
    regraded: str = ""  # why a submission graded before was graded again
    manual_points: float = 0.0  # of max_score: written answers, graded by hand in formgrader
    tests_passed: bool = False  # every autograded test passed
    look_again: tuple = ()  # (cell, why): hand grades not put back because their cell changed
    waiting: float = 0.0  # points of written answers not graded by hand yet


def _db_url(course):
    return f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def find_submissions(course, assignment, students=None):
    """``(student, notebook name, path, timestamp)`` for every submitted notebook. A student's
    folder, its assignment folder or a notebook that is a link (or a notebook that is a hard link
    to another file, such as the lecturer's) is left out, each with a warning that names it."""
    found, submitted = [], Path(course) / "submitted"
    for folder in sorted(submitted.glob(f"*/{assignment}")):
        student = folder.parent.name
        if students and student not in students:
            continue
        try:
            check_path(submitted, student, assignment)
        except (Refused, OSError) as refused:
            _refuse(f"{student}/{assignment}", refused)
            continue
        timestamp_file = folder / "timestamp.txt"
        try:
            timestamp = _timestamp(read_regular(str(timestamp_file), limit=1000)) if os.path.lexists(timestamp_file) else None
        except (Refused, OSError) as refused:
            timestamp = _refuse(f"{student}/{assignment}/timestamp.txt", refused)
        for path in sorted(folder.glob("*.ipynb")):
            try:
                check_path(folder, path.name)
            except (Refused, OSError) as refused:
                _refuse(f"{student}/{assignment}/{path.name}", refused)
                continue
            found.append((student, path.stem, path, timestamp))
    return found


def _refuse(name, why):
    """Say that ``submitted/name`` is left out of grading, and why."""
    log.warning("submitted/%s %s; it is left out of grading (links are never followed).", name, why)


def _timestamp(content):
    """The submission time in ``timestamp.txt`` (its bytes) as nbgrader reads it, or None when it
    holds something nbgrader cannot read as a time."""
    from nbgrader.utils import parse_utc

    try:
        text = content[:200].decode("utf-8", errors="replace").strip()
        parse_utc(text)
    except Exception:  # noqa: BLE001 - dateutil raises several kinds; a bad time is no time
        return None
    return text


def manual_points(cells):
    """The points of the answer cells a lecturer grades by hand (nbgrader's "manually graded
    answer": a solution cell that is graded, such as an "explain in a sentence" cell)."""
    return sum(cell.points for cell in cells if cell.grade and cell.solution)


def _summarise(result, score, regraded="", manual=0.0):
    failed = [v for v in result.verdicts if v.status != "passed"]
    notes = []
    if result.stopped:
        notes.append(result.stopped)
    elif result.defects:
        notes.append(result.defects[0])
    elif failed:
        notes.append(f"{len(failed)} failed, first {failed[0].grade_id}: {failed[0].message}")
    return Outcome(result.student, score, result.max_score + manual, "; ".join(notes), protected=result.sandboxed,
                   regraded=regraded, manual_points=manual, tests_passed=bool(result.verdicts) and not failed)


def _why_again(course, assignment, student, content_hash, force, lab_changed):
    """Why a submission is graded (again): "" for a first grading."""
    if not gradebook.report_path(course, assignment, student).exists():
        return ""
    if gradebook.graded_hash(course, assignment, student) not in ("", content_hash):
        return "the submission changed"
    if lab_changed:
        return "the lab changed"
    return "--force" if force else "the gradebook had no grade for it"


def _die_with_coordinator(coordinator):
    """Worker processes (and with them their sandboxes) end when the coordinator ends, even when
    it is killed with SIGKILL and cannot say goodbye. (The workers' initializer is
    ``grading.die_with_coordinator``: a worker that imports this module imports nbgrader too.)"""
    from .grading import die_with_coordinator

    die_with_coordinator(coordinator)


def _executor(workers, scheduler):
    if scheduler:
        from dask.distributed import Client

        client = Client(scheduler) if isinstance(scheduler, str) else scheduler
        return client, True
    # "spawn": a forked copy of a process whose threads hold locks (torch's thread pool, after a
    # check ran in the coordinator) can hang on its first use of them; a fresh interpreter cannot.
    context = multiprocessing.get_context("spawn")
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                  initializer=die_with_coordinator, initargs=(os.getpid(),)), False


MAX_DATA_BYTES = 64 * 1024 * 1024


NOT_DATA = ("timestamp.txt", "lms.json", "online_text.txt")  # what collect writes beside a notebook
TEXT_TWINS = (".py", ".md", ".Rmd", ".jl", ".r", ".R")  # jupytext's text form of a notebook


def data_files(*folders):
    """The files beside the notebooks (data a lab reads), the later folders' copies winning:
    the lab's own files first, then what the student handed in with the notebook.

    Nothing is reached through a link (see ``regular_files``): a link, a hard link to another
    file, a FIFO or a device is left out with a warning that names it, so the lab's solutions and
    the gradebook are never within reach of the kernel's copy. A notebook's text twin (jupytext's
    ``<lab>.py`` beside ``<lab>.ipynb``: the solution) never travels either."""
    files, total = {}, 0
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        try:
            handle = open_folder(folder)
        except Refused as refused:
            log.warning("%s %s; its files are left out of grading.", folder, refused)
            continue
        try:
            notebooks = {Path(relative).with_suffix("").as_posix() for relative, *_ in walk(handle)
                         if relative.endswith(".ipynb")}
            for relative, status, dir_fd, name in walk(handle):  # read while walking: dir_fd is open
                parts = relative.split("/")
                if relative.endswith(".ipynb") or relative in NOT_DATA or any(p.startswith(".") for p in parts) or \
                        (Path(relative).suffix in TEXT_TWINS and Path(relative).with_suffix("").as_posix() in notebooks):
                    continue
                if total + status.st_size > MAX_DATA_BYTES:
                    continue
                try:
                    data = read_regular(name, dir_fd, limit=MAX_DATA_BYTES - total)
                except Refused as refused:
                    log.warning("%s %s; it is left out of grading (links are never followed).",
                                Path(folder) / relative, refused)
                    continue
                total += len(data) - len(files.get(relative, b""))
                files[relative] = data
        finally:
            os.close(handle)
    return files


RETRIES = 1  # a submission whose worker process died is graded once more, in a fresh pool


def _graded(jobs, pool, workers, scheduler):
    """``(job, Result)`` for every job as workers finish them. A job whose grading raised is
    that submission's zero, with the reason; jobs lost with a worker process that died (a
    broken pool loses every job it held) are graded again in a fresh pool, once."""
    executor, is_dask = pool[0]
    if is_dask:
        from dask.distributed import as_completed

        futures = executor.map(grade_submission, jobs, pure=False)
        job_of = dict(zip(futures, jobs))
        for future in as_completed(futures):
            try:
                yield job_of[future], future.result()
            except Exception as error:  # noqa: BLE001 - one notebook never stops the run
                yield job_of[future], _lost(job_of[future], error)
        return
    attempts = {id(job): 0 for job in jobs}
    pending = list(jobs)
    while pending:
        job_of = {executor.submit(grade_submission, job): job for job in pending}
        pending = []
        for future in concurrent.futures.as_completed(job_of):
            job = job_of[future]
            try:
                yield job, future.result()
            except concurrent.futures.process.BrokenProcessPool as error:
                attempts[id(job)] += 1
                if attempts[id(job)] > RETRIES:
                    yield job, _lost(job, error)
                else:
                    pending.append(job)
            except Exception as error:  # noqa: BLE001
                yield job, _lost(job, error)
        if pending:
            executor.shutdown(wait=True, cancel_futures=True)
            pool[0] = _executor(min(workers, len(pending)), scheduler)
            executor = pool[0][0]


def _lost(job, error):
    text = " ".join(str(error).split())[:200] or "no message"
    return _zero(job, [f"The submission could not be graded: the worker grading it failed ({type(error).__name__}: "
                       f"{text})."], time.monotonic())


def autograde(course, assignment, workers=None, scheduler=None, force=False, limits=None, students=None,
              progress=True, db_url=None, sandboxed=True, on_lab_change=None, on_repair=None):
    """Grade the submissions in ``course/submitted/*/assignment``; returns a list of Outcome.

    A submission is graded when it was not graded yet, when its content changed since, and,
    for all of them, when the lab's source notebook changed (``on_lab_change(names)`` hears of it).
    Hand grades are kept through every regrade (see ``gradebook.record``); submissions that
    nbgrader's own autograde graded since are repaired first (``on_repair(sentences)`` hears of it).

    ``sandboxed=False`` (``--no-sandbox``) runs the kernels without bubblewrap: grades are then
    not protected from the students' code. Without it, a missing bubblewrap is an error.
    """
    from .sandbox import bubblewrap
    from .sandbox.bubblewrap import SandboxUnavailable

    repaired = gradebook.reconcile(course, assignment)
    if repaired and on_repair:
        on_repair(repaired)
    if sandboxed and not bubblewrap.available():
        raise SandboxUnavailable(
            "bubblewrap cannot make a sandbox on this machine: install it (`apt-get install bubblewrap`) "
            "or pass --no-sandbox to grade without one (grades are then not protected from students' code).")
    course = Path(course).resolve()
    db_url = db_url or _db_url(course)
    limits = limits or Limits()
    workers = workers or os.cpu_count() or 1
    lab_changed = source_changes.bring_up_to_date(course, assignment)
    if lab_changed and on_lab_change:
        on_lab_change(lab_changed)
    submissions = find_submissions(course, assignment, students)
    outcomes, jobs, timestamps, hashes, reasons, manual = [], [], {}, {}, {}, {}
    cells = {}
    secret = secrets.randbits(62)  # this run's hidden inputs: see course.checks.judging.use_grading_secret
    for student, notebook, path, timestamp in submissions:
        if notebook not in cells:
            source_path = course / "solutions" / assignment / f"{notebook}.ipynb"
            cells[notebook] = gradebook.source_cells(db_url, assignment, notebook, source_path)
        manual[student] = manual_points(cells[notebook])
        content_hash = gradebook.submission_hash(path.read_bytes())
        if not force and gradebook.is_graded(course, db_url, assignment, student, content_hash):
            result, score = gradebook.read_report(gradebook.report_path(course, assignment, student))
            outcomes.append(dataclasses.replace(_summarise(result, score, manual=manual[student]), skipped=True))
            continue
        hashes[student] = content_hash
        reasons[student] = _why_again(course, assignment, student, content_hash, force, lab_changed)
        text = path.read_bytes().decode("utf-8", errors="replace")
        files = data_files(course / "solutions" / assignment, path.parent)
        jobs.append(Job(student, assignment, notebook, text, cells[notebook], limits, files, sandboxed, secret))
        timestamps[student] = timestamp
    if not jobs:
        return _with_hand_grades(course, assignment, outcomes)
    started_at, started = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.monotonic()
    skipped = len(outcomes)
    pool = [_executor(min(workers, len(jobs)), scheduler)]  # the current (executor, is_dask); a broken pool is replaced
    bar = tqdm(total=len(jobs), unit="submission", desc=f"grading {assignment}", disable=not progress)
    quiet = warnings.catch_warnings()  # nbformat's chatter must not break the progress bar
    quiet.__enter__()
    warnings.simplefilter("ignore")
    try:
        for job, result in _graded(jobs, pool, min(workers, len(jobs)), scheduler):
            student = result.student
            reason = reasons.get(student, "")
            try:
                score = gradebook.record(course, db_url, result, timestamps.get(student), hashes.get(student, ""), reason)
            except Exception as error:  # noqa: BLE001 - what the worker made of this notebook cannot be stored
                result = _zero(job, [f"The graded notebook could not be recorded ({type(error).__name__}: "
                                     f"{' '.join(str(error).split())[:200]})."], time.monotonic())
                score = gradebook.record(course, db_url, result, timestamps.get(student), hashes.get(student, ""), reason)
            outcomes.append(_summarise(result, score, reason, manual.get(student, 0.0)))
            bar.update(1)
    finally:
        bar.close()
        quiet.__exit__(None, None, None)
        executor, is_dask = pool[0]
        if not is_dask:
            executor.shutdown(cancel_futures=True)
        else:
            executor.run(close_kernels)  # Dask workers stay up: their sandboxes must not
            if isinstance(scheduler, str):
                executor.close()
    gradebook.record_run(course, assignment, started_at, time.monotonic() - started, len(outcomes) - skipped,
                         skipped, min(workers, len(jobs)))
    return _with_hand_grades(course, assignment, sorted(outcomes, key=lambda outcome: outcome.student))


def _with_hand_grades(course, assignment, outcomes):
    """The outcomes with the gradebook's word on hand grades: what waits for them, what to look at again."""
    waiting = gradebook.waiting_for_hand(course, assignment)
    return [dataclasses.replace(o, waiting=waiting.get(o.student, 0.0),
                                look_again=() if o.skipped else tuple(gradebook.look_again(course, assignment, o.student)))
            for o in outcomes]


def plan(course, assignment, force=False, students=None, db_url=None):
    """What ``autograde`` would grade and why, grading nothing: ``[(student, why)]`` with why one of
    "new", "changed", "lab changed", "forced", "graded before" (skipped)."""
    course = Path(course).resolve()
    db_url = db_url or _db_url(course)
    lab_changed = source_changes.changed(course, assignment) if (course / source_changes.CHECKSUMS).exists() else []
    found = []
    for student, _notebook, path, _timestamp in find_submissions(course, assignment, students):
        content_hash = gradebook.submission_hash(path.read_bytes())
        graded = gradebook.is_graded(course, db_url, assignment, student)
        if not graded and not gradebook.graded_hash(course, assignment, student):
            why = "new"
        elif gradebook.graded_hash(course, assignment, student) not in ("", content_hash):
            why = "changed"
        elif lab_changed:
            why = "lab changed"
        elif force:
            why = "forced"
        elif not graded:
            why = "new"
        else:
            why = "graded before"
        found.append((student, why))
    return found


def shorten(text, limit):
    """``text`` cut at a word boundary to at most ``limit`` characters, with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut
    return cut.rstrip(" ,;:.") + "…"


def summary_table(outcomes):
    """A plain-text table: one line per student, then the totals."""
    if not outcomes:
        return "No submissions found."
    width = max(len("student"), *(len(o.student) for o in outcomes))
    lines = [f"{'student':<{width}}  {'score':>11}  notes", f"{'-' * width}  {'-' * 11}  {'-' * 5}"]
    for o in sorted(outcomes, key=lambda o: o.student):
        note = ("(graded before) " if o.skipped else f"(graded again: {o.regraded}) " if o.regraded else "") + o.notes
        lines.append(f"{o.student:<{width}}  {o.score:>5g} / {o.max_score:<3g}  {shorten(note, 100)}")
    full = sum(1 for o in outcomes if o.score >= o.max_score)  # extra credit may pass the maximum
    mean = sum(o.score for o in outcomes) / len(outcomes)
    by_hand = max(o.manual_points for o in outcomes)
    waiting = [o.student for o in outcomes if o.waiting]
    if by_hand:
        lines.append(f"Written answers ({by_hand:g} of the points) are graded by hand in nbgrader's formgrader "
                     "(JupyterLab in the grading folder, Nbgrader > Formgrader); the scores include them once given.")
        lines.append(f"Written answers still to grade by hand: {len(waiting)} of {len(outcomes)} submission(s)"
                     + (f" ({shorten(', '.join(waiting), 80)})." if waiting else "."))
    again = [(o.student, cell, why) for o in outcomes for cell, why in o.look_again]
    if again:
        lines.append(f"Hand grades to look at again ({len(again)}; the old ones are in grading_history.json):")
        lines += [f"  {student} {cell}: {why}" for student, cell, why in again]
    if not all(o.protected for o in outcomes):
        lines.append("Graded WITHOUT a sandbox (--no-sandbox): these grades are not protected from the students' code.")
    passed = f"{sum(1 for o in outcomes if o.tests_passed)} passing every test, " if by_hand else ""
    lines.append(f"{len(outcomes)} submissions, {passed}{full} with full marks, mean score {mean:.1f}")
    return "\n".join(lines)
