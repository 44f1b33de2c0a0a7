"""The affine layer against torch's linear map, any number of feature axes, empty batches too."""
import math

import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course.layers import affine_backward, affine_forward
from tests.properties.strategies import BATCH, arrays, assert_matches, shapes
from tests.torch_oracle import tensor, torch_grads


@given(data=st.data())
def test_affine_matches_torch_linear(data):
    n = data.draw(BATCH, label="N")
    feature_shape = data.draw(shapes(min_dims=0, max_dims=2, min_side=1), label="feature shape")
    outputs = data.draw(st.integers(0, 4), label="M")
    x = data.draw(arrays((n, *feature_shape)), label="x")
    features = math.prod(feature_shape)
    w, b = data.draw(arrays((features, outputs)), label="w"), data.draw(arrays((outputs,)), label="b")
    dout = data.draw(arrays((n, outputs)), label="dout")

    out, cache = affine_forward(x, w, b)
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    tout = F.linear(tx.reshape(n, features), tw.T, tb)  # torch stores the weight transposed
    assert_matches(out, tout, what="out")
    for ours, theirs, name in zip(affine_backward(dout, cache), torch_grads(tout, dout, tx, tw, tb), ("dx", "dw", "db")):
        assert_matches(ours, theirs, what=name)
