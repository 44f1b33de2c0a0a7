"""Losses against torch, label smoothing and ruled-out classes (-inf scores) included."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course.layers import bce_with_logits, mse_loss, softmax_cross_entropy
from tests.properties.strategies import BATCH, arrays, assert_matches, floats, shapes
from tests.torch_oracle import tensor

SMOOTHING = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0))


@st.composite
def classification(draw, ruled_out=True):
    """Scores (N, C), some of them -inf where ``ruled_out``, and labels in 0..C-1."""
    n, classes = draw(BATCH), draw(st.integers(1, 5))
    elements = st.one_of(floats(30.0), st.just(-np.inf)) if ruled_out else floats(30.0)
    scores = draw(arrays((n, classes), elements=elements))
    labels = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)), dtype=np.int64)
    return scores, labels


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # a row of -inf: NaN, as torch
@given(problem=classification(), smoothing=SMOOTHING)
def test_softmax_cross_entropy_matches_torch(problem, smoothing):
    scores, labels = problem
    loss, dscores = softmax_cross_entropy(scores, labels, label_smoothing=smoothing)
    ts = tensor(scores)
    tloss = F.cross_entropy(ts, torch.from_numpy(labels), label_smoothing=smoothing)
    tloss.backward()
    label_ruled_out = np.isneginf(scores[np.arange(len(labels)), labels]).any()
    row_ruled_out = np.isneginf(scores).all(axis=1).any()  # softmax of nothing: NaN in both
    if smoothing == 1.0 and label_ruled_out and not row_ruled_out:
        # torch's (1 - eps) * (-log p_y) is 0 * inf = NaN when the label's score is -inf; the
        # target is uniform then, and a ruled-out class with a positive target costs inf.
        assert np.isnan(tloss.item()) and loss == np.inf
    else:
        assert_matches(loss, tloss, what="loss")
    assert_matches(dscores, ts.grad, what="dscores")


@given(problem=classification(ruled_out=False), smoothing=SMOOTHING)
def test_softmax_cross_entropy_is_finite_for_finite_scores(problem, smoothing):
    scores, labels = problem
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is harmless
        loss, dscores = softmax_cross_entropy(scores, labels, label_smoothing=smoothing)
    assert (np.isfinite(loss) or len(labels) == 0) and np.isfinite(dscores).all()


@given(data=st.data())
def test_mse_and_bce_with_logits_match_torch(data):
    shape = data.draw(shapes(), label="shape")
    pred, target = data.draw(arrays(shape, 5.0), label="pred"), data.draw(arrays(shape, 5.0), label="target")
    tp = tensor(pred)
    tloss = F.mse_loss(tp, tensor(target, grad=False))
    tloss.backward()
    loss, dpred = mse_loss(pred, target)
    assert_matches(loss, tloss, what="mse")
    assert_matches(dpred, tp.grad, what="dmse")

    logits = data.draw(arrays(shape, 100.0), label="logits")
    probabilities = data.draw(arrays(shape, elements=st.floats(0.0, 1.0)), label="probabilities")
    tz = tensor(logits)
    tloss = F.binary_cross_entropy_with_logits(tz, tensor(probabilities, grad=False))
    tloss.backward()
    loss, dlogits = bce_with_logits(logits, probabilities)
    assert_matches(loss, tloss, what="bce")
    assert_matches(dlogits, tz.grad, what="dbce")
