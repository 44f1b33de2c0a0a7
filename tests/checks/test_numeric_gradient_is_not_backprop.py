"""A backward pass computed by finite differences of a forward pass is not backpropagation: every
backward check of labs 01, 02, 04 and 05 names it ("looks like a numeric gradient"), judged on the
returned values alone: honest float64 code agrees with the exact gradient to about 1e-16, any
difference quotient misses by 1e-12 or more on the checks' inputs (values far from 0, over six
orders of magnitude, or next to a bias of a million)."""
import numpy as np
import pytest

from course import layers
from course.checks import (check_affine_backward, check_batchnorm_backward, check_batchnorm_backward_alt,
                           check_bce_with_logits, check_conv_backward, check_elu_backward, check_huber_loss,
                           check_layernorm_backward, check_leaky_relu_backward, check_max_pool_backward,
                           check_relu_backward, check_sigmoid_backward, check_softmax_cross_entropy,
                           check_tanh_backward, check_two_layer_net)
from course.checks.activations_losses import huber_value
from course.checks.judging import use_grading_secret
from course.gradcheck import numerical_gradient
from course.two_layer_net import two_layer_net_loss
from tests.checks.failing import fails_with

NUMERIC = r"looks like a numeric gradient"


def _elementwise(reference, h, **fixed):
    """A forward that keeps x, and a backward that differentiates it entry by entry."""
    def forward(x, **kwargs):
        return reference(x, **kwargs)[0], (x, kwargs)

    def backward(dout, cache):
        x, kwargs = cache
        return dout * (reference(x + h, **kwargs)[0] - reference(x - h, **kwargs)[0]) / (2 * h)
    return forward, backward


def _numeric(function, values, dout, h):
    return numerical_gradient(function, values.copy(), dout, h)


def cheats(h):
    """(check, arguments) pairs whose backward passes are difference quotients with step h."""
    def affine_backward(dout, cache):
        x, w, b = cache
        return (_numeric(lambda v: layers.affine_forward(v, w, b)[0], x, dout, h),
                _numeric(lambda v: layers.affine_forward(x, v, b)[0], w, dout, h),
                _numeric(lambda v: layers.affine_forward(x, w, v)[0], b, dout, h))

    def softmax(scores, y, label_smoothing=0.0):
        loss = layers.softmax_cross_entropy(scores, y, label_smoothing)[0]
        return loss, _numeric(lambda v: layers.softmax_cross_entropy(v, y, label_smoothing)[0], scores, None, h)

    def bce(logits, target):
        return layers.bce_with_logits(logits, target)[0], _numeric(lambda v: layers.bce_with_logits(v, target)[0],
                                                                   logits, None, h)

    def huber(pred, target, delta=1.0):
        return huber_value(pred, target, delta), _numeric(lambda v: huber_value(v, target, delta), pred, None, h)

    def net(params, X, y=None, reg=0.0):
        if y is None:
            return two_layer_net_loss(params, X)
        return two_layer_net_loss(params, X, y, reg)[0], {
            k: _numeric(lambda v, k=k: two_layer_net_loss(dict(params, **{k: v}), X, y, reg)[0], params[k], None, h)
            for k in params}

    def keeping(forward):
        def wrapped(x, gamma, beta, *rest):
            fresh = [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in r.items()} for r in rest]
            return forward(x, gamma, beta, *rest)[0], (x, gamma, beta, fresh)
        return wrapped

    def normalization_backward(forward):
        def backward(dout, cache):
            x, gamma, beta, rest = cache

            def f(x_, g_, b_):
                return forward(x_, g_, b_, *[{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in r.items()}
                                             for r in rest])[0]
            return (_numeric(lambda v: f(v, gamma, beta), x, dout, h), _numeric(lambda v: f(x, v, beta), gamma, dout, h),
                    _numeric(lambda v: f(x, gamma, v), beta, dout, h))
        return backward

    def conv_backward(dout, cache):
        x, w, b, stride, pad = cache

        def f(x_, w_, b_):
            return layers.conv_forward(x_, w_, b_, stride, pad)[0]
        return (_numeric(lambda v: f(v, w, b), x, dout, h), _numeric(lambda v: f(x, v, b), w, dout, h),
                _numeric(lambda v: f(x, w, v), b, dout, h))

    def pool_forward(x, kernel=2, stride=2):
        return layers.max_pool_forward(x, kernel, stride)[0], (x, kernel, stride)

    def pool_backward(dout, cache):
        x, kernel, stride = cache
        return _numeric(lambda v: layers.max_pool_forward(v, kernel, stride)[0], x, dout, h)

    return {
        "affine_backward": (check_affine_backward, layers.affine_forward, affine_backward),
        "relu_backward": (check_relu_backward, *_elementwise(layers.relu_forward, h)),
        "sigmoid_backward": (check_sigmoid_backward, *_elementwise(layers.sigmoid_forward, h)),
        "softmax_cross_entropy": (check_softmax_cross_entropy, softmax),
        "two_layer_net": (check_two_layer_net, net),
        "tanh_backward": (check_tanh_backward, *_elementwise(layers.tanh_forward, h)),
        "leaky_relu_backward": (check_leaky_relu_backward, *_elementwise(layers.leaky_relu_forward, h)),
        "elu_backward": (check_elu_backward, *_elementwise(layers.elu_forward, h)),
        "bce_with_logits": (check_bce_with_logits, bce),
        "huber_loss": (check_huber_loss, huber),
        "batchnorm_backward": (check_batchnorm_backward, keeping(layers.batchnorm_forward),
                               normalization_backward(layers.batchnorm_forward)),
        "batchnorm_backward_alt": (check_batchnorm_backward_alt, keeping(layers.batchnorm_forward),
                                   normalization_backward(layers.batchnorm_forward)),
        "layernorm_backward": (check_layernorm_backward, keeping(layers.layernorm_forward),
                               normalization_backward(layers.layernorm_forward)),
        "conv_backward": (check_conv_backward, layers.conv_forward, conv_backward),
        "max_pool_backward": (check_max_pool_backward, pool_forward, pool_backward),
    }


EXERCISES = list(cheats(1e-5))


@pytest.mark.parametrize("h", [1e-4, 1e-5, 1e-6])
@pytest.mark.parametrize("exercise", EXERCISES)
def test_a_backward_pass_by_central_differences_is_named(exercise, h):
    check, *arguments = cheats(h)[exercise]
    message = fails_with(rf"^{exercise}: .*agrees with the exact gradient only to a relative error of .* {NUMERIC}",
                         check, *arguments)
    assert "Hint: derive it with" in message


@pytest.mark.parametrize("exercise", ["affine_backward", "relu_backward", "leaky_relu_backward", "conv_backward",
                                      "max_pool_backward", "huber_loss"])
@pytest.mark.parametrize("h", [1e-3, 1e-2])
def test_large_steps_that_are_exact_for_a_piecewise_linear_layer_still_fail(exercise, h):
    check, *arguments = cheats(h)[exercise]
    with pytest.raises(Exception) as failure:
        check(*arguments)
    assert "is wrong" in str(failure.value) or "numeric gradient" in str(failure.value)


@pytest.mark.parametrize("secret", [7, 123456789])
def test_the_diagnosis_holds_under_grading_secrets(secret):
    use_grading_secret(secret)
    try:
        for exercise in ("affine_backward", "sigmoid_backward", "batchnorm_backward", "conv_backward"):
            check, *arguments = cheats(1e-5)[exercise]
            fails_with(NUMERIC, check, *arguments)
    finally:
        use_grading_secret(None)
