"""Hypothesis strategies shared by the property tests: small shapes, float64 arrays, geometries
that torch accepts, and a comparison with torch that also accepts NaN and infinities."""
import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.torch_oracle import assert_close

# Small sides keep every example cheap; 0 is allowed wherever torch allows an empty axis.
BATCH = st.integers(0, 3)
SIDE = st.integers(1, 4)


def floats(bound=3.0):
    """Finite float64 values in [-bound, bound], with hypothesis's taste for 0, ±bound and ties."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


def arrays(shape, bound=3.0, elements=None):
    return hnp.arrays(np.float64, shape, elements=floats(bound) if elements is None else elements)


def shapes(min_dims=0, max_dims=3, min_side=0, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@st.composite
def array_and_upstream(draw, shape, bound=3.0, elements=None):
    """An input ``x`` of ``shape`` and an upstream gradient of the same shape."""
    return draw(arrays(shape, bound, elements)), draw(arrays(shape))


def assert_matches(ours, theirs, tol=1e-10, what="value"):
    """``assert_close`` where NaN and ±inf must appear at the same places, with the same sign."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
    special = ~np.isfinite(theirs)
    assert np.array_equal(np.where(special, theirs, 0.0), np.where(special, ours, 0.0), equal_nan=True), (
        f"{what}: NaN or inf where torch has {theirs[special]} at {np.argwhere(special).tolist()}, got {ours[special]}"
    )
    assert_close(np.where(special, 0.0, ours), np.where(special, 0.0, theirs), tol, what)
