"""Where the course's code is running, decided in one place.

``grading()`` is true inside the autograder's kernels (which set ``COURSE_GRADING=1``): there
nobody looks at pictures, so widgets skip rendering them.
"""
import os


def grading():
    return os.environ.get("COURSE_GRADING") == "1"
