import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.gradcheck import numerical_gradient
from course.layers import bce_with_logits, mse_loss, softmax_cross_entropy
from tests.torch_oracle import assert_close, assert_matches_numeric, tensor


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.35])
def test_softmax_cross_entropy_matches_torch(rng, smoothing):
    for _ in range(3):
        n, c = int(rng.integers(1, 8)), int(rng.integers(2, 7))
        scores = 4 * rng.normal(size=(n, c))
        y = rng.integers(0, c, size=n)
        loss, dscores = softmax_cross_entropy(scores, y, label_smoothing=smoothing)
        ts = tensor(scores)
        tloss = F.cross_entropy(ts, torch.tensor(y), label_smoothing=smoothing)
        tloss.backward()
        assert_close(loss, tloss, what="loss")
        assert_close(dscores, ts.grad, what="dscores")
        numeric = numerical_gradient(lambda s: softmax_cross_entropy(s, y, smoothing)[0], scores)
        assert_matches_numeric(dscores, numeric)


def test_label_smoothing_target_is_torchs_not_the_notes_erratum():
    # Notes (erratum E1) replace 0 by eps/(1-c), which is negative. torch: (1-eps)*onehot + eps/c.
    # With uniform scores the gradient is softmax - target = 1/c - target, so it reveals the target.
    dscores = softmax_cross_entropy(np.zeros((1, 4)), np.array([1]), label_smoothing=0.1)[1]
    assert np.allclose(0.25 - dscores[0], [0.025, 0.925, 0.025, 0.025])


def test_cross_entropy_lecture_values():
    # Loss at initialisation: -log(1/C). 100 classes -> 4.6052, 4 classes -> -ln 0.25 = 1.3863.
    assert softmax_cross_entropy(np.zeros((3, 100)), np.array([0, 5, 9]))[0] == pytest.approx(4.6052, abs=1e-4)
    assert softmax_cross_entropy(np.zeros((1000, 4)), np.zeros(1000, dtype=int))[0] == pytest.approx(1.3863, abs=1e-4)


def test_mse_and_bce_match_torch(rng):
    for _ in range(3):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=2))
        pred, target = rng.normal(size=shape), rng.normal(size=shape)
        tp = tensor(pred)
        tl = F.mse_loss(tp, tensor(target, grad=False))
        tl.backward()
        loss, dpred = mse_loss(pred, target)
        assert_close(loss, tl, what="mse")
        assert_close(dpred, tp.grad, what="dmse")

        logits, probs = 10 * rng.normal(size=shape), rng.uniform(size=shape)
        tz = tensor(logits)
        tb = F.binary_cross_entropy_with_logits(tz, tensor(probs, grad=False))
        tb.backward()
        loss, dlogits = bce_with_logits(logits, probs)
        assert_close(loss, tb, what="bce")
        assert_close(dlogits, tz.grad, what="dbce")
        assert_matches_numeric(dlogits, numerical_gradient(lambda z: bce_with_logits(z, probs)[0], logits))


def test_bce_with_logits_is_finite_for_huge_logits():
    loss, grad = bce_with_logits(np.array([1e4, -1e4]), np.array([0.0, 1.0]))
    assert loss == pytest.approx(1e4) and np.all(np.isfinite(grad))


def test_losses_explain_bad_labels_and_shapes():
    with pytest.raises(ValueError, match=r"y must be 2 integer labels"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must lie in 0..2"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"pred has shape \(2, 3\) but target has shape \(3, 2\)"):
        mse_loss(np.zeros((2, 3)), np.zeros((3, 2)))


# Regression tests (issue 14, item 8) -------------------------------------------------------------


@pytest.mark.parametrize("label", [0, 2])
def test_a_ruled_out_class_with_score_minus_infinity_costs_nothing_without_smoothing(label):
    scores = np.array([[0.0, -np.inf, 1.0]])  # used to give NaN: 0 * (-inf) in the smoothing term
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dscores = softmax_cross_entropy(scores, np.array([label]))
    ts = tensor(scores)
    tloss = F.cross_entropy(ts, torch.tensor([label]))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)  # 1.3133 for label 0
    np.testing.assert_allclose(dscores, ts.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_a_ruled_out_class_with_a_positive_target_costs_infinitely_much_as_in_torch():
    scores = np.array([[0.0, -np.inf, 1.0]])
    for label, smoothing in ((1, 0.0), (0, 0.1)):
        loss, _ = softmax_cross_entropy(scores, np.array([label]), label_smoothing=smoothing)
        assert loss == np.inf == F.cross_entropy(tensor(scores, grad=False), torch.tensor([label]),
                                                 label_smoothing=smoothing).item()


@pytest.mark.parametrize("smoothing, message", [
    (None, r"label_smoothing must be a number in \[0, 1\], got None \(0\.0 means no smoothing\)\."),
    ("0.1", r"label_smoothing must be a number in \[0, 1\], got '0\.1'"),
    (1.5, r"label_smoothing must be a number in \[0, 1\], got 1\.5"),
    (-0.1, r"label_smoothing must be a number in \[0, 1\], got -0\.1"),
    (np.nan, r"label_smoothing must be a number in \[0, 1\], got nan"),
])
def test_label_smoothing_must_be_a_number_between_zero_and_one(smoothing, message):
    with pytest.raises(ValueError, match=r"^softmax_cross_entropy: " + message):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=smoothing)


def test_scores_without_any_class_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"scores has shape \(2, 0\), with no class column"):
        softmax_cross_entropy(np.zeros((2, 0)), np.array([0, 0]))


def test_losses_of_an_empty_batch_are_nan_as_in_torch_with_an_empty_gradient():
    with np.errstate(all="raise"):  # NaN by definition, not by a 0 / 0 that NumPy warns about
        results = [
            (softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int)), (0, 3),
             F.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))),
            (mse_loss(np.zeros((0, 2)), np.zeros((0, 2))), (0, 2), F.mse_loss(torch.zeros(0, 2), torch.zeros(0, 2))),
            (bce_with_logits(np.zeros(0), np.zeros(0)), (0,),
             F.binary_cross_entropy_with_logits(torch.zeros(0), torch.zeros(0))),
        ]
    for (loss, grad), shape, theirs in results:
        assert np.isnan(loss) and np.isnan(theirs.item()) and grad.shape == shape
