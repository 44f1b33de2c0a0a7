"""Dropout against torch: the identity in eval mode, and in training mode the same map as
torch's for the mask that ``seed`` fixes (torch draws its mask from its own generator, so the
mask is read back from the reference and replayed in torch)."""
import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course.layers import dropout_backward, dropout_forward
from tests.properties.strategies import arrays, assert_matches, shapes
from tests.torch_oracle import tensor, torch_grads

PROBABILITY = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))
SEED = st.integers(0, 2**32 - 1)


@given(data=st.data())
def test_dropout_in_test_mode_is_torchs_eval_dropout(data):
    shape = data.draw(shapes(), label="shape")
    x, dout = data.draw(arrays(shape), label="x"), data.draw(arrays(shape), label="dout")
    p = data.draw(PROBABILITY, label="p")
    out, cache = dropout_forward(x, p, "test", seed=data.draw(st.one_of(st.none(), SEED)))
    tx = tensor(x)
    tout = F.dropout(tx, p, training=False)
    assert_matches(out, tout, what="out")
    assert_matches(dropout_backward(dout, cache), torch_grads(tout, dout, tx)[0], what="dx")


@given(data=st.data())
def test_dropout_in_train_mode_is_torchs_dropout_for_the_same_mask(data):
    shape = data.draw(shapes(), label="shape")
    x, dout = data.draw(arrays(shape), label="x"), data.draw(arrays(shape), label="dout")
    p, seed = data.draw(PROBABILITY, label="p"), data.draw(SEED, label="seed")
    out, cache = dropout_forward(x, p, "train", seed=seed)
    scaled_mask, _ = dropout_forward(np.ones(shape), p, "train", seed=seed)  # same seed, same mask
    kept = np.asarray(scaled_mask != 0)
    assert p == 1.0 or np.all(scaled_mask[kept] == 1.0 / (1.0 - p)), "kept units are scaled by 1 / (1 - p)"
    if p in (0.0, 1.0):  # no randomness left: torch's own dropout must agree
        assert kept.all() if p == 0.0 else not kept.any()
        assert_matches(out, F.dropout(tensor(x), p, training=True), what="out at p = 0 or 1")
    tx = tensor(x)
    tout = tx * torch.from_numpy(kept) / (1.0 - p) if p < 1.0 else tx * 0.0  # torch.nn.Dropout's map
    assert_matches(out, tout, what="out")
    assert_matches(dropout_backward(dout, cache), torch_grads(tout, dout, tx)[0], what="dx")
