"""Each lab-01 check passes the reference and names typical mistakes."""
import numpy as np
import pytest

from course import layers
from course.checks.backprop import check_sigmoid_stable, reference_log_sigmoid
from course.checks import (
    CheckFailed,
    check,
    check_affine_backward,
    check_affine_forward,
    check_relu_backward,
    check_sigmoid_backward,
    check_softmax_cross_entropy,
    check_two_layer_net,
    summary,
)
from course.two_layer_net import two_layer_net_loss
from tests.checks.failing import fails_with


@pytest.mark.parametrize("seed", range(6))
def test_reference_passes_every_check_on_many_seeds_and_shapes(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    check_affine_forward(layers.affine_forward, seed=seed, N=n, input_shape=(2, 3, 2), M=3)
    check_affine_backward(layers.affine_forward, layers.affine_backward, seed=seed, N=n, input_shape=(4,), M=7)
    check_relu_backward(layers.relu_forward, layers.relu_backward, seed=seed, shape=(n, 3, 4))
    check_sigmoid_backward(layers.sigmoid_forward, layers.sigmoid_backward, seed=seed, shape=(n, 9))
    check_softmax_cross_entropy(layers.softmax_cross_entropy, seed=seed, N=n, C=int(rng.integers(2, 10)))
    check_softmax_cross_entropy(layers.softmax_cross_entropy, seed=seed, label_smoothing=0.2)
    check_two_layer_net(two_layer_net_loss, seed=seed, N=n, D=3, H=5, C=4, reg=0.05 * seed)
    check_sigmoid_stable(layers.sigmoid_forward, layers.sigmoid_backward, reference_log_sigmoid, seed=seed,
                         shape=(n + 1, 5))


# affine_forward ---------------------------------------------------------------------------


def test_affine_forward_mistakes():
    fails_with(r"out is wrong .* the bias b is missing", check_affine_forward,
               lambda x, w, b: (x.reshape(len(x), -1) @ w, None))
    message = fails_with(r"affine_forward: .* raised ValueError: matmul", check_affine_forward,
                         lambda x, w, b: (x @ w + b, None))  # forgot to flatten
    assert message.endswith("Hint: x has shape (4, 3, 5): flatten each example into one row first, which gives "
                            "shape (4, 15), and multiply that by w.")
    fails_with(r"should return 2 values \(out, cache\), got a ndarray", check_affine_forward,
               lambda x, w, b: x.reshape(len(x), -1) @ w + b)
    fails_with(r"not implemented yet", check_affine_forward, _not_implemented)



def test_affine_forward_that_changes_its_input_in_place_passes_with_a_note():
    from course.checks.judging import take_notes

    def in_place(x, w, b):
        w *= 1.0 + 0.0 * w
        x += 1.0
        return layers.affine_forward(x - 1.0, w, b)
    take_notes()
    check_affine_forward(in_place)
    assert any("in_place changes its input x in place" in note.sentence for note in take_notes())


def _not_implemented(*args):
    raise NotImplementedError()


# affine_backward --------------------------------------------------------------------------


def _affine_backward_with(change):
    def backward(dout, cache):
        return change(dout, cache, *layers.affine_backward(dout, cache))
    return backward


def test_affine_backward_mistakes():
    forward = layers.affine_forward
    fails_with(r"db is wrong .* averages dout over the batch", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout.mean(axis=0))))
    fails_with(r"db has shape \(4, 6\) .* still has the batch axis", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout)))
    fails_with(r"dw has shape \(6, 15\) .* looks transposed", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw.T, db)))
    fails_with(r"dw is wrong .* 4 times too small", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw / len(dout), db)))
    fails_with(r"dx has shape \(4, 15\) but should have shape \(4, 3, 5\); .* reshape it", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx.reshape(len(dx), -1), dw, db)))
    fails_with(r"dx is wrong .* sign is flipped", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (-dx, dw, db)))


def affine_forward_keeping_inputs(x, w, b):
    """A student's forward whose cache is (x, w, b), for backward passes that read it."""
    return x.reshape(len(x), -1) @ w + b, (x, w, b)


def test_affine_backward_names_the_shape_mistakes():
    forward = layers.affine_forward
    fails_with(r"db has shape \(4,\) but should have shape \(6,\); it sums over axis 1, the outputs; sum over axis 0",
               check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout.sum(axis=1))))
    fails_with(r"db has shape \(\) .* it sums over every axis", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout.sum())))
    fails_with(r"db has shape \(1, 6\) .* it kept the summed axis \(keepdims=True\)", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout.sum(axis=0, keepdims=True))))
    fails_with(r"dw has shape \(5, 3, 6\) but should have shape \(15, 6\); x was not flattened", check_affine_backward,
               affine_forward_keeping_inputs,
               lambda dout, cache: ((dout @ cache[1].T).reshape(cache[0].shape), cache[0].T @ dout, dout.sum(axis=0)))
    fails_with(r"db is wrong .* it sums over axis 1, the outputs", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout.sum(axis=1))), N=5, M=5)
    fails_with(r"dx is wrong .* it multiplies by w where it needs w.T", check_affine_backward, affine_forward_keeping_inputs,
               lambda dout, cache: (dout @ cache[1], cache[0].T @ dout, dout.sum(axis=0)), input_shape=(6,), M=6)


def test_affine_backward_explains_a_shape_error_in_the_students_code():
    def no_transpose(dout, cache):
        x, w, b = cache
        return dout @ w, x.reshape(len(x), -1).T @ dout, dout.sum(axis=0)
    message = fails_with(r"raised ValueError: matmul.* Hint: match the shapes: dout is \(4, 6\), w is \(15, 6\) "
                         r"and x flattened is \(4, 15\); each gradient has the shape of its variable", check_affine_backward,
                         affine_forward_keeping_inputs, no_transpose)
    assert message.count("Hint:") == 1


# relu and sigmoid -------------------------------------------------------------------------


def test_relu_backward_mistakes():
    forward = layers.relu_forward
    fails_with(r"mask is built from dout", check_relu_backward, forward,
               lambda dout, x: np.where(dout > 0, dout, 0.0))
    fails_with(r"without multiplying by dout", check_relu_backward, forward,
               lambda dout, x: (x > 0).astype(float))
    fails_with(r"dx is wrong .* sign is flipped", check_relu_backward, forward,
               lambda dout, x: np.where(x > 0, -dout, 0.0))
    fails_with(r"the mask is inverted", check_relu_backward, forward, lambda dout, x: np.where(x > 0, 0.0, dout))
    def relu_forward(x):
        return np.abs(x), x
    fails_with(r"the output of relu_forward is wrong .* Hint: ReLU keeps each positive entry of x", check_relu_backward,
               relu_forward, layers.relu_backward)


def test_relu_forward_mistakes():
    def with_max(x):
        return np.max(x, 0), x
    fails_with(r"the output of with_max has shape \(7,\) but should have shape \(5, 7\); it has the shape of a maximum "
               r"along axis 0, np.max\(x, 0\), instead of the maximum of each entry and 0",
               check_relu_backward, with_max, layers.relu_backward)
    fails_with(r"the output of with_max has shape \(\) .* a maximum along axis 0",
               check_relu_backward, with_max, layers.relu_backward, shape=(11,))
    fails_with(r"keeps the negative part", check_relu_backward, lambda x: (np.minimum(x, 0), x), layers.relu_backward)


def test_relu_messages_do_not_hand_over_the_solution():
    for broken in (lambda x: (np.max(x, 0), x), lambda x: (np.abs(x), x), lambda x: (np.minimum(x, 0), x)):
        with pytest.raises(CheckFailed) as failure:
            check_relu_backward(broken, layers.relu_backward)
        assert "np.maximum(x, 0)" not in str(failure.value)


def test_sigmoid_backward_mistakes():
    forward = layers.sigmoid_forward
    fails_with(r"without multiplying by dout", check_sigmoid_backward, forward, lambda dout, s: s * (1 - s))
    fails_with(r"factor \(1 - s\) is missing", check_sigmoid_backward, forward, lambda dout, s: dout * s)
    fails_with(r"uses x where it needs s", check_sigmoid_backward,
               lambda x: (layers.sigmoid_forward(x)[0], x), lambda dout, x: dout * x * (1 - x))
    fails_with(r"contains NaN or inf", check_sigmoid_backward, forward, lambda dout, s: dout / 0.0)
    fails_with(r"the factor s is missing", check_sigmoid_backward, forward, lambda dout, s: dout * (1 - s))
    fails_with(r"it uses tanh's rule 1 - s\*\*2", check_sigmoid_backward, forward, lambda dout, s: dout * (1 - s * s))


@pytest.mark.parametrize("forward, message", [
    (lambda x: (1 / (1 + np.exp(x)), None), r"it is sigmoid\(-x\) = 1 - sigmoid\(x\): the sign of x in the exponent"),
    (lambda x: (1 / 1 + np.exp(-x), None), r"it is 1 \+ exp\(-x\): the division needs parentheses"),
    (lambda x: (0.5 * (1 + np.tanh(x)), None), r"0.5 \* \(1 \+ tanh\(x\)\) is sigmoid\(2x\)"),
], ids=["sign", "parentheses", "tanh"])
def test_sigmoid_forward_mistakes(forward, message):
    fails_with(r"the output of <lambda> is wrong .*" + message + r".* Hint: sigmoid\(x\) = 1 / \(1 \+ exp\(-x\)\)",
               check_sigmoid_backward, forward, layers.sigmoid_backward)


# a numerically stable sigmoid ---------------------------------------------------------------


def naive_sigmoid(x):
    s = 1 / (1 + np.exp(-x))  # np.exp(1000) overflows to inf (with a warning), but 1 / inf = 0 is right
    return s, s


def ratio_sigmoid(x):
    s = np.exp(x) / (1 + np.exp(x))  # the other half of the fix alone: inf / inf = nan for x = 800 or 1000
    return s, s


def naive_log_sigmoid(x):
    return np.log(1 / (1 + np.exp(-x)))  # log(0) = -inf at x = -1000, where the answer is -1000


def softplus_log_sigmoid(x):
    return -np.log1p(np.exp(-x))  # exp(1000) = inf at x = -1000


def test_stable_sigmoid_check_passes_the_reference_and_other_stable_forms():
    check_sigmoid_stable(layers.sigmoid_forward, layers.sigmoid_backward, reference_log_sigmoid)

    def via_tanh(x):
        s = 0.5 * (1 + np.tanh(x / 2))
        return s, s

    def via_logaddexp(x):
        return -np.logaddexp(0.0, -x)
    check_sigmoid_stable(via_tanh, layers.sigmoid_backward, via_logaddexp, seed=3)


def test_stable_sigmoid_check_judges_values_only_and_a_naive_sigmoid_that_only_warns_passes_that_part():
    # 1 / (1 + np.exp(-x)) returns the right values (NumPy only warns): the sigmoid part passes, even
    # with the warnings ignored; the stability is judged on log_sigmoid's returned values.
    check_sigmoid_stable(naive_sigmoid, layers.sigmoid_backward, reference_log_sigmoid)
    with np.errstate(over="ignore"):
        check_sigmoid_stable(naive_sigmoid, layers.sigmoid_backward, reference_log_sigmoid, seed=4)


def test_stable_sigmoid_check_names_a_log_of_a_rounded_sigmoid():
    message = fails_with(r"sigmoid_stable: naive_log_sigmoid returned -inf for x = -(800|1000); sigmoid\(-(800|1000)\) "
                         r"rounds to 0 in float64 and log\(0\) is -inf, while log sigmoid\(-(800|1000)\) is about "
                         r"-(800|1000)\. Hint: ", check_sigmoid_stable, layers.sigmoid_forward, layers.sigmoid_backward,
                         naive_log_sigmoid)
    assert "np.log1p" in message
    fails_with(r"softplus_log_sigmoid returned -inf for x = -(800|1000)", check_sigmoid_stable,
               layers.sigmoid_forward, layers.sigmoid_backward, softplus_log_sigmoid)
    fails_with(r"the output of <lambda> is wrong .* the sign of x is flipped", check_sigmoid_stable,
               layers.sigmoid_forward, layers.sigmoid_backward, lambda x: reference_log_sigmoid(-x))
    fails_with(r"should return one array", check_sigmoid_stable, layers.sigmoid_forward, layers.sigmoid_backward,
               lambda x: (reference_log_sigmoid(x), None))


def test_stable_sigmoid_check_names_the_overflow_and_the_input():
    fails_with(r"sigmoid_stable: ratio_sigmoid returned nan for x = (800|1000); np.exp\((800|1000)\) "
               r"overflows to inf in float64, and a ratio of two infinities .* is nan\. "
               r"Hint: .* each form is safe on one side of 0", check_sigmoid_stable, ratio_sigmoid,
               layers.sigmoid_backward, reference_log_sigmoid)


def test_stable_sigmoid_check_names_an_overflow_in_the_backward_pass():
    def recomputing_backward(dout, x):  # caches x and recomputes with exp: inf / inf at x = -800
        return dout * np.exp(-x) / (1 + np.exp(-x)) ** 2
    fails_with(r"recomputing_backward returned nan for x = -(800|1000); .* Hint: the sigmoid's derivative can be "
               r"written with its output s alone", check_sigmoid_stable,
               lambda x: (layers.sigmoid_forward(x)[0], x), recomputing_backward, reference_log_sigmoid)


def test_stable_sigmoid_check_explains_an_overflow_error():
    import math

    def with_math_exp(x):
        s = np.vectorize(lambda v: 1 / (1 + math.exp(-v)))(x)
        return s, s
    fails_with(r"with_math_exp raised OverflowError: math range error\. Hint: an exp of a large positive number "
               r"overflows", check_sigmoid_stable, with_math_exp, layers.sigmoid_backward, reference_log_sigmoid)


def test_stable_sigmoid_check_puts_the_extreme_inputs_in_every_run():
    seen = []

    def recording(x):
        seen.append(x.copy())
        return layers.sigmoid_forward(x)
    for seed, shape in ((0, (4, 6)), (5, (2,)), (9, (3, 1, 3))):
        check_sigmoid_stable(recording, layers.sigmoid_backward, reference_log_sigmoid, seed=seed, shape=shape)
        assert {1000.0, -1000.0} <= set(seen[-1].reshape(-1).tolist())


# softmax cross-entropy --------------------------------------------------------------------


def _softmax_ce_with(change):
    def loss_function(scores, y):
        loss, dscores = layers.softmax_cross_entropy(scores, y)
        return change(scores, y, loss, dscores)
    return loss_function


def test_softmax_cross_entropy_mistakes():
    fails_with(r"dscores is wrong .* 6 times too large: divide by the batch size N = 6",
               check_softmax_cross_entropy, _softmax_ce_with(lambda s, y, loss, d: (loss, d * len(y))))
    fails_with(r"dscores is wrong .* softmax minus one-hot", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (loss, -d)))
    fails_with(r"one-hot target is not subtracted", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (loss, layers.softmax(s) / len(y))))
    fails_with(r"loss is wrong .* 6 times too large", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (loss * len(y), d)))
    fails_with(r"log10", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (-np.mean(np.log10(layers.softmax(s)[np.arange(len(y)), y])), d)))


def _log_softmax(s, axis=1):
    return np.log(layers.softmax(s, axis=axis))


@pytest.mark.parametrize("loss_of, message", [
    (lambda s, y: -np.mean(_log_softmax(s)[:, y]), r"log_probs\[:, y\] picks an N x N block"),
    (lambda s, y: -np.mean(layers.softmax(s)[np.arange(len(y)), y]), r"averages the probabilities .* not their logs"),
    (lambda s, y: -np.mean(_log_softmax(s)), r"averages -log p over every class"),
    (lambda s, y: -np.sum(_log_softmax(s)[np.arange(len(y)), y]) / s.size, r"it divides by N \* C = 24; average over "
                                                                           r"the N = 6 examples only"),
    (lambda s, y: -np.mean(_log_softmax(s, axis=0)[np.arange(len(y)), y]), r"the softmax is taken over axis 0"),
], ids=["block", "probabilities", "all classes", "N*C", "axis 0"])
def test_softmax_cross_entropy_loss_mistakes(loss_of, message):
    fails_with(r"loss is wrong .*" + message, check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (loss_of(s, y), d)))


def test_softmax_cross_entropy_gradient_over_the_wrong_axis_is_named():
    def by_column(s, y, loss, d):
        return loss, (layers.softmax(s, axis=0) - np.eye(s.shape[1])[y]) / len(y)
    fails_with(r"dscores is wrong .*the softmax is taken over axis 0", check_softmax_cross_entropy,
               _softmax_ce_with(by_column))


def test_softmax_cross_entropy_explains_a_missing_keepdims():
    def no_keepdims(scores, y):
        shifted = scores - scores.max(axis=1)  # (6, 4) - (6,) cannot broadcast
        return layers.softmax_cross_entropy(shifted, y)
    fails_with(r"raised ValueError: operands could not be broadcast.* Hint: a maximum or sum over each row needs "
               r"keepdims=True", check_softmax_cross_entropy, no_keepdims)


def test_naive_softmax_overflow_is_named():
    def naive(scores, y):
        e = np.exp(1000 * scores)  # overflows to inf, and inf / inf is NaN
        p = e / e.sum(axis=1, keepdims=True)
        return -np.mean(np.log(p[np.arange(len(y)), y])), p
    fails_with(r"loss contains NaN or inf. .* subtract the max", check_softmax_cross_entropy, naive)


# two-layer net ----------------------------------------------------------------------------


def _net_with(change):
    def loss_function(params, X, y=None, reg=0.0):
        result = two_layer_net_loss(params, X, y, reg)
        return result if y is None else change(params, reg, *result)
    return loss_function


def test_two_layer_net_mistakes():
    fails_with(r"regularization term is missing", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss - 0.5 * reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)), g)))
    fails_with(r"grads\['W2'\] is wrong .* regularization term \(reg \* W\) is missing", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, dict(g, W2=g["W2"] - reg * p["W2"]))))
    fails_with(r"grads has no entry 'b1'", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, {k: v for k, v in g.items() if k != "b1"})))
    fails_with(r"grads\['b2'\] has shape \(5, 3\) .* still has the batch axis", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, dict(g, b2=np.tile(g["b2"], (5, 1))))))

    def scores_with_softmax(params, X, y=None, reg=0.0):
        if y is None:
            return layers.softmax(two_layer_net_loss(params, X))
        return two_layer_net_loss(params, X, y, reg)
    fails_with(r"the scores \(y=None\) is wrong .*the softmax is applied", check_two_layer_net, scores_with_softmax)


def _scores_with(change):
    def loss_function(params, X, y=None, reg=0.0):
        if y is None:
            return change(params, X, two_layer_net_loss(params, X))
        return two_layer_net_loss(params, X, y, reg)
    return loss_function


def test_two_layer_net_scores_mistakes():
    fails_with(r"a ReLU is applied to the scores", check_two_layer_net,
               _scores_with(lambda p, X, scores: np.maximum(scores, 0)))
    fails_with(r"the ReLU between the two affine layers is missing", check_two_layer_net,
               _scores_with(lambda p, X, scores: (X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]))


def _without_relu_backward(params, X, y=None, reg=0.0, mask_from_upstream=False):
    """A two-layer net whose backward pass skips the ReLU (or masks with the upstream gradient)."""
    hidden, cache1 = layers.affine_forward(X, params["W1"], params["b1"])
    activated, _ = layers.relu_forward(hidden)
    scores, cache2 = layers.affine_forward(activated, params["W2"], params["b2"])
    if y is None:
        return scores
    loss, dscores = layers.softmax_cross_entropy(scores, y)
    loss += 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    dactivated, dW2, db2 = layers.affine_backward(dscores, cache2)
    dhidden = dactivated * (dactivated > 0) if mask_from_upstream else dactivated
    _, dW1, db1 = layers.affine_backward(dhidden, cache1)
    return loss, {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}


def test_two_layer_net_gradient_mistakes():
    fails_with(r"the biases are penalised too", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss + 0.5 * reg * (np.sum(p["b1"] ** 2) + np.sum(p["b2"] ** 2)), g)))
    fails_with(r"grads\['W1'\] is wrong .* reg \* W, not 0.5 \* reg \* W", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, dict(g, W1=g["W1"] - 0.5 * reg * p["W1"]))))
    fails_with(r"grads\['b1'\] is wrong .* the biases are not regularized", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, dict(g, b1=g["b1"] + reg * p["b1"]))))
    fails_with(r"grads\['W1'\] is wrong .* the ReLU's backward step is missing", check_two_layer_net,
               _without_relu_backward)
    fails_with(r"grads\['W1'\] is wrong .* the ReLU mask is built from the upstream gradient", check_two_layer_net,
               lambda params, X, y=None, reg=0.0: _without_relu_backward(params, X, y, reg, mask_from_upstream=True))


# the friendly runner ----------------------------------------------------------------------


def test_check_prints_one_friendly_line_and_summary_counts(capsys):
    assert check(check_affine_forward, layers.affine_forward) is True
    assert check(check_relu_backward, layers.relu_forward, lambda dout, x: dout) is False
    assert check(check_sigmoid_backward, layers.sigmoid_forward) is False  # forgot an argument
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✅ affine_forward: all tests passed."
    assert out[1].startswith("❌ relu_backward: dx is wrong (relative error")
    assert out[2].startswith("❌ sigmoid_backward: the check could not run (TypeError")
    passed, total = summary(["affine_forward", "relu_backward", "sigmoid_backward", "two_layer_net"])
    assert (passed, total) == (1, 4)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1 of 4 exercises pass."
    assert "⏳ not checked yet two_layer_net" in lines[-1]


def test_named_shape_and_overflow_failures_carry_a_mistake_id():
    from course.checks import CheckFailed
    with pytest.raises(CheckFailed) as info:
        check_affine_backward(layers.affine_forward, _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout.sum())))
    assert info.value.mistake.id == "affine_backward/db/it-sums-over-every-axis-sum-over-the-batch-axis-only-axis-#"
    with pytest.raises(CheckFailed) as info:
        check_sigmoid_stable(ratio_sigmoid, layers.sigmoid_backward, reference_log_sigmoid)
    assert info.value.mistake.id == "sigmoid_stable/ratio-sigmoid/it-overflows-for-inputs-of-#"


def test_a_sigmoid_wrong_everywhere_fails_the_stability_exercise_because_of_its_own():
    def backward_without_dout(dout, s):
        return s * (1 - s)
    fails_with(r"^sigmoid_stable: fails because your sigmoid_forward or sigmoid_backward is wrong: fix that first "
               r"\(dx is wrong .*without multiplying by dout.*\)\. What this check saw: dx is wrong",
               check_sigmoid_stable, layers.sigmoid_forward, backward_without_dout, reference_log_sigmoid)


def test_a_two_layer_net_that_fails_because_of_a_layer_says_so():
    def relu_backward_from_dout(dout, x):
        return np.where(dout > 0, dout, 0.0)

    def net(params, X, y=None, reg=0.0):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        hidden, c1 = layers.affine_forward(X, W1, b1)
        activated, c_relu = layers.relu_forward(hidden)
        scores, c2 = layers.affine_forward(activated, W2, b2)
        if y is None:
            return scores
        loss, dscores = layers.softmax_cross_entropy(scores, y)
        loss += 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        da, dW2, db2 = layers.affine_backward(dscores, c2)
        _, dW1, db1 = layers.affine_backward(relu_backward_from_dout(da, c_relu), c1)
        return loss, {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}
    message = fails_with(r"^two_layer_net: fails because your relu_forward or relu_backward is wrong: fix that first "
                         r"\(dx is wrong .*the mask is built from dout instead of x.*\)\. What this check saw: grads",
                         check_two_layer_net, net, affine_forward=layers.affine_forward,
                         affine_backward=layers.affine_backward, relu_forward=layers.relu_forward,
                         relu_backward=relu_backward_from_dout, softmax_cross_entropy=layers.softmax_cross_entropy)
    assert message.count("fails because") == 1
    fails_with(r"^two_layer_net: grads\['W1'\] is wrong", check_two_layer_net, net)  # without the layers: its own words


def test_softmax_probabilities_then_log_with_the_max_shift_pass():
    """CS231n's idiom: shift by the row's max, normalize the exponentials, take the log of the
    right class's probability. The lab teaches the shift, not log-sum-exp, so it must pass."""

    def probabilities_then_log(scores, y):
        n = scores.shape[0]
        p = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.sum(np.log(p[np.arange(n), y])) / n
        dscores = p.copy()
        dscores[np.arange(n), y] -= 1
        return loss, dscores / n

    for seed in (0, 1, 31337):
        check_softmax_cross_entropy(probabilities_then_log, seed=seed, N=10, C=7)
