"""Self-study on Colab: where the course lives, the "Open in Colab" badge and the setup cell.

The repository is named here and nowhere else. Every notebook starts with a badge made by
``badge_html`` and a setup cell made by ``setup_cell_source``; a test holds the notebooks to them.
After changing ``REPOSITORY`` or ``BRANCH``, rewrite the cells of the instructor's notebooks and
regenerate the student versions::

    python -m course.colab solutions/*/*.ipynb
    course-grade release

The setup cell installs this package with pip and nothing else: the dependency ranges admit what
Colab has preinstalled (numpy, torch, matplotlib, ipywidgets 7.7), so pip keeps those as they are.
"""
import re
import sys
from pathlib import PurePosixPath

REPOSITORY = "dl-course/dl-course"
BRANCH = "main"
PACKAGE = "dl-course"

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
SETUP_CELL_FIRST_LINE = "# Setup: on Colab this installs the course package and turns on widgets; elsewhere it does nothing."
_BADGE = re.compile(r'<a href="https://colab\.research\.google\.com/[^"]*"[^>]*>\s*<img [^>]*>\s*</a>')


def repository_url():
    return f"https://github.com/{REPOSITORY}"


def badge_url(notebook_path):
    """Colab's address of a notebook of the repository, e.g. ``notebooks/01_backprop/01_backprop.ipynb``."""
    path = PurePosixPath(str(notebook_path).replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or path.suffix != ".ipynb":
        raise ValueError(f"badge_url needs a notebook's path inside the repository, like "
                         f"notebooks/01_backprop/01_backprop.ipynb; got {notebook_path!r}.")
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"


def badge_html(notebook_path):
    """The "Open in Colab" badge, as the first line of a notebook's first (markdown) cell."""
    return f'<a href="{badge_url(notebook_path)}" target="_parent"><img src="{BADGE_IMAGE}" alt="Open In Colab"/></a>'


def install_requirement():
    """What pip installs on Colab: this package, straight from the repository's branch."""
    return f"{PACKAGE} @ git+{repository_url()}@{BRANCH}"


def install_command():
    """The pip command of the setup cell (without the leading ``%``)."""
    return f'pip install --quiet "{install_requirement()}"'


def setup_cell_source():
    """The notebook's first code cell: on Colab it installs the package and turns on Colab's
    manager for custom widgets (ipywidgets); anywhere else it does nothing visible."""
    return "\n".join([
        SETUP_CELL_FIRST_LINE,
        "import sys",
        'if "google.colab" in sys.modules:',
        f"    %{install_command()}",
        "    from google.colab import output",
        "    output.enable_custom_widget_manager()",
    ])


def student_notebook_path(solution_path):
    """``solutions/<lab>/<lab>.ipynb`` (any prefix) -> ``notebooks/<lab>/<lab>.ipynb``."""
    parts = PurePosixPath(str(solution_path).replace("\\", "/")).parts
    if "solutions" not in parts:
        raise ValueError(f"{solution_path} is not inside solutions/.")
    index = len(parts) - 1 - parts[::-1].index("solutions")
    return str(PurePosixPath("notebooks", *parts[index + 1:]))


def add_colab_cells(notebook, student_path):
    """Put the badge at the top of the first cell and the setup cell right after it, in place.

    An existing badge or setup cell is replaced, so running this twice changes nothing.
    """
    import nbformat  # lecturers only; not needed to use the course

    first = notebook.cells[0] if notebook.cells else None
    if first is None or first.cell_type != "markdown":
        first = nbformat.v4.new_markdown_cell("")
        notebook.cells.insert(0, first)
    badge = badge_html(student_path)
    if _BADGE.search(first.source):
        first.source = _BADGE.sub(lambda _match: badge, first.source, count=1)
    else:
        first.source = f"{badge}\n\n{first.source}".rstrip("\n")
    setup = setup_cell_source()
    second = notebook.cells[1] if len(notebook.cells) > 1 else None
    if second is not None and second.cell_type == "code" and "google.colab" in second.source:
        second.source = setup
    else:
        notebook.cells.insert(1, nbformat.v4.new_code_cell(setup))
    return notebook


def main(argv=None):
    import nbformat

    paths = sys.argv[1:] if argv is None else list(argv)
    if not paths:
        print("usage: python -m course.colab solutions/<lab>/<lab>.ipynb ...", file=sys.stderr)
        return 2
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        add_colab_cells(notebook, student_notebook_path(path))
        nbformat.write(notebook, path)
        print(f"{path}: badge and setup cell for {student_notebook_path(path)}")
    print("Now regenerate the student notebooks: course-grade release")
    return 0


if __name__ == "__main__":
    sys.exit(main())
