"""``course-grade similarity``: pairs of submissions whose answer code is suspiciously alike.

Built on copydetect (winnowing, the method MOSS uses): each submission's answer code is
tokenized, names become one symbol (so renamed variables change nothing), whitespace and
comments are dropped (so reformatting changes nothing), and the code's k-grams are hashed and
winnowed into fingerprints. Reordered lines keep the fingerprints inside each line. Fingerprints
of the starter code and of the notebook's given code are removed, and so are those that more
than half the class shares (code everyone writes, as MOSS's ``-m`` ignores): what is left is
what a student wrote. A pair's similarity is the mean of the two shares of each submission's
remaining code found in the other, from 0 to 1.

Writes ``similarity-LAB.csv`` (student_a, student_b, similarity; highest first) and
``similarity-LAB.html`` (the top pairs side by side, shared code highlighted).
"""
import copy
import csv
import dataclasses
import html
import io
import itertools
from pathlib import Path

import nbformat
import numpy as np

NOISE = 10  # k: matches shorter than this many characters of tokenized code are ignored
COMMON = 0.5  # fingerprints in more than this share of the submissions are ignored
TOP = 10  # pairs shown side by side on the page


@dataclasses.dataclass
class Pair:
    student_a: str
    student_b: str
    similarity: float
    code_a: str = ""  # the answer code, HTML, shared parts marked
    code_b: str = ""


def _grade_ids(cells, **flags):
    return {c.metadata["nbgrader"]["grade_id"] for c in cells
            if "grade_id" in c.metadata.get("nbgrader", {})
            and all(bool(c.metadata["nbgrader"].get(k)) == v for k, v in flags.items())}


def starter_code(source):
    """The code a student is given: every code cell of the source notebook but the tests, with
    each solution region as the student version has it; then the answer cells alone, joined as
    ``answer_code`` joins them (so an untouched notebook has nothing of its own)."""
    from nbgrader.preprocessors import ClearSolutions

    tests, answers = _grade_ids(source.cells, grade=True, solution=False), _grade_ids(source.cells, solution=True)
    released, _ = ClearSolutions().preprocess(copy.deepcopy(source), {})  # as nbgrader releases it
    cells = [(c.metadata.get("nbgrader", {}).get("grade_id"), c.source) for c in released.cells if c.cell_type == "code"]
    return "\n\n".join([code for grade_id, code in cells if grade_id not in tests]
                       + [code for grade_id, code in cells if grade_id in answers])


def answer_code(submission, source):
    """What a student wrote: the answer cells, and code cells of their own (not the lab's)."""
    answers = _grade_ids(source.cells, solution=True)
    known = _grade_ids(source.cells)
    given = {c.source.strip() for c in source.cells if c.cell_type == "code"}
    parts = []
    for cell in submission.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if grade_id in answers or (grade_id not in known and cell.source.strip() not in given):
            parts.append(cell.source)
    return "\n\n".join(parts)


def _fingerprint(code, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint("answer.py", NOISE, 1, boilerplate=boilerplate, fp=io.StringIO(code))


def _submissions(course, assignment):
    found = {}
    from .autograde import find_submissions  # links are not followed: what autograde grades

    for student, name, path, _ in find_submissions(course, assignment):
        try:
            found.setdefault(student, {})[name] = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable notebook has no code to compare
            continue
    return found


def find_similar(course, assignment):
    """Every pair of submissions with answer code, most alike first: a list of Pair."""
    from copydetect import compare_files

    course = Path(course)
    sources = {p.stem: nbformat.read(p, as_version=4) for p in sorted((course / "solutions" / assignment).glob("*.ipynb"))}
    if not sources:
        raise FileNotFoundError(f"There is no assignment '{assignment}' in solutions/.")
    code = {}
    for student, notebooks in _submissions(course, assignment).items():
        text = "\n\n".join(answer_code(nb, sources[name]) for name, nb in sorted(notebooks.items()) if name in sources)
        if text.strip():
            code[student] = text
    starter = set().union(*(_fingerprint(starter_code(s)).hashes for s in sources.values()))
    counts = {}
    for text in code.values():
        for value in _fingerprint(text).hashes:
            counts[value] = counts.get(value, 0) + 1
    common = {value for value, count in counts.items() if count > COMMON * len(code)} if len(code) > 2 else set()
    boilerplate = np.array(sorted(starter | common))
    prints = {student: _fingerprint(text, boilerplate) for student, text in code.items()}
    pairs, shared = [], {}
    for a, b in itertools.combinations(sorted(prints), 2):
        if not prints[a].hashes or not prints[b].hashes:
            continue
        _, (share_a, share_b), shared[a, b] = compare_files(prints[a], prints[b])
        pairs.append(Pair(a, b, round(float(share_a + share_b) / 2, 4)))
    pairs.sort(key=lambda p: (-p.similarity, p.student_a, p.student_b))
    for pair in pairs[:TOP]:
        slices = shared[pair.student_a, pair.student_b]
        pair.code_a, pair.code_b = (_marked(code[student], part) for student, part in
                                    ((pair.student_a, slices[0]), (pair.student_b, slices[1])))
    return pairs


def _marked(text, slices):
    """``text`` as HTML with the ``slices`` (starts, ends) it shares with the other submission marked."""
    from copydetect.utils import highlight_overlap

    if not np.size(slices) or not len(slices[0]):
        return html.escape(text)
    return highlight_overlap(text, np.asarray(slices), "<mark>", "</mark>", escape_html=True)[0]


def write_similarity(course, assignment, csv_path=None, html_path=None):
    """Write the CSV and the page; returns (pairs, csv path, html path)."""
    course = Path(course)
    pairs = find_similar(course, assignment)
    csv_path = Path(csv_path or course / f"similarity-{assignment}.csv")
    html_path = Path(html_path or csv_path.with_suffix(".html"))
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_a", "student_b", "similarity"])
        from .export import csv_cell  # an id cannot become a spreadsheet formula

        writer.writerows((csv_cell(p.student_a), csv_cell(p.student_b), f"{p.similarity:.4f}") for p in pairs)
    html_path.write_text(_page(assignment, pairs), encoding="utf-8")
    return pairs, csv_path, html_path


def _page(assignment, pairs):
    rows = "\n".join(f"<tr><td>{html.escape(p.student_a)}</td><td>{html.escape(p.student_b)}</td>"
                     f"<td>{p.similarity:.2f}</td></tr>" for p in pairs[:20])
    sections = "\n".join(
        f'<section class="pair"><h2>{html.escape(p.student_a)} and {html.escape(p.student_b)}: {p.similarity:.2f}</h2>'
        f'<div class="sides"><div><h3>{html.escape(p.student_a)}</h3><pre>{p.code_a}</pre></div>'
        f'<div><h3>{html.escape(p.student_b)}</h3><pre>{p.code_b}</pre></div></div></section>'
        for p in pairs[:TOP])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similar submissions: {html.escape(assignment)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 1400px; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; }}
.sides {{ display: flex; gap: 1em; }} .sides > div {{ flex: 1; min-width: 0; }}
pre {{ background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 85%; }}
mark {{ background: #ffd27f; }}
</style></head><body>
<h1>Similar submissions: {html.escape(assignment)}</h1>
<p>Answer code only: the starter code, the notebook's given code and code most of the class shares are left
out; names, layout and comments do not count. A high score is a reason to look, not a verdict. The 20 most
alike pairs are listed (every pair is in the CSV), the top ones side by side below.</p>
<table><tr><th>student</th><th>student</th><th>similarity</th></tr>
{rows}
</table>
{sections}
</body></html>
"""


def summary(pairs, count=5):
    """The top pairs, one line each, for the terminal."""
    if not pairs:
        return "No two submissions with answer code to compare."
    width = max(len(p.student_a) for p in pairs[:count])
    return "\n".join(f"  {p.student_a:<{width}}  {p.student_b}  {p.similarity:.2f}" for p in pairs[:count])


__all__ = ["Pair", "answer_code", "find_similar", "starter_code", "summary", "write_similarity"]
