"""Max and average pooling against torch; ties (frequent with hypothesis's values) included:
both send a window's gradient to its first largest entry in row-major order."""
import pytest
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course.layers import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward
from tests.properties.strategies import BATCH, SIDE, arrays, assert_matches
from tests.torch_oracle import tensor, torch_grads

POOLS = {
    "max": (max_pool_forward, max_pool_backward, F.max_pool2d),
    "avg": (avg_pool_forward, avg_pool_backward, F.avg_pool2d),
}


@pytest.mark.parametrize("kind", POOLS)
@given(data=st.data())
def test_pooling_matches_torch(kind, data):
    forward, backward, twin = POOLS[kind]
    height, width = data.draw(st.integers(1, 7), label="H"), data.draw(st.integers(1, 7), label="W")
    kernel = data.draw(st.integers(1, min(height, width, 4)), label="kernel")
    stride = data.draw(st.one_of(st.none(), st.integers(1, 3)), label="stride")
    x = data.draw(arrays((data.draw(BATCH), data.draw(SIDE), height, width)), label="x")
    out, cache = forward(x, kernel, stride)
    tx = tensor(x)
    tout = twin(tx, kernel, stride)
    assert_matches(out, tout, what="out")
    dout = data.draw(arrays(out.shape), label="dout")
    assert_matches(backward(dout, cache), torch_grads(tout, dout, tx)[0], what="dx")
