"""Hypothesis settings for the property-based tests against torch.

The "ci" profile is loaded by default: reproducible (``derandomize=True``: the examples follow
from each test, not from a random seed), no example database and no ``.hypothesis`` folder, no
deadline (the first call of a torch operation is slow), and few enough examples that the whole
folder runs in well under a minute on one core. Hypothesis also mixes in constants it finds in
the project's imported modules, so the same pytest command always draws the same examples, while
a run of this folder alone may draw others than a run of the whole suite.

For a longer hunt for counterexamples (random, 500 examples per test, a few minutes):
``COURSE_HYPOTHESIS_PROFILE=explore .venv/bin/python -m pytest tests/properties``.
"""
import os
import tempfile

from hypothesis import settings

# Hypothesis caches the constants it reads from source files in <home>/constants even without a
# database. Its home is read when first needed, so this keeps it out of the repository (and
# leaves the variable alone when it is set from outside).
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "course-hypothesis"))

settings.register_profile("ci", deadline=None, max_examples=25, derandomize=True, database=None, print_blob=False)
settings.register_profile("explore", parent=settings.get_profile("ci"), max_examples=500, derandomize=False)
settings.load_profile(os.environ.get("COURSE_HYPOTHESIS_PROFILE", "ci"))
