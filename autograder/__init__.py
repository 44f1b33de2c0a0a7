"""Grading for the course, built on nbgrader: release, collect, autograde, feedback, export.

``solutions/`` is nbgrader's source directory and ``notebooks/`` its release directory; every
command works in a scratch course directory so the repository never collects gradebooks.
"""
