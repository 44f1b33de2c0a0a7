"""A batch of lab-01 submissions that covers what students (and their code) do to a grader."""
import copy

import nbformat

from autograder.fill_solutions import fill_solutions
from tests.notebook_tools import ROOT, read

ASSIGNMENT = "01_backprop"
SOURCE = read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
STUDENT = read(ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

WRONG_AFFINE_BACKWARD = '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.mean(axis=0)  # should be a sum over the batch
    return dx, dw, db
'''


def _solved(**replacements):
    return fill_solutions(STUDENT, SOURCE, replacements)


def _index(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _answer(grade_id):
    from autograder.fill_solutions import solution_code

    return solution_code(SOURCE.cells[_index(SOURCE, grade_id)])


def deleted_test_cell():
    notebook = _solved()
    del notebook.cells[_index(notebook, "test_softmax_cross_entropy")]
    return notebook


def duplicated_cells():
    notebook = _solved()
    for grade_id in ("affine_backward", "test_relu"):
        index = _index(notebook, grade_id)
        twin = copy.deepcopy(notebook.cells[index])
        twin["id"] = twin["id"] + "-copy"
        notebook.cells.insert(index + 1, twin)
    return notebook


def test_cell_as_markdown():
    notebook = _solved()
    cell = notebook.cells[_index(notebook, "test_relu")]
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    return notebook


def reordered():
    notebook = _solved()
    test = notebook.cells.pop(_index(notebook, "test_affine_forward"))
    notebook.cells.insert(_index(notebook, "affine_forward"), test)  # the test now runs before the answer
    return notebook


TAMPERING = {
    "allclose": "import numpy\nnumpy.allclose = lambda *args, **kwargs: True\nnumpy.max = lambda *args, **kwargs: 0.0\n",
    "checks_patched": (
        "import course.checks, course.checks.judging\n"
        "course.checks.judging.compare = lambda *args, **kwargs: 0.0\n"
        "course.checks.check_affine_backward = lambda *args, **kwargs: None\n"
        "check_affine_backward = lambda *args, **kwargs: None\n"
    ),
    "traceback_hidden": (
        "ip = get_ipython()\n"
        "ip.showtraceback = lambda *args, **kwargs: None\n"
        "type(ip)._showtraceback = lambda *args, **kwargs: None\n"
    ),
}

WARNINGS = '''
import sys, warnings

def affine_forward(x, w, b):
    warnings.warn("this is only a warning")
    print("debugging output on stderr", file=sys.stderr)
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)
'''

USES_TORCH = '''
import torch

def affine_backward(dout, cache):
    x, w, b = (torch.tensor(a) for a in cache)
    g = torch.tensor(dout)
    return (g @ w.T).reshape(x.shape).numpy(), (x.reshape(len(x), -1).T @ g).numpy(), g.sum(0).numpy()
'''

USES_REFERENCE = '''
from course.layers import affine_backward as reference_affine_backward

def affine_backward(dout, cache):
    return reference_affine_backward(dout, cache)
'''

# student -> (notebook or raw text, expected score, a phrase the feedback must contain)
BATCH = {
    "correct": (lambda: _solved(), 16, None),
    "wrong_backward": (lambda: _solved(affine_backward=WRONG_AFFINE_BACKWARD), 10, "averages dout over the batch"),
    "untouched": (lambda: STUDENT, 0, "not implemented yet"),
    "infinite_loop": (lambda: _solved(relu="while True:\n    pass\n" + _answer("relu")), 11, "ran longer than the limit"),
    "memory_bomb": (lambda: _solved(relu="import numpy as np\nhog = [np.ones(10**8) for _ in range(100)]"), 5,
                    "memory limit"),
    "sys_exit": (lambda: _solved(sigmoid="import sys\nsys.exit()\n" + _answer("sigmoid")), 13, "SystemExit"),
    "os_exit": (lambda: _solved(relu="import os\nos._exit(1)"), 5, "kernel stopped"),
    "deleted_test": (deleted_test_cell, 16, "was missing; it was put back"),
    "duplicated": (duplicated_cells, 16, "appeared 2 times"),
    "markdown_test": (test_cell_as_markdown, 16, "changed from code to markdown"),
    "reordered": (reordered, 16, "out of order"),
    "warnings": (lambda: _solved(affine_forward=WARNINGS), 16, None),
    "invalid_json": (lambda: '{"cells": [ this is not json', 0, "not valid JSON"),
    "network": (lambda: _solved(relu='import urllib.request\nurllib.request.urlopen("http://example.com", timeout=5)\n'
                               + _answer("relu")), 11, "network access is disabled"),
    "policy_torch": (lambda: _solved(affine_backward=USES_TORCH), 10, "torch is not available while grading"),
    "policy_reference": (lambda: _solved(affine_backward=USES_REFERENCE), 10, "is not available while grading"),
    **{
        f"tamper_{name}": (lambda code=code: _solved(affine_backward=WRONG_AFFINE_BACKWARD + "\n" + code), 10,
                           "averages dout over the batch")
        for name, code in TAMPERING.items()
    },
}


def write_submission(course, student, content):
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    if isinstance(content, str):
        path.write_text(content)
    else:
        nbformat.write(content, path)
    return path


def write_batch(course, students=None):
    for student, (make, _, _) in BATCH.items():
        if students is None or student in students:
            write_submission(course, student, make())


__all__ = ["ASSIGNMENT", "BATCH", "write_batch", "write_submission"]
