"""`course-grade similarity` on the generated class: the planted copies (renamed, reordered,
reformatted, all three) are the top of the list, independent solutions below them."""
import csv
import subprocess
import sys

import numpy as np
import pytest

from autograder.similarity import answer_code, find_similar, starter_code, write_similarity
from tests.autograder.generated_class import CLASS, copied_pairs, notebook, rename, reformat, reorder, write_class
from tests.autograder.submissions import ASSIGNMENT, SOURCE, STUDENT
from tests.notebook_tools import ROOT


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("class")
    (course / "solutions").symlink_to(ROOT / "solutions", target_is_directory=True)
    write_class(course)
    return course


@pytest.fixture(scope="module")
def pairs(course):
    return find_similar(course, ASSIGNMENT)


def test_the_planted_copies_are_the_top_of_the_list(pairs):
    copies = copied_pairs()
    top = {(p.student_a, p.student_b) for p in pairs[:len(copies)]}
    assert top == copies, [(p.student_a, p.student_b, p.similarity) for p in pairs[:8]]


def test_independent_solutions_are_clearly_below_the_copies(pairs):
    copies = copied_pairs()
    lowest_copy = min(p.similarity for p in pairs if (p.student_a, p.student_b) in copies)
    highest_other = max(p.similarity for p in pairs if (p.student_a, p.student_b) not in copies)
    assert lowest_copy > 0.75 and highest_other < lowest_copy - 0.1, (lowest_copy, highest_other)


def test_an_untouched_notebook_has_no_code_of_its_own(pairs):
    assert "untouched" not in {p.student_a for p in pairs} | {p.student_b for p in pairs}
    assert len(pairs) == (len(CLASS) - 1) * (len(CLASS) - 2) // 2


@pytest.mark.parametrize("disguise", [rename, reorder, reformat])
def test_the_disguises_change_the_text_but_not_what_the_code_does(disguise):
    cell = next(c for c in notebook(CLASS["student01"]).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "affine_backward").source
    changed = disguise(cell)
    assert changed != cell
    rng = np.random.default_rng(0)
    x, w, b, dout = rng.normal(size=(4, 3, 2)), rng.normal(size=(6, 5)), rng.normal(size=5), rng.normal(size=(4, 5))
    results = []
    for code in (cell, changed):
        namespace = {"np": np}
        exec(code, namespace)  # noqa: S102 - the generated answer
        results.append(namespace["affine_backward"](dout, (x, w, b)))
    for original, disguised in zip(*results):
        np.testing.assert_allclose(disguised, original)


def test_the_copier_of_all_three_disguises_looks_different():
    copied = answer_code(notebook(CLASS["copier_4"]), SOURCE)
    assert "_mine" in copied and "# the next step" in copied and "\n  " in copied
    assert copied != answer_code(notebook(CLASS[CLASS["copier_4"].copy_of]), SOURCE)


def test_answer_code_leaves_out_the_tests_and_the_given_cells():
    code = answer_code(notebook(CLASS["student01"]), SOURCE)
    assert "check_affine_forward(" not in code and "import numpy as np" not in code.splitlines()[:1]
    assert answer_code(STUDENT, SOURCE).count("raise NotImplementedError()") >= 6  # the starter, nothing else
    starter = starter_code(SOURCE)
    assert "### BEGIN SOLUTION" not in starter and "import numpy as np" in starter and "check_affine_forward(" not in starter


def test_the_files_list_every_pair_highest_first_and_show_the_top_side_by_side(course, tmp_path):
    pairs, csv_path, html_path = write_similarity(course, ASSIGNMENT, tmp_path / "similarity.csv")
    with csv_path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student_a", "student_b", "similarity"] and len(rows) == len(pairs)
    values = [float(row["similarity"]) for row in rows]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 1 for v in values)
    page = html_path.read_text()
    first = pairs[0]
    assert f"<h2>{first.student_a} and {first.student_b}: {first.similarity:.2f}</h2>" in page
    assert page.count('<section class="pair">') == 10 and "<mark>" in page


def test_the_command_writes_into_the_grading_folder(course):
    result = subprocess.run([sys.executable, "-m", "autograder", "similarity", ASSIGNMENT, "--course", str(course)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (course / f"similarity-{ASSIGNMENT}.csv").exists() and (course / f"similarity-{ASSIGNMENT}.html").exists()
    top = result.stdout.splitlines()[1].split()
    assert tuple(sorted(top[:2])) in copied_pairs()


def test_an_unknown_lab_is_one_clear_sentence(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder", "similarity", "99_nothing", "--course", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == "course-grade similarity: There is no assignment '99_nothing' in solutions/."
