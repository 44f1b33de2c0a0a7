"""The autograded notebook as a lecturer's page shows it: nothing a student wrote may run there.

Formgrader renders the autograded notebook inside the lecturer's Jupyter origin, where a script
could do anything the lecturer can (change grades, read every file). So the graded copy keeps,
of what the kernel returned, only plain text (``MAX_TEXT_PER_CELL`` characters a cell) and PNG
images (``MAX_PNG_BYTES`` each, ``MAX_PNG_PER_CELL`` a cell, ``MAX_PNG_PER_NOTEBOOK`` in all);
``text/html``, ``application/javascript``, ``image/svg+xml`` and every other type become one
line that says so. A Markdown cell whose rendering holds anything beyond what plain Markdown
makes (raw HTML, a ``javascript:`` link, TeX's ``\\href``) is shown as plain text instead, every
character of it kept; clean answers stay byte for byte as written (nbgrader compares them with
the lab's). Raw cells are marked plain text, which nbconvert does not render.
"""
import base64
import binascii
import functools
import html.parser
import json
import re

import nbformat

MAX_TEXT_PER_CELL = 100_000  # characters of text output one cell keeps
MAX_TEXT_PER_NOTEBOOK = 2_000_000
MAX_PNG_BYTES = 1 << 20  # one image
MAX_PNG_PER_CELL = 4 << 20
MAX_PNG_PER_NOTEBOOK = 16 << 20
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEPT_TYPES = ("text/plain", "image/png")


class _Budget:
    def __init__(self, text=MAX_TEXT_PER_CELL, png=MAX_PNG_PER_CELL):
        self.text, self.png, self.cut = text, png, False

    def clip(self, value):
        """``value`` as text, cut where this cell's text budget ends (said once)."""
        if isinstance(value, list) and all(isinstance(part, str) for part in value):
            value = "".join(value)
        if not isinstance(value, str) or not value or self.cut:
            return ""
        if len(value) <= self.text:
            self.text -= len(value)
            return value
        self.cut = True
        return value[: self.text] + f"\n… [cut here: the grader keeps {MAX_TEXT_PER_CELL // 1000} kB of text output per cell]\n"

    def image(self, value):
        """``(base64 PNG, None)`` or ``(None, why it was not kept)``."""
        if isinstance(value, list) and all(isinstance(part, str) for part in value):
            value = "".join(value)
        if not isinstance(value, str):
            return None, "an image that is not base64 text"
        value = "".join(value.split())
        if len(value) > (MAX_PNG_BYTES * 4) // 3 + 4:
            return None, f"a PNG image larger than {MAX_PNG_BYTES >> 20} MB"
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None, "an image that is not base64 text"
        if not data.startswith(PNG_SIGNATURE):
            return None, "an image that is not a PNG"
        if len(data) > MAX_PNG_BYTES:
            return None, f"a PNG image larger than {MAX_PNG_BYTES >> 20} MB"
        if len(data) > self.png:
            return None, "a PNG image beyond the images a cell may keep"
        self.png -= len(data)
        return base64.b64encode(data).decode("ascii"), None


def _note(reasons):
    return f"[not kept: {'; '.join(reasons)[:300]}; the grader keeps plain text and PNG images]"


def _safe_output(output, budget):
    kind = output.get("output_type")
    if kind == "stream":
        text = budget.clip(output.get("text"))
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=text) if text else None
    if kind == "error":
        traceback = output.get("traceback") if isinstance(output.get("traceback"), list) else []
        return nbformat.v4.new_output("error", ename=budget.clip(str(output.get("ename", ""))[:200]) or "Error",
                                      evalue=budget.clip(str(output.get("evalue", ""))),
                                      traceback=[line for line in map(budget.clip, traceback[:200]) if line])
    if kind not in ("display_data", "execute_result"):
        return None
    data = output.get("data") if isinstance(output.get("data"), dict) else {}
    kept, reasons = {}, []
    if "image/png" in data:
        png, why = budget.image(data["image/png"])
        if png:
            kept["image/png"] = png
        else:
            reasons.append(why)
    left_out = sorted(str(key)[:60] for key in data if key not in KEPT_TYPES)
    if left_out:
        reasons.append(f"output of type {', '.join(left_out)}")
    text = budget.clip(data.get("text/plain"))
    if reasons and not text and not kept:
        text = budget.clip(_note(reasons))
    if text:
        kept["text/plain"] = text
    if not kept:
        return None
    if kind == "execute_result":
        count = output.get("execution_count")
        count = count if isinstance(count, int) and not isinstance(count, bool) and 0 <= count < 10**9 else None
        return nbformat.v4.new_output(kind, data=kept, execution_count=count)
    return nbformat.v4.new_output(kind, data=kept)


def safe_outputs(outputs, budget=None):
    """Of a cell's outputs (nbformat dictionaries from the kernel, trusted in nothing), the plain
    text and PNG images, size-capped, as fresh nbformat outputs with no metadata."""
    budget = budget or _Budget()
    kept = []
    for output in outputs[:1000] if isinstance(outputs, list) else []:
        made = _safe_output(output, budget) if isinstance(output, dict) else None
        if made is not None:
            kept.append(made)
    return kept


# -- Markdown -------------------------------------------------------------------------------------
ALLOWED = {  # what nbconvert's Markdown makes of plain Markdown: tag -> attributes
    **{tag: set() for tag in ("p", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "hr", "br", "table",
                              "thead", "tbody", "tr", "del", "s", "dl", "dt", "dd", "sup", "sub")},
    "div": {"class"}, "span": {"class"}, "code": {"class"},  # a code block, highlighted by Pygments
    **{f"h{level}": {"id"} for level in range(1, 7)},
    "a": {"href", "title", "class", "target"}, "img": {"src", "alt", "title"}, "li": {"class"},
    "th": {"style", "align"}, "td": {"style", "align"}, "input": {"class", "type", "disabled", "checked"},
}
SAFE_SCHEMES = ("http", "https", "mailto", "attachment")
SAFE_STYLE = re.compile(r"^\s*text-align\s*:\s*(left|right|center)\s*;?\s*$")
TEX_LINKS = re.compile(r"\\(href|url|unicode|class|cssId|style|require)\b")


class _Inspector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.unsafe, self.code_depth, self.text = [], 0, []

    def handle_starttag(self, tag, attributes):
        if tag in ("code", "pre"):
            self.code_depth += 1
        if tag not in ALLOWED:
            self.unsafe.append(f"<{tag}>")
            return
        for name, value in attributes:
            value = value or ""
            if name not in ALLOWED[tag] or (name == "style" and not SAFE_STYLE.match(value)) or \
                    (name == "type" and value != "checkbox"):
                self.unsafe.append(f"{tag} {name}")
            elif name in ("href", "src"):
                plain = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
                scheme = re.match(r"^([a-z][a-z0-9+.-]*):", plain)
                attached = tag == "img" and plain.startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))
                if (scheme and scheme[1] not in SAFE_SCHEMES and not attached) or plain.startswith("//"):
                    self.unsafe.append(f"{name}={scheme[1] if scheme else '//'}:")

    def handle_startendtag(self, tag, attributes):
        self.handle_starttag(tag, attributes)
        if tag in ("code", "pre"):
            self.code_depth -= 1

    def handle_endtag(self, tag):
        if tag in ("code", "pre") and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data):
        if not self.code_depth:  # MathJax typesets text outside code, where TeX's \href makes a link
            self.text.append(data)

    def handle_comment(self, data):
        self.unsafe.append("an HTML comment")

    def handle_pi(self, data):
        self.unsafe.append("a processing instruction")

    def handle_decl(self, decl):
        self.unsafe.append("a declaration")

    unknown_decl = handle_decl


@functools.lru_cache(maxsize=4096)  # the lab's own cells come again in every submission
def _hazards(source, attachments):
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    inspector = _Inspector()
    try:  # as formgrader renders it (an attachment that is missing stops nbconvert)
        inspector.feed(MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=json.loads(attachments)))
                       .render(source))
        inspector.close()
    except Exception as error:  # noqa: BLE001 - what nbconvert cannot render is shown as text
        return (f"Markdown nbconvert cannot render ({type(error).__name__})",)
    found = ["TeX's \\href"] if TEX_LINKS.search("".join(inspector.text)) else []
    return tuple(found + inspector.unsafe)


def markdown_hazards(source, attachments=None):
    """What in this Markdown (with these cell attachments) would be more than text in a browser
    (empty when nothing)."""
    return _hazards(source, json.dumps(attachments or {}, sort_keys=True))


def as_plain_text(source):
    """Markdown that shows ``source``, every character of it, as text in a code block."""
    longest = max((len(run) for run in re.findall(r"`+|~+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return (f"*The grader shows this cell as plain text: it held HTML or a link that a browser would act on.*\n\n"
            f"{fence}text\n{source}\n{fence}\n")


def safe_markdown(source, attachments=None):
    """``source`` itself when it is plain Markdown; else the same text, shown as plain text."""
    if not markdown_hazards(source, attachments):
        return source
    shown = as_plain_text(source)
    return shown if not markdown_hazards(shown) else "*The grader left out this cell: it could not be shown as plain text.*"


def clear_outputs(notebook):
    """Forget the outputs a submission came with: the graded copy shows the kernel's alone."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []


CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def for_lecturer(notebook):
    """Make ``notebook`` (the graded copy, in place) safe to render in a lecturer's browser."""
    notebook.metadata.pop("widgets", None)
    text, png = MAX_TEXT_PER_NOTEBOOK, MAX_PNG_PER_NOTEBOOK
    used = set()
    for index, cell in enumerate(notebook.cells):
        if not CELL_ID.match(str(cell.get("id", ""))) or cell.get("id") in used:
            cell["id"] = next(f"cell-{index}-{n}" for n in range(len(notebook.cells) + 1)
                              if f"cell-{index}-{n}" not in used)
        used.add(cell["id"])
        if cell.cell_type == "code":
            budget = _Budget(min(MAX_TEXT_PER_CELL, text), min(MAX_PNG_PER_CELL, png))
            cell.outputs = safe_outputs(cell.get("outputs", []), budget)
            text -= min(MAX_TEXT_PER_CELL, text) - budget.text
            png -= min(MAX_PNG_PER_CELL, png) - budget.png
        elif cell.cell_type == "markdown":
            attachments = cell.get("attachments")
            if isinstance(attachments, dict) or "attachments" in cell:
                images = {str(name): _Budget().image(item.get("image/png"))[0]
                          for name, item in (attachments or {}).items() if isinstance(item, dict)}
                cell["attachments"] = {name: {"image/png": png} for name, png in images.items() if png}
            cell.source = safe_markdown(cell.source, cell.get("attachments"))
        elif cell.cell_type == "raw":
            cell.metadata.pop("raw_mimetype", None)
            cell.metadata["format"] = "text/plain"
    return notebook


__all__ = ["clear_outputs", "for_lecturer", "markdown_hazards", "safe_markdown", "safe_outputs"]
