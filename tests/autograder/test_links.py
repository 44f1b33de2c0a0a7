"""Submission files are data, never links: no link in ``submitted/`` reaches the solutions, the
gradebook or anything else outside the submission's folder, whoever put it there (collect, nbgrader's
exchange, a lecturer copying folders by hand). One test per way in."""
import json
import logging
import os

import nbformat
import pytest

from autograder.autograde import autograde, data_files, find_submissions
from autograder.collect import collect
from autograder.course_directory import ensure_assignment
from autograder.sandbox import Limits
from tests.autograder.submissions import ASSIGNMENT, STUDENT
from tests.autograder.attacks import with_cell_after

SOLUTION = f"../../../solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"  # from submitted/<student>/<lab>/
LIMITS = Limits(cell_timeout=15, notebook_timeout=120, memory_mb=1500)

# Reads the file it was handed beside the notebook and, if it is the lab's solution notebook, runs
# the solution code of every answer cell: full marks for a blank notebook, if the file is there.
USE_THE_SOLUTION = r'''
import json, pathlib, re
for _name in ("answers.json", "data/answers.json"):
    _path = pathlib.Path(_name)
    if _path.is_file():
        for _cell in json.loads(_path.read_text())["cells"]:
            _code = "".join(_cell["source"])
            if _cell["cell_type"] == "code" and "BEGIN SOLUTION" in _code:
                exec(re.sub(r"#+ (BEGIN|END) SOLUTION", "", _code), globals())
'''


def _folder(course, student):
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    return folder


def _blank(folder, attack=True):
    """The untouched notebook; with ``attack``, USE_THE_SOLUTION after each answer cell."""
    notebook = STUDENT
    answers = [c.metadata["nbgrader"]["grade_id"] for c in STUDENT.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    for grade_id in answers if attack else ():
        notebook = with_cell_after(notebook, grade_id, USE_THE_SOLUTION)
    nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")


def _warnings(caplog):
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.fixture
def course(tmp_path):
    course = ensure_assignment(tmp_path / "course", ASSIGNMENT)
    (course / "instructor").mkdir()
    nbformat.write(nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4),
                   course / "instructor" / f"{ASSIGNMENT}.ipynb")
    return course


def test_a_data_file_linked_to_the_solutions_is_not_given_to_the_kernel(course, caplog):
    folder = _folder(course, "eve")
    _blank(folder)
    (folder / "answers.json").symlink_to(SOLUTION)
    (folder / "points.csv").write_text("1,2\n")
    files = data_files(course / "solutions" / ASSIGNMENT, folder)
    assert files == {"points.csv": b"1,2\n"}
    assert f"{folder / 'answers.json'} is a symbolic link; it is left out of grading (links are never followed)." \
        in _warnings(caplog)


def test_a_link_to_the_gradebook_or_a_linked_folder_is_not_given_to_the_kernel(course, caplog):
    folder = _folder(course, "eve")
    _blank(folder)
    (folder / "grades.db").symlink_to("../../../gradebook.db")
    (folder / "data").symlink_to(f"../../../solutions/{ASSIGNMENT}", target_is_directory=True)
    assert data_files(course / "solutions" / ASSIGNMENT, folder) == {}
    warnings = _warnings(caplog)
    assert any(str(folder / "grades.db") in w and "symbolic link" in w for w in warnings)
    assert any(str(folder / "data") in w and "symbolic link" in w for w in warnings)


def test_a_hard_link_to_a_file_outside_and_a_fifo_are_not_read(course, caplog):
    folder = _folder(course, "eve")
    _blank(folder)
    os.link(course / "instructor" / f"{ASSIGNMENT}.ipynb", folder / "answers.json")
    os.mkfifo(folder / "pipe.csv")  # reading it would block grading forever
    assert data_files(folder) == {}
    warnings = _warnings(caplog)
    assert f"{folder / 'answers.json'} is a hard link to another file; it is left out of grading (links are never " \
           "followed)." in warnings
    assert any(str(folder / "pipe.csv") in w and "is not a regular file" in w for w in warnings)


def test_the_labs_text_twin_never_travels(tmp_path):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / f"{ASSIGNMENT}.ipynb").write_text("{}")
    (lab / f"{ASSIGNMENT}.py").write_text("# the solution in jupytext's percent format")
    (lab / "helpers.py").write_text("X = 1\n")
    assert data_files(lab) == {"helpers.py": b"X = 1\n"}


def test_linked_notebooks_and_folders_are_not_graded(course, caplog):
    _blank(_folder(course, "honest"), attack=False)
    (_folder(course, "linked") / f"{ASSIGNMENT}.ipynb").symlink_to(SOLUTION)
    os.link(course / "instructor" / f"{ASSIGNMENT}.ipynb", _folder(course, "hardlinked") / f"{ASSIGNMENT}.ipynb")
    (course / "submitted" / "folder_link").symlink_to(course / "submitted" / "honest", target_is_directory=True)
    (course / "submitted" / "lab_link").mkdir()
    (course / "submitted" / "lab_link" / ASSIGNMENT).symlink_to("../honest/" + ASSIGNMENT)
    assert [student for student, *_ in find_submissions(course, ASSIGNMENT)] == ["honest"]
    warnings = _warnings(caplog)
    for name, why in [(f"linked/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", "is a symbolic link"),
                      (f"hardlinked/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", "is a hard link to another file"),
                      (f"folder_link/{ASSIGNMENT}", "is a symbolic link"), (f"lab_link/{ASSIGNMENT}", "is a symbolic link")]:
        assert f"submitted/{name} {why}; it is left out of grading (links are never followed)." in warnings, name


def test_collect_refuses_links_hard_links_and_fifos_by_name(tmp_path):
    downloads = tmp_path / "downloads"
    alice = downloads / "alice"
    alice.mkdir(parents=True)
    nbformat.write(STUDENT, alice / f"{ASSIGNMENT}.ipynb")
    (tmp_path / "secret.csv").write_text("the lecturer's")
    os.link(tmp_path / "secret.csv", alice / "secret.csv")
    os.mkfifo(alice / "pipe.csv")
    (downloads / f"bob_{ASSIGNMENT}.ipynb").symlink_to(tmp_path / "secret.csv")
    (downloads / "carol").mkdir()
    (downloads / "carol" / f"{ASSIGNMENT}.ipynb").symlink_to(alice / f"{ASSIGNMENT}.ipynb")
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    assert list(report.placed) == ["alice"]
    assert report.warnings == ["alice holds files that are not collected: pipe.csv is not a regular file; "
                               "secret.csv is a hard link to another file."]
    assert report.problems == [f"bob_{ASSIGNMENT}.ipynb: is a symbolic link; not collected.",
                               f"carol: contains no notebook that is a regular file ({ASSIGNMENT}.ipynb is a symbolic "
                               "link); not collected."]
    assert not (tmp_path / "course" / "submitted" / "alice" / ASSIGNMENT / "secret.csv").exists()


def test_a_blank_notebook_with_linked_solutions_scores_zero(course):
    """The whole attack, graded: the same code given a real copy of the solutions scores full
    marks (so the attack works), given links it scores zero."""
    solution_text = (course / "instructor" / f"{ASSIGNMENT}.ipynb").read_text()
    control = _folder(course, "control_copy")
    _blank(control)
    (control / "answers.json").write_text(solution_text)
    linked = _folder(course, "linked_data")
    _blank(linked)
    (linked / "answers.json").symlink_to(SOLUTION)
    (linked / "data").symlink_to(f"../../../solutions/{ASSIGNMENT}", target_is_directory=True)
    hard = _folder(course, "hard_linked_data")
    _blank(hard)
    os.link(course / "instructor" / f"{ASSIGNMENT}.ipynb", hard / "answers.json")
    (_folder(course, "linked_notebook") / f"{ASSIGNMENT}.ipynb").symlink_to(SOLUTION)
    outcomes = {o.student: o for o in autograde(course, ASSIGNMENT, workers=2, limits=LIMITS, progress=False)}
    assert sorted(outcomes) == ["control_copy", "hard_linked_data", "linked_data"]
    control_outcome = outcomes["control_copy"]
    assert control_outcome.score == control_outcome.max_score - control_outcome.manual_points > 0
    assert outcomes["linked_data"].score == 0 and outcomes["hard_linked_data"].score == 0
    graded = json.loads((course / "autograded" / "linked_data" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    assert "gradebook" not in json.dumps(graded["cells"])


def test_data_in_subfolders_travels_and_links_there_do_not(tmp_path, caplog):
    folder = tmp_path / "submission"
    (folder / "data" / "deeper").mkdir(parents=True)
    (folder / "data" / "a.csv").write_text("a")
    (folder / "data" / "deeper" / "b.csv").write_text("b")
    (folder / "data" / "deeper" / "c.csv").symlink_to("/etc/hostname")
    (folder / "z.csv").write_text("z")
    assert data_files(folder) == {"data/a.csv": b"a", "data/deeper/b.csv": b"b", "z.csv": b"z"}
    assert [w for w in _warnings(caplog) if "c.csv is a symbolic link" in w]
