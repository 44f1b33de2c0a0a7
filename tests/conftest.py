import zlib

import numpy as np
import pytest


@pytest.fixture
def rng(request):
    """A generator seeded by the test's name, so a failure reproduces on every run."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
