"""Bring a submission back to the lab's structure before it runs, and say what was wrong.

Students delete, duplicate, split, reorder and retype cells. nbgrader stops on a duplicated
cell and silently drops the points of a deleted test. Here every defect is mended as far as
possible and named in one sentence for the feedback:

* a cell retyped (code to markdown) is turned back;
* a graded cell that appears twice keeps its identity once, the copies run as ordinary cells;
* a missing test or read-only cell is put back from the source, a missing answer cell as a stub;
* cells out of order are put back in the lab's order (cells the student added travel with the
  cell above them);
* test and read-only cells get their original content, hidden tests included.
"""
import dataclasses
import re

import nbformat

HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


@dataclasses.dataclass(frozen=True)
class SourceCell:
    """One cell of the lab that nbgrader knows by its ``grade_id`` (from the gradebook)."""

    grade_id: str
    cell_type: str
    source: str
    locked: bool
    grade: bool
    solution: bool
    points: float = 0.0
    forbid: tuple = ()

    @property
    def is_test(self):
        return self.grade and not self.solution

    def student_view(self):
        """The content as released to students: hidden tests removed."""
        return HIDDEN_TESTS.sub("", self.source).strip()


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _well_formed(cell, defects):
    """Mend what is of the wrong type (metadata, nbgrader's metadata, a grade id, the source)
    so that the rest of the repair, and the grader after it, can rely on the types."""
    name = f"Cell {cell.get('id') or '?'}"
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = nbformat.NotebookNode()
        defects.append(f"{name} had malformed metadata; it was removed.")
    nbgrader = cell.metadata.get("nbgrader", {})
    if not isinstance(nbgrader, dict) or not isinstance(nbgrader.get("grade_id", ""), str) or nbgrader.get("grade_id") == "":
        del cell.metadata["nbgrader"]
        defects.append(f"{name} had malformed nbgrader metadata; it was graded as an ordinary cell.")
    source = cell.get("source", "")
    if not isinstance(source, str):
        joined = isinstance(source, list) and all(isinstance(line, str) for line in source)
        cell["source"] = "".join(source) if joined else ""
        if not joined:
            defects.append(f"{name} had a source that is not text; it was emptied.")
    if cell.get("cell_type") not in ("code", "markdown", "raw"):
        cell["cell_type"] = "raw"
        defects.append(f"{name} had an unknown cell type; it was kept as a raw cell.")
    if cell.cell_type == "code" and not isinstance(cell.get("outputs"), list):
        cell["outputs"] = []


def _new_cell(source_cell):
    maker = nbformat.v4.new_code_cell if source_cell.cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = maker(source_cell.source)
    cell.metadata["nbgrader"] = _metadata(source_cell)
    return cell


def _metadata(source_cell):
    metadata = {"grade": source_cell.grade, "grade_id": source_cell.grade_id, "locked": source_cell.locked,
                "schema_version": 3, "solution": source_cell.solution, "task": False}
    if source_cell.grade:
        metadata["points"] = source_cell.points
    return metadata


def _set_type(cell, cell_type):
    if cell_type == "code":
        cell.cell_type, cell.outputs, cell.execution_count = "code", [], None
        cell.pop("attachments", None)
    else:
        cell.cell_type = cell_type
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def repair(notebook, source_cells):
    """Return ``(repaired notebook, defects)``; ``source_cells`` in the lab's order."""
    known = {cell.grade_id: cell for cell in source_cells}
    order = {cell.grade_id: position for position, cell in enumerate(source_cells)}
    defects = []
    cells = [cell for cell in notebook.cells if isinstance(cell, dict)]
    for cell in cells:
        _well_formed(cell, defects)

    # 1. Identity: drop unknown or repeated grade_ids (the first occurrence keeps its identity).
    seen = {}
    for cell in cells:
        grade_id = _grade_id(cell)
        if grade_id is None:
            continue
        if grade_id not in known:
            del cell.metadata["nbgrader"]
            defects.append(f"A cell claimed to be '{grade_id}', which this lab does not have; it was graded as an ordinary cell.")
        elif grade_id in seen:
            seen[grade_id] += 1
            if known[grade_id].locked or known[grade_id].is_test:
                cell.metadata["drop"] = True
            else:
                del cell.metadata["nbgrader"]
        else:
            seen[grade_id] = 1
    for grade_id, count in seen.items():
        if count > 1:
            defects.append(f"The cell '{grade_id}' appeared {count} times (copied or split); it was graded once, "
                           "and the code of any copies of an answer cell ran as ordinary cells.")
    cells = [cell for cell in cells if not cell.metadata.pop("drop", False)]

    # 2. Retyped cells go back to their type.
    for cell in cells:
        grade_id = _grade_id(cell)
        if grade_id and cell.cell_type != known[grade_id].cell_type:
            defects.append(f"The cell '{grade_id}' had been changed from {known[grade_id].cell_type} to "
                           f"{cell.cell_type}; it was changed back.")
            _set_type(cell, known[grade_id].cell_type)

    # 3. Groups: each known cell with the student's own cells that follow it.
    groups, leading = [], []
    for cell in cells:
        if _grade_id(cell):
            groups.append([cell])
        elif groups:
            groups[-1].append(cell)
        else:
            leading.append(cell)
    present = [_grade_id(group[0]) for group in groups]
    if present != sorted(present, key=order.get):
        defects.append("Some cells were out of order; they were put back in the lab's order before grading.")
        groups.sort(key=lambda group: order[_grade_id(group[0])])

    # 4. Missing cells come back from the source, after the nearest cell that precedes them there.
    for source_cell in source_cells:
        if source_cell.grade_id in seen:
            continue
        position = sum(1 for group in groups if order[_grade_id(group[0])] < order[source_cell.grade_id])
        groups.insert(position, [_new_cell(source_cell)])
        kind = "test cell" if source_cell.is_test else "answer cell" if source_cell.solution else "read-only cell"
        what = "it was put back" + (" empty, so its exercise scores zero" if source_cell.solution else "")
        defects.append(f"The {kind} '{source_cell.grade_id}' was missing; {what}.")

    # 5. Locked cells (tests included) get their original content and metadata.
    for group in groups:
        cell = group[0]
        source_cell = known[_grade_id(cell)]
        if source_cell.locked or source_cell.is_test:
            if cell.source.strip() not in (source_cell.source.strip(), source_cell.student_view()):
                defects.append(f"The read-only cell '{source_cell.grade_id}' had been edited; the original was restored.")
            cell.source = source_cell.source
        cell.metadata["nbgrader"] = _metadata(source_cell)

    metadata = notebook.get("metadata")
    repaired = nbformat.v4.new_notebook(metadata=metadata if isinstance(metadata, dict) else {})
    repaired.cells = leading + [cell for group in groups for cell in group]
    _unique_ids(repaired)
    return repaired, defects


def _unique_ids(notebook):
    used = set()
    for number, cell in enumerate(notebook.cells):
        identifier = cell.get("id") if isinstance(cell.get("id"), str) and cell.get("id") else f"cell-{number}"
        while identifier in used:
            identifier = f"{identifier}-{number}"
        cell["id"] = identifier
        used.add(identifier)
