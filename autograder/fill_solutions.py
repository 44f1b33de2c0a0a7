"""Student notebooks with answers filled in: the reference solutions, or code of your choice.

Used to make realistic submissions for tests and benchmarks, and to run the student
notebooks end to end with working answers (as a self-learner's notebook would be).
"""
import copy

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def solution_code(source_cell):
    """The instructor's cell as a student would have typed it: without the region markers."""
    lines = source_cell.source.splitlines()
    return "\n".join(line for line in lines if line.strip() not in SOLUTION_MARKERS)


def _solution_cells(notebook):
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def fill_solutions(student_notebook, source_notebook, replacements=None):
    """A copy of ``student_notebook`` whose answer cells hold the source's solutions.

    ``replacements`` maps a cell's ``grade_id`` to the code to put there instead (for example a
    deliberately wrong backward pass).
    """
    replacements = replacements or {}
    solutions = _solution_cells(source_notebook)
    unknown = set(replacements) - set(solutions)
    if unknown:
        raise KeyError(f"No answer cell with grade_id {', '.join(sorted(unknown))}; known: {', '.join(solutions)}.")
    filled = copy.deepcopy(student_notebook)
    for grade_id, cell in _solution_cells(filled).items():
        if grade_id in replacements:
            cell.source = replacements[grade_id]
        elif grade_id in solutions:
            cell.source = solution_code(solutions[grade_id])
    return filled
