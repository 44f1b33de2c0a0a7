"""Correct answers to every graded exercise of labs 01-05, written in the idioms students bring from
elsewhere: loops, vectorized NumPy, inputs changed in place (CS231n's ``dx = dout; dx[x <= 0] = 0``,
``scores -= scores.max(...)``), d2l's and CS231n's styles. Each entry of ``CALLS`` is one graded
exercise and one idiom: ``(exercise, idiom, run)`` with ``run(seed)`` calling that exercise's check."""
import math

import numpy as np

from course.checks import (check_adagrad, check_adam, check_affine_backward, check_affine_forward,
                           check_batchnorm_backward, check_batchnorm_backward_alt, check_batchnorm_forward,
                           check_bce_with_logits, check_conv_backward, check_conv_forward, check_conv_output_size,
                           check_conv_params, check_dropout, check_elu_backward, check_huber_loss,
                           check_kaiming_normal, check_layernorm_backward, check_leaky_relu_backward,
                           check_max_pool_backward, check_network_table, check_receptive_field, check_relu_backward,
                           check_rmsprop, check_sgd_momentum, check_sigmoid_backward, check_sigmoid_stable,
                           check_softmax_cross_entropy, check_tanh_backward, check_two_layer_net,
                           check_xavier_uniform)

# ------------------------------------------------------------------ lab 01


def affine_forward_loops(x, w, b):
    n = x.shape[0]
    flat = x.reshape(n, -1)
    out = np.zeros((n, w.shape[1]))
    for i in range(n):
        for m in range(w.shape[1]):
            out[i, m] = sum(flat[i, d] * w[d, m] for d in range(w.shape[0])) + b[m]
    return out, (x, w, b)


def affine_forward_cs231n(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_forward_d2l(x, w, b):  # d2l: torch.matmul(X.reshape((-1, W.shape[0])), W) + b
    return np.matmul(x.reshape((-1, w.shape[0])), w) + b, (x, w, b)


def affine_backward_loops(dout, cache):
    x, w, b = cache
    flat = x.reshape(x.shape[0], -1)
    dx, dw, db = np.zeros_like(flat), np.zeros_like(w), np.zeros_like(b)
    for i in range(flat.shape[0]):
        dx[i] = w @ dout[i]
        dw += np.outer(flat[i], dout[i])
        db += dout[i]
    return dx.reshape(x.shape), dw, db


def affine_backward_cs231n(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_einsum(dout, cache):
    x, w, b = cache
    flat = x.reshape(len(x), -1)
    return np.einsum("nm,dm->nd", dout, w).reshape(x.shape), np.einsum("nd,nm->dm", flat, dout), dout.sum(0)


def relu_forward_cs231n(x):
    out = np.maximum(0, x)
    return out, x


def relu_backward_cs231n(dout, cache):  # CS231n: dx = dout; dx[x <= 0] = 0 (changes dout in place)
    x = cache
    dx = dout
    dx[x <= 0] = 0
    return dx


def relu_forward_in_place(x):  # works on its input and keeps a mask
    mask = x > 0
    x[~mask] = 0
    return x, mask


def relu_backward_loops(dout, cache):
    mask = cache
    dx = np.empty_like(dout)
    for index in np.ndindex(dout.shape):
        dx[index] = dout[index] if mask[index] else 0.0
    return dx


def sigmoid_forward_stable(x):
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_forward_masks(x):  # boolean masks, writing into a new array
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out, out


def sigmoid_forward_naive(x):  # right values everywhere in float64 (exp(1000) = inf, 1 / inf = 0)
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_forward_tanh(x):
    out = 0.5 * (1 + np.tanh(0.5 * x))
    return out, (x, out)


def sigmoid_backward_plain(dout, cache):
    return dout * cache * (1 - cache)


def sigmoid_backward_tuple(dout, cache):
    _, s = cache
    return dout * (s - s * s)


def sigmoid_backward_in_place(dout, cache):  # multiplies into dout
    dout *= cache
    dout *= 1 - cache
    return dout


def log_sigmoid_branches(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def log_sigmoid_logaddexp(x):
    return -np.logaddexp(0, -x)


def log_sigmoid_masks(x):
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = -np.log1p(np.exp(-x[positive]))
    out[~positive] = x[~positive] - np.log1p(np.exp(x[~positive]))
    return out


def softmax_ce_cs231n(scores, y, label_smoothing=0.0):
    """CS231n's softmax_loss: shifts the scores in place, builds the probabilities, in-place dx."""
    num_train = scores.shape[0]
    scores -= np.max(scores, axis=1, keepdims=True)
    exp = np.exp(scores)
    probs = exp / np.sum(exp, axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(exp, axis=1, keepdims=True))
    C = scores.shape[1]
    target = np.full(scores.shape, label_smoothing / C)
    target[np.arange(num_train), y] += 1 - label_smoothing
    loss = -np.sum(target * log_probs) / num_train
    dx = probs.copy()
    dx -= target
    dx /= num_train
    return loss, dx


def softmax_ce_loops(scores, y, label_smoothing=0.0):
    n, c = scores.shape
    loss, dscores = 0.0, np.zeros_like(scores)
    for i in range(n):
        row = scores[i] - max(scores[i])
        total = sum(math.exp(v) for v in row)
        for k in range(c):
            t = label_smoothing / c + (1 - label_smoothing) * (k == y[i])
            loss -= t * (row[k] - math.log(total))
            dscores[i, k] = (math.exp(row[k]) / total - t) / n
    return loss / n, dscores


def softmax_ce_d2l(scores, y, label_smoothing=0.0):  # d2l: log-sum-exp with the max taken out
    c = scores.max(axis=1, keepdims=True)
    lse = c + np.log(np.exp(scores - c).sum(axis=1, keepdims=True))
    log_p = scores - lse
    one_hot = np.eye(scores.shape[1])[y]
    target = (1 - label_smoothing) * one_hot + label_smoothing / scores.shape[1]
    return -(target * log_p).sum() / len(y), (np.exp(log_p) - target) / len(y)


def _net(affine_forward, affine_backward, relu_forward, relu_backward, softmax_cross_entropy):
    def two_layer_net_loss(params, X, y=None, reg=0.0):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        hidden, cache1 = affine_forward(X, W1, b1)
        activated, cache_relu = relu_forward(hidden)
        scores, cache2 = affine_forward(activated, W2, b2)
        if y is None:
            return scores
        data_loss, dscores = softmax_cross_entropy(scores, y)
        loss = data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dactivated, dW2, db2 = affine_backward(dscores, cache2)
        _, dW1, db1 = affine_backward(relu_backward(dactivated, cache_relu), cache1)
        dW1 += reg * W1
        dW2 += reg * W2
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    return two_layer_net_loss


def two_layer_net_cs231n(params, X, y=None, reg=0.0):
    """CS231n's TwoLayerNet.loss, written out in one function, in-place where it can."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    h = np.maximum(0, X.dot(W1) + b1)
    scores = h.dot(W2) + b2
    if y is None:
        return scores
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads = {"W2": h.T.dot(dscores) + reg * W2, "b2": dscores.sum(axis=0)}
    dh = dscores.dot(W2.T)
    dh[h <= 0] = 0
    grads["W1"] = X.T.dot(dh) + reg * W1
    grads["b1"] = dh.sum(axis=0)
    return loss, grads


# ------------------------------------------------------------------ lab 02


def tanh_forward_plain(x):
    out = np.tanh(x)
    return out, out


def tanh_forward_exp(x):
    e = np.exp(-2 * np.abs(x))
    out = np.sign(x) * (1 - e) / (1 + e)
    return out, x


def tanh_backward_plain(dout, cache):
    return dout * (1 - cache ** 2)


def tanh_backward_cosh(dout, cache):
    return dout / np.cosh(cache) ** 2


def tanh_backward_in_place(dout, cache):
    dout *= 1 - cache * cache
    return dout


def leaky_forward_where(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_forward_in_place(x, alpha=0.01):
    negative = x <= 0
    x[negative] *= alpha
    return x, (negative, alpha)


def leaky_backward_where(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)


def leaky_backward_in_place(dout, cache):  # CS231n-style: scale dout where the input was negative
    negative, alpha = cache
    dx = dout
    dx[negative] *= alpha
    return dx


def elu_forward_plain(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))
    return out, (x, out, alpha)


def elu_backward_from_output(dout, cache):  # the slope on the negative side is out + alpha
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * (out + alpha))


def elu_backward_loops(dout, cache):
    x, _, alpha = cache
    dx = np.empty_like(dout)
    for index in np.ndindex(dout.shape):
        dx[index] = dout[index] if x[index] > 0 else dout[index] * alpha * math.exp(x[index])
    return dx


def bce_logaddexp(logits, target):
    loss = np.mean(np.logaddexp(0, logits) - target * logits)
    p = np.exp(-np.logaddexp(0, -logits))
    return loss, (p - target) / logits.size


def bce_softplus_in_place(logits, target):
    loss = np.mean(np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits))))
    e = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
    p -= target
    p /= logits.size
    return loss, p


def bce_loops(logits, target):
    flat_x, flat_t = logits.reshape(-1), target.reshape(-1)
    total, grad = 0.0, np.empty_like(flat_x)
    for i, (x, t) in enumerate(zip(flat_x, flat_t)):
        total += max(x, 0) - x * t + math.log1p(math.exp(-abs(x)))
        p = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        grad[i] = (p - t) / flat_x.size
    return total / flat_x.size, grad.reshape(logits.shape)


def huber_where(pred, target, delta=1.0):
    r = pred - target
    small = np.abs(r) <= delta
    loss = np.where(small, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)).mean()
    return loss, np.where(small, r, delta * np.sign(r)) / r.size


def huber_in_place(pred, target, delta=1.0):
    pred -= target  # pred now holds the residuals
    loss = np.mean(np.where(np.abs(pred) <= delta, pred * pred / 2, delta * np.abs(pred) - delta * delta / 2))
    np.clip(pred, -delta, delta, out=pred)
    pred /= pred.size
    return loss, pred


# ------------------------------------------------------------------ lab 03


class SGDBuffers:
    """torch.optim.SGD's rule, buffers in state, new arrays for the gradient."""

    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        self.params, self.lr, self.momentum, self.nesterov = list(params), lr, momentum, nesterov
        self.state = [{} for _ in self.params]

    def step(self, grads):
        for p, g, state in zip(self.params, grads, self.state):
            if self.momentum:
                if "buf" not in state:
                    state["buf"] = g.copy()
                else:
                    state["buf"] *= self.momentum
                    state["buf"] += g
                g = g + self.momentum * state["buf"] if self.nesterov else state["buf"]
            p -= self.lr * g


class SGDVelocity:
    """CS231n's sgd_momentum with torch's convention (v = mu v + g; p -= lr v), velocities in a list."""

    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        self.params, self.lr, self.momentum, self.nesterov = params, lr, momentum, nesterov
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads)):
            self.v[i] = self.momentum * self.v[i] + g
            update = g + self.momentum * self.v[i] if self.nesterov else self.v[i]
            p[...] = p - self.lr * update


class AdagradState:
    def __init__(self, params, lr=1e-2, eps=1e-10):
        self.params, self.lr, self.eps = list(params), lr, eps
        self.cache = [np.zeros_like(p) for p in self.params]

    def step(self, grads):
        for p, g, c in zip(self.params, grads, self.cache):
            c += g * g
            p -= self.lr * g / (np.sqrt(c) + self.eps)


class RMSpropCS231n:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.params, self.lr, self.alpha, self.eps = list(params), lr, alpha, eps
        self.cache = [np.zeros_like(p) for p in self.params]

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads)):
            self.cache[i] = self.alpha * self.cache[i] + (1 - self.alpha) * g ** 2
            p -= self.lr * g / (np.sqrt(self.cache[i]) + self.eps)


class AdamCS231n:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = list(params), lr, betas, eps
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, grads):
        beta1, beta2 = self.betas
        self.t += 1
        for i, (p, g) in enumerate(zip(self.params, grads)):
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * (g * g)
            mt = self.m[i] / (1 - beta1 ** self.t)
            vt = self.v[i] / (1 - beta2 ** self.t)
            p -= self.lr * mt / (np.sqrt(vt) + self.eps)


def xavier_uniform_plain(shape, seed=None):
    rng = np.random.default_rng(seed)
    fan_in, fan_out = shape
    a = math.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)


def xavier_uniform_gain(shape, seed=None):  # torch's form: gain * sqrt(2 / (fan_in + fan_out)) * sqrt(3)
    rng = np.random.default_rng(seed)
    std = 1.0 * math.sqrt(2.0 / float(shape[0] + shape[1]))
    return (2 * rng.random(shape) - 1) * math.sqrt(3.0) * std


def kaiming_normal_plain(shape, seed=None):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, math.sqrt(2.0 / shape[0]), size=shape)


def kaiming_normal_standard(shape, seed=None):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) * np.sqrt(2 / shape[0])


# ------------------------------------------------------------------ lab 04


def dropout_forward_where(x, p, mode, seed=None):
    if mode == "test":
        return x, None
    keep = np.random.default_rng(seed).random(x.shape) >= p
    mask = np.where(keep, 1.0 / (1.0 - p), 0.0) if p < 1 else np.zeros(x.shape)
    return x * mask, mask


def dropout_backward_where(dout, cache):
    return dout if cache is None else dout * cache


def dropout_forward_in_place(x, p, mode, seed=None):
    if mode != "train":
        return x, ("test", None)
    keep = np.random.default_rng(seed).random(x.shape) >= p
    x[~keep] = 0
    if p < 1:
        x /= 1 - p
    return x, ("train", (keep, p))


def dropout_backward_in_place(dout, cache):
    mode, kept = cache
    if mode == "test":
        return dout
    keep, p = kept
    dout[~keep] = 0
    if p < 1:
        dout /= 1 - p
    return dout


def batchnorm_forward_graph(x, gamma, beta, bn_param):
    """The lab's node by node forward; the running statistics updated in place."""
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.1)
    D = x.shape[1]
    running_mean = bn_param.setdefault("running_mean", np.zeros(D))
    running_var = bn_param.setdefault("running_var", np.ones(D))
    if mode == "train":
        n = x.shape[0]
        mean = x.sum(axis=0) / n
        centered = x - mean
        var = (centered ** 2).sum(axis=0) / n
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        centered, var = x - running_mean, running_var
    inv_std = (var + eps) ** -0.5
    x_hat = centered * inv_std
    return gamma * x_hat + beta, {"mode": mode, "centered": centered, "var": var, "inv_std": inv_std, "x_hat": x_hat,
                                  "gamma": gamma, "eps": eps}


def batchnorm_forward_loops(x, gamma, beta, bn_param):
    """Feature by feature, with Python loops; a tuple cache."""
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.1)
    n, D = x.shape
    if "running_mean" not in bn_param:
        bn_param["running_mean"] = np.zeros(D)
        bn_param["running_var"] = np.ones(D)
    out, x_hat, inv_std = np.empty_like(x), np.empty_like(x), np.empty(D)
    for d in range(D):
        column = x[:, d]
        if mode == "train":
            mean = sum(column) / n
            var = sum((v - mean) ** 2 for v in column) / n
            bn_param["running_mean"][d] = (1 - momentum) * bn_param["running_mean"][d] + momentum * mean
            bn_param["running_var"][d] = (1 - momentum) * bn_param["running_var"][d] + momentum * var * n / (n - 1)
        else:
            mean, var = bn_param["running_mean"][d], bn_param["running_var"][d]
        inv_std[d] = 1 / math.sqrt(var + eps)
        x_hat[:, d] = (column - mean) * inv_std[d]
        out[:, d] = gamma[d] * x_hat[:, d] + beta[d]
    return out, (mode, x_hat, inv_std, gamma)


def batchnorm_backward_graph(dout, cache):
    mode, centered, var, inv_std, x_hat, gamma, eps = (cache[k] for k in ("mode", "centered", "var", "inv_std",
                                                                          "x_hat", "gamma", "eps"))
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    d_centered = dx_hat * inv_std
    d_inv_std = (dx_hat * centered).sum(axis=0)
    d_var = -0.5 * (var + eps) ** -1.5 * d_inv_std
    d_centered += 2 * centered * d_var / n
    d_mean = -d_centered.sum(axis=0)
    return d_centered + d_mean / n, dgamma, dbeta


def batchnorm_backward_closed_tuple(dout, cache):
    mode, x_hat, inv_std, gamma = cache
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    dbeta = dout.sum(0)
    g = dout * gamma
    if mode == "test":
        return g * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = (n * g - g.sum(0) - x_hat * (g * x_hat).sum(0)) * inv_std / n
    return dx, dgamma, dbeta


def batchnorm_backward_closed_dict(dout, cache):
    return batchnorm_backward_closed_tuple(dout, (cache["mode"], cache["x_hat"], cache["inv_std"], cache["gamma"]))


def layernorm_forward_plain(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    sigma = np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)
    x_hat = (x - mu) / sigma
    return gamma * x_hat + beta, (x_hat, sigma, gamma)


def layernorm_backward_plain(dout, cache):
    x_hat, sigma, gamma = cache
    d = x_hat.shape[-1]
    g = dout * gamma
    dx = (g - g.mean(-1, keepdims=True) - x_hat * (g * x_hat).mean(-1, keepdims=True)) / sigma
    return dx, (dout * x_hat).sum(0), dout.sum(0) + 0 * d


def layernorm_via_transposed_batchnorm(x, gamma, beta, eps=1e-5):  # CS231n's trick: BatchNorm on x.T
    xt = x.T
    mean = xt.mean(axis=0)
    var = xt.var(axis=0)
    x_hat = ((xt - mean) / np.sqrt(var + eps)).T
    return gamma * x_hat + beta, (x_hat, 1 / np.sqrt(var + eps), gamma)


def layernorm_backward_transposed(dout, cache):
    x_hat, inv_std, gamma = cache
    g = (dout * gamma).T
    xh = x_hat.T
    n = g.shape[0]
    dx = (inv_std / n * (n * g - g.sum(0) - xh * (g * xh).sum(0))).T
    return dx, (dout * x_hat).sum(0), dout.sum(0)


# ------------------------------------------------------------------ lab 05


def conv_output_size_floor(n, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    if span > n + 2 * padding:
        raise ValueError("the kernel does not fit")
    return math.floor((n + 2 * padding - span) / stride) + 1


def conv_output_size_int(n, kernel, stride=1, padding=0, dilation=1):  # int() rounds positives down
    effective = dilation * kernel - dilation + 1
    if n + 2 * padding < effective:
        raise ValueError(f"kernel {effective} > padded input {n + 2 * padding}")
    return int((n + 2 * padding - effective) / stride) + 1


def conv_params_plain(c_in, c_out, kernel, bias=True, groups=1):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    if c_in % groups != 0 or c_out % groups != 0:
        raise ValueError("groups must divide both channel counts")
    return (c_in // groups) * kh * kw * c_out + (c_out if bias else 0)


def network_table_loops(layers, input_shape):
    c, h, w = input_shape
    rows = []
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            _, f, k, s, p = layer
            params = conv_params_plain(c, f, k)
            c, h, w = f, conv_output_size_floor(h, k, s, p), conv_output_size_floor(w, k, s, p)
            rows.append(((c, h, w), params))
        elif kind == "pool":
            _, k, s = layer
            h, w = (h - k) // s + 1, (w - k) // s + 1
            rows.append(((c, h, w), 0))
        else:
            inputs = c * h * w if h is not None else c
            c, h, w = layer[1], None, None
            rows.append(((c,), inputs * c + c))
    return rows


def conv_forward_loops(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0,), (0,), (pad,), (pad,)), mode="constant")  # CS231n's np.pad spelling
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = np.sum(x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] * w[f]) + b[f]
    return out, (x, w, b, stride, pad)


def conv_forward_windows(x, w, b, stride=1, pad=0):
    """Vectorized with sliding_window_view and einsum."""
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwij,fcij->nfhw", windows, w) + b[None, :, None, None]
    return out, (x, w, b, stride, pad)


def conv_forward_im2col(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    H_out, W_out = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad:pad + H, pad:pad + W] = x
    cols = np.empty((N, C * KH * KW, H_out * W_out))
    for i in range(H_out):
        for j in range(W_out):
            cols[:, :, i * W_out + j] = x_pad[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW].reshape(N, -1)
    out = (w.reshape(F, -1) @ cols).reshape(N, F, H_out, W_out) + b.reshape(1, F, 1, 1)
    return out, (x, w, b, stride, pad)


def conv_backward_loops(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0,), (0,), (pad,), (pad,)), mode="constant")
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            db[f] += dout[n, f].sum()
            for i in range(H_out):
                for j in range(W_out):
                    window = (slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW))
                    dw[f] += x_pad[(n, slice(None)) + window] * dout[n, f, i, j]
                    dx_pad[(n, slice(None)) + window] += w[f] * dout[n, f, i, j]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db


def conv_backward_windows(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (KH, KW), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("nchwij,nfhw->fcij", windows, dout)
    dx_pad = np.zeros_like(x_pad)
    contributions = np.einsum("nfhw,fcij->nchwij", dout, w)
    for i in range(KH):
        for j in range(KW):
            rows = slice(i, i + stride * (dout.shape[2] - 1) + 1, stride)
            cols = slice(j, j + stride * (dout.shape[3] - 1) + 1, stride)
            dx_pad[:, :, rows, cols] += contributions[..., i, j]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_loops(x, kernel=2, stride=2):
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - kernel) // stride, 1 + (W - kernel) // stride
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel])
    return out, (x, kernel, stride)


def max_pool_backward_loops(dout, cache):  # CS231n: a mask of the window's maximum
    x, kernel, stride = cache
    dx = np.zeros_like(x)
    N, C, H_out, W_out = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
                    mask = window == np.max(window)
                    dx[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel] += mask * dout[n, c, i, j]
    return dx


def max_pool_forward_windows(x, kernel=2, stride=2):
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    flat = windows.reshape(windows.shape[:4] + (-1,))
    return flat.max(axis=-1), (x.shape, kernel, stride, flat.argmax(axis=-1))


def max_pool_backward_windows(dout, cache):
    shape, kernel, stride, argmax = cache
    dx = np.zeros(shape)
    rows, cols = np.divmod(argmax, kernel)
    n, c, i, j = np.indices(dout.shape)
    np.add.at(dx, (n, c, i * stride + rows, j * stride + cols), dout)
    return dx


def receptive_field_loops(layers):
    out, rf, jump = [], 1, 1
    for layer in layers:
        k, s, d = (tuple(layer) + (1,))[:3]
        rf = rf + (k - 1) * d * jump
        jump = jump * s
        out.append(rf)
    return out


def receptive_field_backwards(layers):  # from the top down, for every prefix
    fields = []
    for end in range(1, len(layers) + 1):
        field = 1
        for layer in reversed(layers[:end]):
            k, s = layer[0], layer[1]
            d = layer[2] if len(layer) > 2 else 1
            field = (field - 1) * s + d * (k - 1) + 1
        fields.append(field)
    return fields


# ------------------------------------------------------------------ every graded exercise, every idiom

NETS = {"layers": _net(affine_forward_loops, affine_backward_cs231n, relu_forward_cs231n, relu_backward_cs231n,
                       softmax_ce_cs231n),
        "layers, vectorized": _net(affine_forward_d2l, affine_backward_einsum, relu_forward_in_place,
                                   relu_backward_loops, softmax_ce_d2l),
        "cs231n": two_layer_net_cs231n}

CALLS = [
    *[("affine_forward", f.__name__, lambda seed, f=f: (check_affine_forward(f, seed=seed),
                                                         check_affine_forward(f, seed=seed + 1, N=1, input_shape=(7,), M=2)))
      for f in (affine_forward_loops, affine_forward_cs231n, affine_forward_d2l)],
    *[("affine_backward", f.__name__, lambda seed, f=f: (check_affine_backward(affine_forward_cs231n, f, seed=seed),
                                                          check_affine_backward(affine_forward_cs231n, f, seed=seed + 1,
                                                                                N=8, input_shape=(3, 2, 2), M=3)))
      for f in (affine_backward_loops, affine_backward_cs231n, affine_backward_einsum)],
    *[("relu", f"{f.__name__} + {b.__name__}", lambda seed, f=f, b=b: check_relu_backward(f, b, seed=seed, shape=(3, 4, 2)))
      for f, b in ((relu_forward_cs231n, relu_backward_cs231n), (relu_forward_in_place, relu_backward_loops))],
    *[("sigmoid", f"{f.__name__} + {b.__name__}",
       lambda seed, f=f, b=b: check_sigmoid_backward(f, b, seed=seed, shape=(13, 2)))
      for f, b in ((sigmoid_forward_stable, sigmoid_backward_plain), (sigmoid_forward_masks, sigmoid_backward_in_place),
                   (sigmoid_forward_naive, sigmoid_backward_plain), (sigmoid_forward_tanh, sigmoid_backward_tuple))],
    *[("sigmoid_stable", f"{f.__name__} + {b.__name__} + {g.__name__}",
       lambda seed, f=f, b=b, g=g: check_sigmoid_stable(f, b, g, seed=seed, shape=(3, 2, 5)))
      for f, b, g in ((sigmoid_forward_stable, sigmoid_backward_plain, log_sigmoid_branches),
                      (sigmoid_forward_masks, sigmoid_backward_in_place, log_sigmoid_logaddexp),
                      (sigmoid_forward_naive, sigmoid_backward_plain, log_sigmoid_masks))],
    *[("softmax_cross_entropy", f.__name__, lambda seed, f=f: (check_softmax_cross_entropy(f, seed=seed, N=10, C=7),
                                                                check_softmax_cross_entropy(f, seed=seed + 1, N=1, C=2)))
      for f in (softmax_ce_cs231n, softmax_ce_loops, softmax_ce_d2l)],
    *[("two_layer_net", name, lambda seed, net=net: check_two_layer_net(net, seed=seed, N=7, D=5, H=8, C=4, reg=0.3))
      for name, net in NETS.items()],
    *[("tanh_backward", f"{f.__name__} + {b.__name__}", lambda seed, f=f, b=b: check_tanh_backward(f, b, seed=seed))
      for f, b in ((tanh_forward_plain, tanh_backward_plain), (tanh_forward_exp, tanh_backward_cosh),
                   (tanh_forward_plain, tanh_backward_in_place))],
    *[("leaky_relu_backward", f"{f.__name__} + {b.__name__}",
       lambda seed, f=f, b=b: check_leaky_relu_backward(f, b, seed=seed, shape=(4, 3, 2), alpha=0.2))
      for f, b in ((leaky_forward_where, leaky_backward_where), (leaky_forward_in_place, leaky_backward_in_place))],
    *[("elu_backward", b.__name__, lambda seed, b=b: check_elu_backward(elu_forward_plain, b, seed=seed, alpha=1.7))
      for b in (elu_backward_from_output, elu_backward_loops)],
    *[("softmax_cross_entropy (smoothed)", f.__name__,
       lambda seed, f=f: check_softmax_cross_entropy(f, seed=seed, N=9, C=3, label_smoothing=0.25))
      for f in (softmax_ce_cs231n, softmax_ce_loops, softmax_ce_d2l)],
    *[("bce_with_logits", f.__name__, lambda seed, f=f: check_bce_with_logits(f, seed=seed, shape=(3, 2, 4)))
      for f in (bce_logaddexp, bce_softplus_in_place, bce_loops)],
    *[("huber_loss", f.__name__, lambda seed, f=f: check_huber_loss(f, seed=seed, shape=(3, 4, 2), delta=0.5))
      for f in (huber_where, huber_in_place)],
    *[("sgd_momentum", c.__name__, lambda seed, c=c: (check_sgd_momentum(c, seed=seed),
                                                       check_sgd_momentum(c, seed=seed + 1, nesterov=True)))
      for c in (SGDBuffers, SGDVelocity)],
    ("adagrad", "AdagradState", lambda seed: check_adagrad(AdagradState, seed=seed, lr=0.5)),
    ("rmsprop", "RMSpropCS231n", lambda seed: check_rmsprop(RMSpropCS231n, seed=seed, alpha=0.9)),
    ("adam", "AdamCS231n", lambda seed: check_adam(AdamCS231n, seed=seed, betas=(0.8, 0.99))),
    *[("xavier_uniform", f.__name__, lambda seed, f=f: check_xavier_uniform(f, seed=seed))
      for f in (xavier_uniform_plain, xavier_uniform_gain)],
    *[("kaiming_normal", f.__name__, lambda seed, f=f: check_kaiming_normal(f, seed=seed))
      for f in (kaiming_normal_plain, kaiming_normal_standard)],
    *[("dropout", f"{f.__name__} + {b.__name__}",
       lambda seed, f=f, b=b: check_dropout(f, b, seed=seed, p=0.5, shape=(300, 300)))
      for f, b in ((dropout_forward_where, dropout_backward_where), (dropout_forward_in_place, dropout_backward_in_place))],
    *[("batchnorm_forward", f.__name__, lambda seed, f=f: check_batchnorm_forward(f, seed=seed, N=4, D=3, steps=4,
                                                                                   momentum=0.5))
      for f in (batchnorm_forward_graph, batchnorm_forward_loops)],
    ("batchnorm_backward", "graph", lambda seed: check_batchnorm_backward(batchnorm_forward_graph, batchnorm_backward_graph,
                                                                          seed=seed, N=10, D=6)),
    *[("batchnorm_backward_alt", f"{f.__name__} + {b.__name__}",
       lambda seed, f=f, b=b: check_batchnorm_backward_alt(f, b, seed=seed, N=4, D=3))
      for f, b in ((batchnorm_forward_loops, batchnorm_backward_closed_tuple),
                   (batchnorm_forward_graph, batchnorm_backward_closed_dict))],
    *[("layernorm", f"{f.__name__} + {b.__name__}", lambda seed, f=f, b=b: check_layernorm_backward(f, b, seed=seed, N=5, D=12))
      for f, b in ((layernorm_forward_plain, layernorm_backward_plain),
                   (layernorm_via_transposed_batchnorm, layernorm_backward_transposed))],
    *[("conv_output_size", f.__name__, lambda seed, f=f: check_conv_output_size(f, seed=seed, trials=60))
      for f in (conv_output_size_floor, conv_output_size_int)],
    ("conv_params", "plain", lambda seed: check_conv_params(conv_params_plain, seed=seed, trials=60)),
    ("network_table", "loops", lambda seed: check_network_table(network_table_loops, seed=seed, trials=8)),
    *[("conv_forward", f.__name__, lambda seed, f=f: (check_conv_forward(f, seed=seed),
                                                       check_conv_forward(f, seed=seed + 1, N=1, C=4, H=9, W=9, F=2, KH=5,
                                                                          KW=5, stride=3, pad=1)))
      for f in (conv_forward_loops, conv_forward_windows, conv_forward_im2col)],
    *[("conv_backward", b.__name__, lambda seed, b=b: (check_conv_backward(conv_forward_loops, b, seed=seed),
                                                        check_conv_backward(conv_forward_loops, b, seed=seed + 1, N=2, C=1,
                                                                            H=6, W=7, F=3, KH=2, KW=3, stride=2, pad=2)))
      for b in (conv_backward_loops, conv_backward_windows)],
    *[("max_pool", f"{f.__name__} + {b.__name__}",
       lambda seed, f=f, b=b: (check_max_pool_backward(f, b, seed=seed),
                               check_max_pool_backward(f, b, seed=seed + 1, N=2, C=1, H=7, W=7, kernel=3, stride=2)))
      for f, b in ((max_pool_forward_loops, max_pool_backward_loops), (max_pool_forward_windows, max_pool_backward_windows))],
    *[("receptive_field", f.__name__, lambda seed, f=f: check_receptive_field(f, seed=seed, trials=25))
      for f in (receptive_field_loops, receptive_field_backwards)],
]
