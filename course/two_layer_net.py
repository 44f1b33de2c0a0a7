"""Reference two-layer classifier: affine - ReLU - affine - softmax cross-entropy.

torch twin: ``nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))`` trained with
``F.cross_entropy`` and SGD with ``weight_decay=reg`` on the weights (the penalty
``0.5 * reg * (|W1|^2 + |W2|^2)`` has gradient ``reg * W``; biases are not penalised).
"""
import numpy as np

from .layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_cross_entropy


def init_two_layer_net(input_size, hidden_size, num_classes, weight_scale=None, seed=0):
    """Parameters ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,).

    Weights are Gaussian with std ``weight_scale`` (default: He, sqrt(2 / fan_in)); biases 0.
    """
    rng = np.random.default_rng(seed)
    scale1 = np.sqrt(2.0 / input_size) if weight_scale is None else weight_scale
    scale2 = np.sqrt(2.0 / hidden_size) if weight_scale is None else weight_scale
    return {
        "W1": rng.normal(scale=scale1, size=(input_size, hidden_size)),
        "b1": np.zeros(hidden_size),
        "W2": rng.normal(scale=scale2, size=(hidden_size, num_classes)),
        "b2": np.zeros(num_classes),
    }


def two_layer_net_loss(params, X, y=None, reg=0.0):
    """Class scores (N, C) if ``y`` is None, else ``(loss, grads)`` with one gradient per parameter."""
    hidden, cache1 = affine_forward(X, params["W1"], params["b1"])
    activated, cache_relu = relu_forward(hidden)
    scores, cache2 = affine_forward(activated, params["W2"], params["b2"])
    if y is None:
        return scores
    data_loss, dscores = softmax_cross_entropy(scores, y)
    loss = data_loss + 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    dactivated, dW2, db2 = affine_backward(dscores, cache2)
    dhidden = relu_backward(dactivated, cache_relu)
    _, dW1, db1 = affine_backward(dhidden, cache1)
    grads = {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}
    return loss, grads


def predict(params, X, loss_fn=two_layer_net_loss):
    """Predicted class of each row of ``X``."""
    return np.argmax(loss_fn(params, X), axis=1)


def sgd_step(params, grads, learning_rate):
    """One step of plain gradient descent, in place: ``p -= learning_rate * dp``."""
    for name, value in params.items():
        value -= learning_rate * grads[name]
