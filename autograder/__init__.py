"""Grading for the course, built on nbgrader: release, collect, autograde, feedback, export.

``solutions/`` is nbgrader's source directory and ``notebooks/`` its release directory; every
command works in a scratch course directory so the repository never collects gradebooks.
"""
import sys

# jsonschema (under nbformat) builds a parser for IRIs when rfc3987_syntax is installed (Jupyter
# installs it): seconds of CPU in every grading process, for a format no notebook schema uses.
sys.modules.setdefault("rfc3987_syntax", None)
