"""Correct code in the idioms students learn elsewhere passes every graded exercise of labs 08
and 09: loops over time or vectorized, CS231n's (``dnext_c += ...``, an input changed in place),
d2l's (a large negative number instead of -inf for the mask, a (1, L, E) encoding table), and
others; and under three grading secrets, the lab's solutions pass every check of the two labs.
A backward pass computed by finite differences of the student's own forward pass does not pass.

Every implementation here is written for this test (none is the course's reference)."""
import math

import numpy as np
import pytest

from course.checks.attention import check_attention_backward, check_attention_forward, check_attention_masks
from course.checks.clipping import check_clip_grad_norm
from course.checks.heads import check_split_heads
from course.checks.judging import take_notes, use_grading_secret
from course.checks.positional_encoding import check_positional_encoding
from course.checks.recurrent import (check_lstm_backward, check_lstm_step_backward, check_lstm_step_forward,
                                     check_rnn_backward, check_rnn_step_backward)
from tests.checks.failing import fails_with


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ------------------------------------------------------------------ lab 08: the RNN step

def rnn_step_cs231n():
    def forward(x, prev_h, Wx, Wh, b):
        next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
        return next_h, (x, prev_h, Wx, Wh, next_h)

    def backward(dnext_h, cache):
        x, prev_h, Wx, Wh, next_h = cache
        dtanh = dnext_h * (1 - next_h ** 2)
        return dtanh.dot(Wx.T), dtanh.dot(Wh.T), x.T.dot(dtanh), prev_h.T.dot(dtanh), np.sum(dtanh, axis=0)

    return forward, backward


def rnn_step_recomputed():
    """Keeps the pre-activation and recomputes tanh; einsum for the weight gradients."""
    def forward(x, h_prev, Wx, Wh, b):
        a = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
        return np.tanh(a), {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "a": a}

    def backward(dh, cache):
        da = dh * (1 - np.tanh(cache["a"]) ** 2)
        return (np.einsum("nh,dh->nd", da, cache["Wx"]), np.einsum("nh,kh->nk", da, cache["Wh"]),
                np.einsum("nd,nh->dh", cache["x"], da), np.einsum("nk,nh->kh", cache["h_prev"], da), da.sum(0))

    return forward, backward


def rnn_step_in_place():
    """Overwrites the upstream gradient with da (``dh *= ...``), and loops over the batch."""
    def forward(x, h_prev, Wx, Wh, b):
        h = x @ Wx
        h += h_prev @ Wh
        h += b
        np.tanh(h, out=h)
        return h, (x, h_prev, Wx, Wh, h.copy())

    def backward(dh, cache):
        x, h_prev, Wx, Wh, h = cache
        dh *= 1 - h * h
        dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
        for n in range(len(x)):
            dWx += np.outer(x[n], dh[n])
            dWh += np.outer(h_prev[n], dh[n])
        return dh @ Wx.T, dh @ Wh.T, dWx, dWh, dh.sum(axis=0)

    return forward, backward


RNN_STEPS = {"cs231n": rnn_step_cs231n, "recomputed tanh, einsum": rnn_step_recomputed,
             "in place, loop over the batch": rnn_step_in_place}


# ------------------------------------------------------------------ lab 08: the RNN over a sequence

def rnn_sequence_cs231n(step):
    step_forward, step_backward = step()

    def forward(x, h0, Wx, Wh, b):
        N, T, _ = x.shape
        h, cache, prev_h = np.zeros((N, T, h0.shape[1])), [], h0
        for t in range(T):
            prev_h, step_cache = step_forward(x[:, t, :], prev_h, Wx, Wh, b)
            h[:, t, :] = prev_h
            cache.append(step_cache)
        return h, cache

    def backward(dh, cache):
        N, T, H = dh.shape
        D = cache[0][0].shape[1] if isinstance(cache[0], tuple) else cache[0]["x"].shape[1]
        dx, dWx, dWh, db = np.zeros((N, T, D)), 0, 0, 0
        dprev_h = np.zeros((N, H))
        for t in reversed(range(T)):
            dx[:, t, :], dprev_h, dWx_t, dWh_t, db_t = step_backward(dh[:, t, :] + dprev_h, cache[t])
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        return dx, dprev_h, dWx, dWh, db

    return forward, backward


def rnn_sequence_in_place_upstream():
    """Adds each step's dh_prev into the caller's dh[:, t - 1] (changing dh in place)."""
    step_forward, step_backward = rnn_step_cs231n()

    def forward(x, h0, Wx, Wh, b):
        states, caches = [], []
        for x_t in x.transpose(1, 0, 2):  # time-major, as d2l's loops
            h0, cache = step_forward(x_t, h0, Wx, Wh, b)
            states.append(h0)
            caches.append(cache)
        return np.stack(states, axis=1), caches

    def backward(dh, caches):
        grads = None
        for t in range(dh.shape[1] - 1, -1, -1):
            dx_t, dh_prev, *weights = step_backward(dh[:, t], caches[t])
            if t > 0:
                dh[:, t - 1] += dh_prev
            grads = weights if grads is None else [g + w for g, w in zip(grads, weights)]
            if t == dh.shape[1] - 1:
                dx = np.zeros(dh.shape[:2] + dx_t.shape[1:])
            dx[:, t] = dx_t
        return (dx, dh_prev, *grads)

    return forward, backward


def rnn_sequence_vectorized_weights():
    """Collects da for every step, then one einsum per weight gradient."""
    def forward(x, h0, Wx, Wh, b):
        N, T, _ = x.shape
        h = np.zeros((N, T + 1, h0.shape[1]))
        h[:, 0] = h0
        for t in range(T):
            h[:, t + 1] = np.tanh(x[:, t] @ Wx + h[:, t] @ Wh + b)
        return h[:, 1:].copy(), (x, h, Wx, Wh)

    def backward(dh, cache):
        x, h, Wx, Wh = cache
        T = x.shape[1]
        da = np.zeros(dh.shape)
        carried = np.zeros_like(dh[:, 0])
        for t in reversed(range(T)):
            da[:, t] = (dh[:, t] + carried) * (1 - h[:, t + 1] ** 2)
            carried = da[:, t] @ Wh.T
        dx = da @ Wx.T
        return (dx, carried, np.einsum("ntd,nth->dh", x, da), np.einsum("ntk,nth->kh", h[:, :-1], da),
                da.sum(axis=(0, 1)))

    return forward, backward


RNN_SEQUENCES = {"cs231n": lambda: rnn_sequence_cs231n(rnn_step_cs231n),
                 "cs231n with an in-place step": lambda: rnn_sequence_cs231n(rnn_step_in_place),
                 "dh[:, t - 1] += dh_prev, time-major": rnn_sequence_in_place_upstream,
                 "vectorized weight gradients": rnn_sequence_vectorized_weights}


# ------------------------------------------------------------------ lab 08: clipping

def clip_lab(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    for g in grads:
        g *= min(1.0, max_norm / (total + 1e-6))
    return total


def clip_without_epsilon(grads, max_norm):
    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    if total > max_norm:
        for g in grads:
            np.multiply(g, max_norm / total, out=g)
    return total


def clip_torch_style(grads, max_norm):
    norms = [np.linalg.norm(g.reshape(-1)) for g in grads]
    total = np.linalg.norm(norms)
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g[...] = g * coefficient
    return float(total)


CLIPS = {"lab": clip_lab, "no epsilon, np.multiply(out=)": clip_without_epsilon,
         "norm of norms, g[...] =": clip_torch_style}


# ------------------------------------------------------------------ lab 08: the LSTM step

def lstm_step_cs231n():
    """CS231n's assignment 3, gates stacked i, f, g, o here: ``dnext_c += ...`` changes dc in place."""
    def forward(x, prev_h, prev_c, Wx, Wh, b):
        H = prev_h.shape[1]
        a = x.dot(Wx) + prev_h.dot(Wh) + b
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
        g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
        next_c = f * prev_c + i * g
        next_h = o * np.tanh(next_c)
        return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)

    def backward(dnext_h, dnext_c, cache):
        x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
        dnext_c += dnext_h * o * (1 - np.tanh(next_c) ** 2)
        dprev_c = dnext_c * f
        di, df, dg, do = dnext_c * g, dnext_c * prev_c, dnext_c * i, dnext_h * np.tanh(next_c)
        da = np.hstack((di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)))
        return da.dot(Wx.T), da.dot(Wh.T), dprev_c, x.T.dot(da), prev_h.T.dot(da), np.sum(da, axis=0)

    return forward, backward


def lstm_step_gates_in_a_dict():
    """A loop over the gates, a preallocated da, the lab's cache layout."""
    def forward(x, h_prev, c_prev, Wx, Wh, b):
        blocks = dict(zip("ifgo", np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)))
        gates = {name: (np.tanh if name == "g" else lambda a: 0.5 * (1 + np.tanh(a / 2)))(value)
                 for name, value in blocks.items()}
        c = gates["f"] * c_prev + gates["i"] * gates["g"]
        tanh_c = np.tanh(c)
        return gates["o"] * tanh_c, c, (x, h_prev, c_prev, Wx, Wh, gates, tanh_c)

    def backward(dh, dc, cache):
        x, h_prev, c_prev, Wx, Wh, gates, tanh_c = cache
        i, f, g, o = (gates[name] for name in "ifgo")
        dc = dc + dh * o * (1 - tanh_c ** 2)
        shares = {"i": dc * g, "f": dc * c_prev, "g": dc * i, "o": dh * tanh_c}
        H = h_prev.shape[1]
        da = np.empty((len(x), 4 * H))
        for k, name in enumerate("ifgo"):
            value = gates[name]
            da[:, k * H:(k + 1) * H] = shares[name] * ((1 - value ** 2) if name == "g" else value * (1 - value))
        return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)

    return forward, backward


LSTM_STEPS = {"cs231n, dnext_c +=": lstm_step_cs231n, "gates in a dict, preallocated da": lstm_step_gates_in_a_dict}


def lstm_sequence_cs231n():
    step_forward, step_backward = lstm_step_cs231n()

    def forward(x, h0, Wx, Wh, b):
        N, T, _ = x.shape
        h, cache = np.zeros((N, T, h0.shape[1])), []
        prev_h, prev_c = h0, np.zeros_like(h0)
        for t in range(T):
            prev_h, prev_c, step_cache = step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
            h[:, t] = prev_h
            cache.append(step_cache)
        return h, cache

    def backward(dh, cache):
        N, T, H = dh.shape
        dx = np.zeros((N, T, cache[0][0].shape[1]))
        dWx, dWh, db = np.zeros_like(cache[0][3]), np.zeros_like(cache[0][4]), np.zeros(4 * H)
        dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
        for t in reversed(range(T)):
            dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
            dWx += dWx_t
            dWh += dWh_t
            db += db_t
        return dx, dprev_h, dWx, dWh, db

    return forward, backward


@pytest.mark.parametrize("seed", range(3))
def test_lab_08_idioms_pass_every_graded_exercise(seed):
    take_notes()
    for name, idiom in RNN_STEPS.items():
        check_rnn_step_backward(*idiom(), seed=seed)
        check_rnn_step_backward(*idiom(), seed=seed + 10, N=4, D=3, H=6)
    for name, idiom in RNN_SEQUENCES.items():
        check_rnn_backward(*idiom(), seed=seed)
        check_rnn_backward(*idiom(), seed=seed + 10, N=3, T=5, D=2, H=3)
        check_rnn_backward(*idiom(), seed=seed + 20, N=2, T=1, D=4, H=2)
    for name, clip in CLIPS.items():
        check_clip_grad_norm(clip, seed=seed)
        check_clip_grad_norm(clip, seed=seed + 10, shapes=[(3, 4), (4,), (4, 2), (2,)], max_norm=0.5)
    for name, idiom in LSTM_STEPS.items():
        check_lstm_step_forward(idiom()[0], seed=seed)
        check_lstm_step_backward(*idiom(), seed=seed)
        check_lstm_step_backward(*idiom(), seed=seed + 10, N=2, D=5, H=1)
    check_lstm_backward(*lstm_sequence_cs231n(), seed=seed)
    noted = {note.id for note in take_notes()}
    assert "lstm_step_backward/backward/it-changes-its-input-in-place" in noted  # dnext_c += ...: a note, no failure
    assert "rnn_backward/backward/it-changes-its-input-in-place" in noted      # dh[:, t - 1] += dh_prev


# ------------------------------------------------------------------ finite differences are not BPTT

def _numeric(forward, arguments, position, dout, h, richardson):
    """d sum(forward(*arguments) * dout) / d arguments[position], by central differences."""
    def once(step):
        value = arguments[position]
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            saved = value[index]
            value[index] = saved + step
            plus = forward(*arguments)
            value[index] = saved - step
            minus = forward(*arguments)
            value[index] = saved
            grad[index] = np.sum((plus - minus) * dout) / (2 * step)
        return grad
    return (4 * once(h / 2) - once(h)) / 3 if richardson else once(h)


def finite_difference_rnn(h=1e-5, richardson=False):
    """The lab's forward; the backward differentiates the student's own forward numerically."""
    step_forward, _ = rnn_step_cs231n()

    def forward(x, h0, Wx, Wh, b):
        states, prev = [], h0
        for t in range(x.shape[1]):
            prev = step_forward(x[:, t], prev, Wx, Wh, b)[0]
            states.append(prev)
        return np.stack(states, axis=1), [a.copy() for a in (x, h0, Wx, Wh, b)]

    def backward(dh, cache):
        run = lambda *a: forward(*a)[0]  # noqa: E731
        return tuple(_numeric(run, [a.copy() for a in cache], p, dh, h, richardson) for p in range(5))

    return forward, backward


def finite_difference_rnn_step(h=1e-5, richardson=False):
    def forward(x, h_prev, Wx, Wh, b):
        return np.tanh(x @ Wx + h_prev @ Wh + b), [a.copy() for a in (x, h_prev, Wx, Wh, b)]

    def backward(dh, cache):
        run = lambda *a: forward(*a)[0]  # noqa: E731
        return tuple(_numeric(run, [a.copy() for a in cache], p, dh, h, richardson) for p in range(5))

    return forward, backward


def finite_difference_lstm_step(h=1e-5, richardson=False):
    step_forward = lstm_step_cs231n()[0]

    def forward(*arguments):
        h_next, c_next, _ = step_forward(*arguments)
        return h_next, c_next, [a.copy() for a in arguments]

    def backward(dh, dc, cache):
        run = lambda *a: np.concatenate(step_forward(*a)[:2], axis=1)  # noqa: E731
        dout = np.concatenate([dh, dc], axis=1)
        return tuple(_numeric(run, [a.copy() for a in cache], p, dout, h, richardson) for p in range(6))

    return forward, backward


@pytest.mark.parametrize("h, richardson", [(1e-5, False), (1e-6, False), (1e-4, True), (1e-3, True)])
def test_a_backward_pass_by_finite_differences_of_the_forward_pass_fails_with_a_named_message(h, richardson):
    named = r"agrees with the exact gradient only to a relative error of .* finite differences"
    fails_with(named, check_rnn_backward, *finite_difference_rnn(h, richardson))
    fails_with(named, check_rnn_step_backward, *finite_difference_rnn_step(h, richardson))
    fails_with(named, check_lstm_step_backward, *finite_difference_lstm_step(h, richardson))


# ------------------------------------------------------------------ lab 09: masks, attention, heads, encoding

def padding_mask_compare(lengths, max_length):
    real = np.arange(max_length) < np.asarray(lengths)[:, np.newaxis]
    return real[:, np.newaxis, :]


def causal_mask_compare(length):
    positions = np.arange(length)
    return positions[np.newaxis, :] <= positions[:, np.newaxis]


def padding_mask_loop(lengths, max_length):
    mask = np.zeros((len(lengths), 1, max_length), dtype=bool)
    for n, real in enumerate(lengths):
        mask[n, 0, :real] = True
    return mask


def causal_mask_triu(length):
    return ~np.triu(np.ones((length, length), dtype=bool), k=1)


def attention_einsum(q, k, v, mask=None):
    scores = np.einsum("...qd,...kd->...qk", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return np.einsum("...qk,...kv->...qv", weights, v), (q, k, v, weights)


def attention_backward_in_place(dout, cache):
    """Reuses its arrays in place (dw -= ..., dw *= ...)."""
    q, k, v, weights = cache
    dv = np.einsum("...qk,...qv->...kv", weights, dout)
    dw = np.einsum("...qv,...kv->...qk", dout, v)
    dw -= (dw * weights).sum(axis=-1, keepdims=True)
    dw *= weights
    dw /= math.sqrt(q.shape[-1])
    return np.einsum("...qk,...kd->...qd", dw, k), np.einsum("...qk,...qd->...kd", dw, q), dv


def attention_d2l(q, k, v, mask=None):
    """d2l's masked softmax: masked scores set to a large negative number (-1e6), not -inf."""
    scores = np.matmul(q, k.swapaxes(-1, -2)) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.copy()
        scores[~np.broadcast_to(mask, scores.shape)] = -1e6
    shifted = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    weights = shifted / np.sum(shifted, axis=-1, keepdims=True)
    return np.matmul(weights, v), {"q": q, "k": k, "v": v, "w": weights}


def attention_backward_jacobian(dout, cache):
    """One query at a time, with the softmax's Jacobian diag(w) - w w^T written out."""
    q, k, v, w = cache["q"], cache["k"], cache["v"], cache["w"]
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    for index in np.ndindex(q.shape[:-2]):
        W, V, K, Q, dO = w[index], v[index], k[index], q[index], dout[index]
        dv[index] = W.T @ dO
        dW = dO @ V.T
        dS = np.stack([(np.diag(row) - np.outer(row, row)) @ g for row, g in zip(W, dW)]) / np.sqrt(Q.shape[-1])
        dq[index], dk[index] = dS @ K, dS.T @ Q
    return dq, dk, dv


def split_heads_moveaxis(x, num_heads):
    N, L, E = x.shape
    return np.moveaxis(x.reshape(N, L, num_heads, E // num_heads), 2, 1)


def merge_heads_moveaxis(y):
    N, heads, L, width = y.shape
    return np.moveaxis(y, 1, 2).reshape(N, L, heads * width)


def split_heads_slices(x, num_heads):
    width = x.shape[-1] // num_heads
    return np.stack([x[..., h * width:(h + 1) * width] for h in range(num_heads)], axis=1)


def merge_heads_concatenate(y):
    return np.concatenate([y[:, h] for h in range(y.shape[1])], axis=-1)


def positional_encoding_loops(length, d_model):
    pe = np.zeros((length, d_model))
    for pos in range(length):
        for i in range(0, d_model, 2):
            angle = pos / 10000 ** (i / d_model)
            pe[pos, i], pe[pos, i + 1] = math.sin(angle), math.cos(angle)
    return pe


def positional_encoding_d2l(length, d_model):
    P = np.zeros((1, length, d_model))
    X = np.arange(length, dtype=np.float32).reshape(-1, 1) / np.power(10000, np.arange(0, d_model, 2) / d_model)
    P[:, :, 0::2], P[:, :, 1::2] = np.sin(X), np.cos(X)
    return P[0]


LAB_09_NUMPY = {
    "compare, einsum, in place, moveaxis, loops": dict(
        padding_mask=padding_mask_compare, causal_mask=causal_mask_compare,
        scaled_dot_product_attention=attention_einsum,
        scaled_dot_product_attention_backward=attention_backward_in_place,
        split_heads=split_heads_moveaxis, merge_heads=merge_heads_moveaxis, positional_encoding=positional_encoding_loops),
    "loops, d2l's -1e6, Jacobian, slices, d2l's table": dict(
        padding_mask=padding_mask_loop, causal_mask=causal_mask_triu, scaled_dot_product_attention=attention_d2l,
        scaled_dot_product_attention_backward=attention_backward_jacobian, split_heads=split_heads_slices,
        merge_heads=merge_heads_concatenate, positional_encoding=positional_encoding_d2l),
}


def graded_cells(lab):
    """The sources of the lab's graded test cells (hidden tests included), by grade id."""
    import json
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "solutions" / lab / f"{lab}.ipynb"
    cells = json.loads(path.read_text())["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in cells
            if c["metadata"].get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"].get("solution")}


def run_graded(lab, namespace, skip=()):
    """Run every graded test cell of ``lab`` (hidden tests too) with ``namespace`` for the student's names."""
    import course.checks as checks

    ran = []
    for grade_id, source in graded_cells(lab).items():
        if grade_id in skip:
            continue
        exec(compile(source, grade_id, "exec"), {**vars(checks), **namespace})
        ran.append(grade_id)
    return ran


# ------------------------------------------------------------------ lab 09: the PyTorch exercises

def torch_classes():
    """Two ways of writing exercises 6 and 7: packed q, k, v with torch's own attention and a
    d2l-style (1, L, E) encoding table; four projections with an upper-triangle mask and the
    LayerNorms registered in another order."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class PackedAttention(nn.Module):
        def __init__(self, d_model, num_heads):
            super().__init__()
            self.num_heads, self.weights = num_heads, None
            self.qkv = nn.Linear(d_model, 3 * d_model)
            self.proj = nn.Linear(d_model, d_model)

        def forward(self, x):
            N, T, E = x.shape
            q, k, v = (t.reshape(N, T, self.num_heads, -1).permute(0, 2, 1, 3) for t in self.qkv(x).split(E, dim=-1))
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(out.permute(0, 2, 1, 3).reshape(N, T, E))

    class TriuAttention(nn.Module):
        def __init__(self, d_model, num_heads):
            super().__init__()
            self.num_heads, self.weights = num_heads, None
            self.W_o = nn.Linear(d_model, d_model)  # registered first
            self.W_v, self.W_k, self.W_q = (nn.Linear(d_model, d_model) for _ in range(3))

        def forward(self, x):
            N, T, E = x.shape
            heads = lambda t: t.view(N, T, self.num_heads, E // self.num_heads).transpose(1, 2)  # noqa: E731
            q, k, v = heads(self.W_q(x)), heads(self.W_k(x)), heads(self.W_v(x))
            scores = torch.einsum("nhqd,nhkd->nhqk", q, k) / math.sqrt(q.shape[-1])
            blocked = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
            self.weights = scores.masked_fill(blocked, float("-inf")).softmax(dim=-1)
            return self.W_o((self.weights @ v).transpose(1, 2).contiguous().view(N, T, E))

    def transformer(Attention, d2l_table, norms_reversed):
        class Block(nn.Module):
            def __init__(self, d_model, num_heads, d_ff):
                super().__init__()
                if norms_reversed:
                    self.ln_ff = nn.LayerNorm(d_model)
                self.attention = Attention(d_model, num_heads)
                self.ln_attn = nn.LayerNorm(d_model)
                if not norms_reversed:
                    self.ln_ff = nn.LayerNorm(d_model)
                self.fc1, self.fc2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)

            def forward(self, x):
                x = x + self.attention(self.ln_attn(x))
                return x + self.fc2(F.relu(self.fc1(self.ln_ff(x))))

        class TinyTransformer(nn.Module):
            def __init__(self, vocab_size, d_model, num_heads, num_layers, d_ff, max_length):
                super().__init__()
                self.d_model = d_model
                self.embedding = nn.Embedding(vocab_size, d_model)
                table = torch.tensor(positional_encoding_d2l(max_length, d_model), dtype=torch.float32)
                self.register_buffer("P", table[None] if d2l_table else table)
                self.blocks = nn.ModuleList([Block(d_model, num_heads, d_ff) for _ in range(num_layers)])
                self.ln_final = nn.LayerNorm(d_model)
                self.lm_head = nn.Linear(d_model, vocab_size)

            def forward(self, tokens):
                x = self.embedding(tokens) * self.d_model ** 0.5
                x = x + (self.P[:, :tokens.shape[1]] if d2l_table else self.P[:tokens.shape[1]])
                for block in self.blocks:
                    x = block(x)
                return self.lm_head(self.ln_final(x))

        return TinyTransformer

    return {
        "packed, torch's attention, (1, L, E) table": dict(
            CausalSelfAttention=PackedAttention, TinyTransformer=transformer(PackedAttention, True, False)),
        "four projections in another order, triu mask, norms registered in reverse": dict(
            CausalSelfAttention=TriuAttention, TinyTransformer=transformer(TriuAttention, False, True)),
    }


LAB_08 = {
    "cs231n": dict(zip(("rnn_step_forward", "rnn_step_backward"), rnn_step_cs231n()))
    | dict(zip(("rnn_forward", "rnn_backward"), rnn_sequence_cs231n(rnn_step_cs231n)))
    | dict(zip(("lstm_step_forward", "lstm_step_backward"), lstm_step_cs231n())) | dict(clip_grad_norm=clip_lab),
    "in place, vectorized, loops": dict(zip(("rnn_step_forward", "rnn_step_backward"), rnn_step_in_place()))
    | dict(zip(("rnn_forward", "rnn_backward"), rnn_sequence_vectorized_weights()))
    | dict(zip(("lstm_step_forward", "lstm_step_backward"), lstm_step_gates_in_a_dict()))
    | dict(clip_grad_norm=clip_torch_style),
}


@pytest.mark.parametrize("name", list(LAB_08))
def test_every_graded_cell_of_lab_08_passes_each_idiom(name):
    assert len(run_graded("08_recurrent", LAB_08[name])) == 5


@pytest.mark.parametrize("numpy_name, torch_name", [(n, t) for n, t in zip(LAB_09_NUMPY, [
    "packed, torch's attention, (1, L, E) table",
    "four projections in another order, triu mask, norms registered in reverse"])])
def test_every_graded_cell_of_lab_09_passes_each_idiom(numpy_name, torch_name):
    pytest.importorskip("torch")
    namespace = LAB_09_NUMPY[numpy_name] | torch_classes()[torch_name]
    assert len(run_graded("09_attention", namespace, skip={"test_trained_transformer"})) == 7


@pytest.mark.parametrize("torch_name", ["packed, torch's attention, (1, L, E) table",
                                        "four projections in another order, triu mask, norms registered in reverse"])
def test_the_trained_check_reads_each_idiom_with_the_judges_copy(torch_name):
    """The judge's copy of the architecture computes what the student's model computes (an
    untrained model: its answers are mostly wrong, and the accuracy is the model's own)."""
    torch = pytest.importorskip("torch")
    from course.checks.transformer import check_trained_transformer
    from course.torchlab.sequences import VOCABULARY_SIZE, digit_task, exact_match, greedy_answers
    from course.checks.judging import mixed_seed

    torch.manual_seed(0)
    model = torch_classes()[torch_name]["TinyTransformer"](VOCABULARY_SIZE, 16, 4, 2, 32, 12).eval()
    accuracy = check_trained_transformer(model, minimum=0.0, count=200)
    prompts, answers = digit_task("reverse", 200, 6, seed=mixed_seed(10_000))
    assert accuracy == exact_match(greedy_answers(model, prompts, 6), answers)


SECRETS = (1, 2**40 + 7, 987_654_321)


@pytest.mark.parametrize("secret", SECRETS)
def test_every_check_of_labs_08_and_09_passes_honest_code_under_a_grading_secret(secret):
    use_grading_secret(secret)
    try:
        assert len(run_graded("08_recurrent", LAB_08["cs231n"])) == 5
        namespace = LAB_09_NUMPY["loops, d2l's -1e6, Jacobian, slices, d2l's table"]
        if pytest.importorskip("torch"):
            namespace = namespace | torch_classes()["packed, torch's attention, (1, L, E) table"]
        assert len(run_graded("09_attention", namespace, skip={"test_trained_transformer"})) == 7
    finally:
        use_grading_secret(None)
