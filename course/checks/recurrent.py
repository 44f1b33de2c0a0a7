"""Checks for lab 08: the RNN and LSTM, one step and whole sequences (backpropagation through time).

Each check runs the student's functions on seeded float64 inputs, compares the forward values
with the reference in ``course.layers`` and every gradient with the numeric gradient of the
reference forward (random, non-uniform upstream gradients), and names typical mistakes: tanh's
derivative taken from the wrong value, gradients not summed over the time steps, the hidden or
cell gradient not carried back, the gate order of the lecture notes instead of torch's.
"""
import itertools

import numpy as np

from ..gradcheck import numerical_gradient
from ..layers import lstm as reference_lstm
from ..layers import recurrent as reference_rnn
from ..layers.activations import sigmoid_forward
from .judging import FORWARD_THRESHOLD, GRADIENT_THRESHOLD, call_student, compare, unchanged, unpack, upstream_gradient
from .judging import random_generator

GATE_ORDER_HINT = "stack the gates i, f, g, o (torch.nn.LSTMCell's order): columns 0:H, H:2H, 2H:3H, 3H:4H."
GATES = ("i", "f", "g", "o")  # torch.nn.LSTMCell's order, and this course's
# Other stackings a student may have met; column block k holds gate order[k].
KNOWN_GATE_ORDERS = {
    ("i", "f", "o", "g"): "as in CS231n's assignment and one set of lecture notes",
    ("i", "g", "f", "o"): "as TensorFlow 1's LSTMCell, which splits into i, j, f, o",
    ("i", "o", "f", "g"): "as ONNX's LSTM, whose gates are stacked i, o, f, c",
    ("f", "i", "g", "o"): None,
}


def _weights(rng, D, H, gates):
    Wx = rng.normal(scale=0.5, size=(D, gates * H))
    Wh = rng.normal(scale=0.5, size=(H, gates * H))
    return Wx, Wh, rng.normal(scale=0.3, size=gates * H)


def _call_forward(function, exercise, function_name, arguments, argument_names, output_names):
    """Call the student's forward on ``arguments`` (checked to stay unchanged); return its outputs
    and pristine copies of the arguments for the later checks."""
    originals = {name: value.copy() for name, value in zip(argument_names, arguments)}
    result = call_student(function, exercise, *arguments)
    unchanged(exercise, function_name, originals, dict(zip(argument_names, arguments)))
    return unpack(result, output_names, exercise, function_name), originals


def _numeric_gradients(forward, arguments, dout, names):
    """Numeric gradient of ``sum(forward(*arguments) * dout)`` w.r.t. each argument, by name."""
    gradients = {}
    for position, name in enumerate(names):
        def f(value, position=position):
            changed = list(arguments)
            changed[position] = value
            return forward(*changed)
        gradients[name] = numerical_gradient(f, arguments[position].copy(), dout)
    return gradients


def _compare_gradients(exercise, got, expected, hints, variants, batch_size):
    """Compare each gradient in turn; ``variants`` are ``(wrong gradients by name, meaning)``."""
    for name, value in got.items():
        mistakes = [(wrong[name], meaning) for wrong, meaning in variants if name in wrong]
        compare(exercise, name, value, expected[name], GRADIENT_THRESHOLD, hint=hints.get(name, ""),
                batch_size=batch_size if name.startswith("dW") or name == "db" else None, mistakes=mistakes)


# ---------------------------------------------------------------- vanilla RNN, one step

def _rnn_step_gradients(da, x, h_prev, Wx, Wh):
    return {"dx": da @ Wx.T, "dh_prev": da @ Wh.T, "dWx": x.T @ da, "dWh": h_prev.T @ da, "db": da.sum(axis=0)}


def check_rnn_step_backward(rnn_step_forward, rnn_step_backward, seed=0, N=3, D=4, H=5):
    """``rnn_step_forward(x, h_prev, Wx, Wh, b) -> (h, cache)`` against ``tanh(x Wx + h_prev Wh + b)``
    and ``rnn_step_backward(dh, cache) -> dx, dh_prev, dWx, dWh, db`` against numeric gradients."""
    exercise = "rnn_step_backward"
    rng = random_generator(seed)
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    argument_names = ("x", "h_prev", "Wx", "Wh", "b")
    (h, cache), originals = _call_forward(rnn_step_forward, exercise, "rnn_step_forward", [x, h_prev, Wx, Wh, b],
                                          argument_names, ("h", "cache"))
    arguments = [originals[name].copy() for name in argument_names]
    a = x @ Wx + h_prev @ Wh + b
    expected_h = reference_rnn.rnn_step_forward(*arguments)[0]
    compare(exercise, "h", h, expected_h, FORWARD_THRESHOLD, hint="h = np.tanh(x @ Wx + h_prev @ Wh + b).",
            mistakes=[(np.tanh(a - b), "the bias b is missing"), (a, "the tanh is missing"),
                      (sigmoid_forward(a)[0], "it uses sigmoid where the RNN uses tanh"),
                      (np.tanh(x @ Wx + b), "the previous hidden state is not used (h_prev @ Wh is missing)")])
    dh = upstream_gradient(rng, (N, H))
    result = call_student(rnn_step_backward, exercise, dh.copy(), cache)
    names = ("dx", "dh_prev", "dWx", "dWh", "db")
    got = dict(zip(names, unpack(result, names, exercise, "rnn_step_backward")))
    unchanged(exercise, "rnn_step_backward", originals, dict(zip(argument_names, (x, h_prev, Wx, Wh, b))))
    expected = _numeric_gradients(lambda *args: reference_rnn.rnn_step_forward(*args)[0], arguments, dh, names)
    correct_da = dh * (1 - np.tanh(a) ** 2)
    variants = [
        (_rnn_step_gradients(dh * (1 - a**2), x, h_prev, Wx, Wh),
         "tanh's derivative is taken from its input a; use 1 - h**2 with h = tanh(a), the output kept in the cache"),
        (_rnn_step_gradients(dh, x, h_prev, Wx, Wh), "the tanh derivative (1 - h**2) is missing"),
        (_rnn_step_gradients(dh * (1 - np.tanh(a)), x, h_prev, Wx, Wh), "tanh's derivative is 1 - h**2, not 1 - h"),
        ({"dWh": np.tanh(a).T @ correct_da}, "dWh uses the new state h where it needs h_prev"),
        ({"dh_prev": correct_da @ Wh}, "it multiplies by Wh where it needs Wh.T"),
    ]
    hints = {"dx": "with da = dh * (1 - h**2): dx = da @ Wx.T.", "dh_prev": "dh_prev = da @ Wh.T.",
             "dWx": "dWx = x.T @ da.", "dWh": "dWh = h_prev.T @ da.", "db": "db = da.sum(axis=0)."}
    _compare_gradients(exercise, got, expected, hints, variants, N)


# ---------------------------------------------------------------- vanilla RNN, a sequence

def _rnn_bptt(x, h0, Wx, Wh, b, dh, carry=True, keep="sum", every_step=True, tanh_from_input=False):
    """Reference BPTT and its typical wrong versions (``keep``: 'sum', 'first' or 'last' step)."""
    h = reference_rnn.rnn_forward(x, h0, Wx, Wh, b)[0]
    steps = x.shape[1]
    dx, carried = np.zeros(x.shape), np.zeros(h0.shape)
    totals = {"dWx": np.zeros(Wx.shape), "dWh": np.zeros(Wh.shape), "db": np.zeros(b.shape)}
    for t in reversed(range(steps)):
        upstream = dh[:, t] if every_step or t == steps - 1 else 0.0
        h_prev = h0 if t == 0 else h[:, t - 1]
        local = 1 - (x[:, t] @ Wx + h_prev @ Wh + b) ** 2 if tanh_from_input else 1 - h[:, t] ** 2
        da = (upstream + (carried if carry else 0.0)) * local
        step = _rnn_step_gradients(da, x[:, t], h_prev, Wx, Wh)
        dx[:, t], carried = step["dx"], step["dh_prev"]
        for name in totals:
            if keep == "sum":
                totals[name] += step[name]
            elif (keep == "first" and t == 0) or (keep == "last" and t == steps - 1):
                totals[name] = step[name]
    return {"dx": dx, "dh0": carried, **totals}


def check_rnn_backward(rnn_forward, rnn_backward, seed=0, N=2, T=4, D=3, H=4):
    """``rnn_forward(x, h0, Wx, Wh, b) -> (h, cache)`` with ``h`` (N, T, H) and
    ``rnn_backward(dh, cache) -> dx, dh0, dWx, dWh, db`` (full BPTT) against numeric gradients."""
    exercise = "rnn_backward"
    rng = random_generator(seed)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    argument_names = ("x", "h0", "Wx", "Wh", "b")
    (h, cache), originals = _call_forward(rnn_forward, exercise, "rnn_forward", [x, h0, Wx, Wh, b],
                                          argument_names, ("h", "cache"))
    arguments = [originals[name].copy() for name in argument_names]
    from_h0 = np.tanh(x @ Wx + (h0 @ Wh)[:, None, :] + b)
    compare(exercise, "h", h, reference_rnn.rnn_forward(*arguments)[0], FORWARD_THRESHOLD,
            hint="loop over t: h_t = tanh(x[:, t] @ Wx + h_{t-1} @ Wh + b), starting from h0; store every h_t.",
            mistakes=[(from_h0, "every step starts from h0 instead of the previous step's hidden state")])
    dh = upstream_gradient(rng, (N, T, H))
    result = call_student(rnn_backward, exercise, dh.copy(), cache)
    names = ("dx", "dh0", "dWx", "dWh", "db")
    got = dict(zip(names, unpack(result, names, exercise, "rnn_backward")))
    unchanged(exercise, "rnn_backward", originals, dict(zip(argument_names, (x, h0, Wx, Wh, b))))
    expected = _numeric_gradients(lambda *args: reference_rnn.rnn_forward(*args)[0], arguments, dh, names)
    variants = [
        (_rnn_bptt(*arguments, dh, carry=False),
         "dh_prev is not carried back: at step t the gradient is dh[:, t] plus the dh_prev returned by step t+1"),
        (_rnn_bptt(*arguments, dh, every_step=False),
         "only dh[:, -1] is used: dh holds an upstream gradient for every time step, add dh[:, t] at each step"),
        (_rnn_bptt(*arguments, dh, keep="first"),
         "it holds only the first time step's contribution: add up (+=) the weight gradients of all steps"),
        (_rnn_bptt(*arguments, dh, keep="last"),
         "it holds only the last time step's contribution: add up (+=) the weight gradients of all steps"),
        (_rnn_bptt(*arguments, dh, tanh_from_input=True),
         "tanh's derivative is taken from its input a; use 1 - h**2 with h = tanh(a), the output kept in the cache"),
    ]
    hint = "walk t from T-1 down to 0, call the step backward on dh[:, t] + dh_prev from step t+1, and sum dWx, dWh, db."
    _compare_gradients(exercise, got, expected, dict.fromkeys(names, hint), variants, N)


# ---------------------------------------------------------------- LSTM

def _lstm_step_gradients(x, h_prev, c_prev, Wx, Wh, b, dh, dc, mistake=None):
    """The step backward from the forward values, or one typical wrong version of it (``mistake``
    a tuple: the gate gradients stacked in that order)."""
    a = x @ Wx + h_prev @ Wh + b
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, o, g = sigmoid_forward(a_i)[0], sigmoid_forward(a_f)[0], sigmoid_forward(a_o)[0], np.tanh(a_g)
    tanh_c = np.tanh(f * c_prev + i * g)
    local = 1.0 if mistake == "no tanh derivative" else 1 - tanh_c**2
    dc_total = (0.0 if mistake == "dc ignored" else dc) + dh * o * local
    blocks = {"i": dc_total * g * i * (1 - i), "f": dc_total * c_prev * f * (1 - f),
              "g": dc_total * i * (1 - g**2), "o": dh * tanh_c * o * (1 - o)}
    order = mistake if isinstance(mistake, tuple) else GATES  # gate gradients stacked in another order
    da = np.concatenate([blocks[gate] for gate in order], axis=1)
    dc_prev = dc_total if mistake == "dc_prev without f" else dc_total * f
    return {"dx": da @ Wx.T, "dh_prev": da @ Wh.T, "dc_prev": dc_prev,
            "dWx": x.T @ da, "dWh": h_prev.T @ da, "db": da.sum(axis=0)}


def other_gate_orders():
    """Every stacking of the four gates except torch's (all 23), the known ones first."""
    others = [order for order in itertools.permutations(GATES) if order != GATES]
    return sorted(others, key=lambda order: order not in KNOWN_GATE_ORDERS)


def gate_order_meaning(order):
    """What a forward pass that reads the gate blocks in ``order`` did, in one clause."""
    source = KNOWN_GATE_ORDERS.get(order)
    return (f"the gates are read in the order {', '.join(order)}" + (f" ({source})" if source else "")
            + "; torch and this course use i, f, g, o")


def _reference_blocks(order):
    """Block indices that make the reference read each gate where a student reading ``order`` does."""
    return tuple(order.index(gate) for gate in GATES)


def _swap_gate_blocks(weights, order):
    """Reorder the four gate blocks of ``weights`` (last axis): ``order`` as indices into i, f, g, o."""
    blocks = np.split(weights, 4, axis=-1)
    return np.concatenate([blocks[j] for j in order], axis=-1)


def _lstm_step_inputs(seed, N, D, H):
    rng = random_generator(seed)
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return rng, [x, h_prev, c_prev, *_weights(rng, D, H, 4)]


def _check_lstm_step_values(exercise, lstm_step_forward, student_arguments):
    """Call the student's step forward, compare ``c`` and ``h`` with the reference (naming the
    gate orders of the lecture notes); return ``(h, c, cache), originals, pristine arguments``."""
    argument_names = ("x", "h_prev", "c_prev", "Wx", "Wh", "b")
    (h, c, cache), originals = _call_forward(lstm_step_forward, exercise, "lstm_step_forward", student_arguments,
                                             argument_names, ("h", "c", "cache"))
    arguments = [originals[name].copy() for name in argument_names]
    x, h_prev, c_prev, Wx, Wh, b = arguments
    expected_h, expected_c, _ = reference_lstm.lstm_step_forward(*arguments)

    def forward_with_gate_order(order):
        return reference_lstm.lstm_step_forward(x, h_prev, c_prev, *(_swap_gate_blocks(w, order) for w in (Wx, Wh, b)))

    _, a_f, a_g, a_o = np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)
    f, o, g = sigmoid_forward(a_f)[0], sigmoid_forward(a_o)[0], np.tanh(a_g)
    order_mistakes = [(forward_with_gate_order(_reference_blocks(order)), gate_order_meaning(order))
                      for order in other_gate_orders()]
    compare(exercise, "c", c, expected_c, FORWARD_THRESHOLD, hint="c = f * c_prev + i * g; " + GATE_ORDER_HINT,
            mistakes=[(wrong[1], meaning) for wrong, meaning in order_mistakes]
            + [(f * c_prev + g, "the input gate is missing: c = f * c_prev + i * g (an erratum in the notes drops i)")])
    compare(exercise, "h", h, expected_h, FORWARD_THRESHOLD, hint="h = o * tanh(c).",
            mistakes=[(wrong[0], meaning) for wrong, meaning in order_mistakes]
            + [(o * expected_c, "the tanh is missing: h = o * tanh(c)"),
               (np.tanh(expected_c), "the output gate o is missing")])
    return (h, c, cache), originals, arguments


def check_lstm_step_forward(lstm_step_forward, seed=0, N=3, D=4, H=5):
    """``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h, c, cache)`` against the reference
    (gates i, f, g, o as ``torch.nn.LSTMCell``); the cache may hold anything."""
    _, student_arguments = _lstm_step_inputs(seed, N, D, H)
    _check_lstm_step_values("lstm_step_forward", lstm_step_forward, student_arguments)


def check_lstm_step_backward(lstm_step_forward, lstm_step_backward, seed=0, N=3, D=4, H=5):
    """``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h, c, cache)`` against the reference
    (gates i, f, g, o) and ``lstm_step_backward(dh, dc, cache) -> dx, dh_prev, dc_prev, dWx, dWh, db``
    against numeric gradients of ``sum(h * dh) + sum(c * dc)``."""
    exercise = "lstm_step_backward"
    rng, student_arguments = _lstm_step_inputs(seed, N, D, H)
    argument_names = ("x", "h_prev", "c_prev", "Wx", "Wh", "b")
    (h, c, cache), originals, arguments = _check_lstm_step_values(exercise, lstm_step_forward, student_arguments)
    dh, dc = upstream_gradient(rng, (N, H)), upstream_gradient(rng, (N, H))
    result = call_student(lstm_step_backward, exercise, dh.copy(), dc.copy(), cache)
    names = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")
    got = dict(zip(names, unpack(result, names, exercise, "lstm_step_backward")))
    unchanged(exercise, "lstm_step_backward", originals, dict(zip(argument_names, student_arguments)))

    def both_outputs(*args):
        h_next, c_next, _ = reference_lstm.lstm_step_forward(*args)
        return np.concatenate([h_next, c_next], axis=1)

    expected = _numeric_gradients(both_outputs, arguments, np.concatenate([dh, dc], axis=1), names)
    variants = [(_lstm_step_gradients(*arguments, dh, dc, mistake), meaning) for mistake, meaning in (
        ("dc ignored", "the upstream dc is ignored: the cell receives dc + dh * o * (1 - tanh(c)**2)"),
        ("no tanh derivative", "the derivative of tanh(c), 1 - tanh(c)**2, is missing on the way from h to c"),
        ("dc_prev without f", "dc_prev must be multiplied by the forget gate f"),
    )] + [(_lstm_step_gradients(*arguments, dh, dc, order),
           f"the gate gradients are stacked {', '.join(order)}; stack them i, f, g, o as in the forward pass")
          for order in other_gate_orders()]
    hint = ("dc_total = dc + dh * o * (1 - tanh(c)**2); da = [dc_total*g*i(1-i), dc_total*c_prev*f(1-f), "
            "dc_total*i*(1-g**2), dh*tanh(c)*o(1-o)].")
    _compare_gradients(exercise, got, expected, dict.fromkeys(names, hint), variants, N)


def _lstm_bptt(x, h0, Wx, Wh, b, dh, carry_h=True, carry_c=True):
    """Reference LSTM BPTT, or a version that forgets to carry the hidden or the cell gradient."""
    steps = x.shape[1]
    hs, cs = [h0], [np.zeros_like(h0)]
    for t in range(steps):
        h_next, c_next, _ = reference_lstm.lstm_step_forward(x[:, t], hs[-1], cs[-1], Wx, Wh, b)
        hs.append(h_next)
        cs.append(c_next)
    dx = np.zeros(x.shape)
    totals = {"dWx": np.zeros(Wx.shape), "dWh": np.zeros(Wh.shape), "db": np.zeros(b.shape)}
    dh_next, dc_next = np.zeros(h0.shape), np.zeros(h0.shape)
    for t in reversed(range(steps)):
        step = _lstm_step_gradients(x[:, t], hs[t], cs[t], Wx, Wh, b, dh[:, t] + (dh_next if carry_h else 0.0),
                                    dc_next if carry_c else np.zeros(h0.shape))
        dx[:, t], dh_next, dc_next = step["dx"], step["dh_prev"], step["dc_prev"]
        for name in totals:
            totals[name] += step[name]
    return {"dx": dx, "dh0": dh_next, **totals}


def check_lstm_backward(lstm_forward, lstm_backward, seed=0, N=2, T=3, D=3, H=4):
    """``lstm_forward(x, h0, Wx, Wh, b) -> (h, cache)`` (c0 = 0) and
    ``lstm_backward(dh, cache) -> dx, dh0, dWx, dWh, db`` against numeric gradients."""
    exercise = "lstm_backward"
    rng = random_generator(seed)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = _weights(rng, D, H, 4)
    argument_names = ("x", "h0", "Wx", "Wh", "b")
    (h, cache), originals = _call_forward(lstm_forward, exercise, "lstm_forward", [x, h0, Wx, Wh, b],
                                          argument_names, ("h", "cache"))
    arguments = [originals[name].copy() for name in argument_names]
    inputs, weights = arguments[:2], arguments[2:]

    def read_in(order):  # the reference, reading the gate blocks where a student reading ``order`` does
        return reference_lstm.lstm_forward(*inputs, *(_swap_gate_blocks(w, _reference_blocks(order)) for w in weights))[0]

    compare(exercise, "h", h, reference_lstm.lstm_forward(*arguments)[0], FORWARD_THRESHOLD,
            hint="start from h0 and c0 = zeros, carry both h and c from step to step, and store every h_t; "
                 + GATE_ORDER_HINT,
            mistakes=[(read_in(order), gate_order_meaning(order)) for order in other_gate_orders()])
    dh = upstream_gradient(rng, (N, T, H))
    result = call_student(lstm_backward, exercise, dh.copy(), cache)
    names = ("dx", "dh0", "dWx", "dWh", "db")
    got = dict(zip(names, unpack(result, names, exercise, "lstm_backward")))
    unchanged(exercise, "lstm_backward", originals, dict(zip(argument_names, (x, h0, Wx, Wh, b))))
    expected = _numeric_gradients(lambda *args: reference_lstm.lstm_forward(*args)[0], arguments, dh, names)
    variants = [
        (_lstm_bptt(*arguments, dh, carry_c=False),
         "the cell gradient is not carried back: pass dc_prev of step t+1 as dc to step t"),
        (_lstm_bptt(*arguments, dh, carry_h=False), "dh_prev is not carried back: add the dh_prev of step t+1 to dh[:, t]"),
    ]
    hint = "walk t from T-1 down to 0 with dh[:, t] + dh_prev and dc_prev from step t+1 (dc starts at 0); sum dWx, dWh, db."
    _compare_gradients(exercise, got, expected, dict.fromkeys(names, hint), variants, N)
