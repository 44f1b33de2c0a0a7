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
from .judging import (FORWARD_THRESHOLD, GRADIENT_THRESHOLD, CheckFailed, Mistake, call_student, compare,
                      relative_error, unpack, upstream_gradient)
from .judging import random_generator

GATE_ORDER_HINT = ("the four blocks of H columns are, in this order, the input gate, the forget gate, the candidate "
                   "and the output gate (torch.nn.LSTMCell's order, section 5).")
# An analytic backward pass in float64 agrees with the reference to about 1e-15 (the order of the
# sums differs); central differences of the forward pass reach 1e-8..1e-10, and 1e-11..1e-12 with
# Richardson extrapolation, and much less on the "stiff" inputs below. A gradient between this and
# GRADIENT_THRESHOLD is numerically right but was not computed by the chain rule.
ANALYTIC_THRESHOLD = 1e-13
GATES = ("i", "f", "g", "o")  # torch.nn.LSTMCell's order, and this course's
# Other stackings a student may have met; column block k holds gate order[k].
KNOWN_GATE_ORDERS = {
    ("i", "f", "o", "g"): "as in CS231n's assignment and one set of lecture notes",
    ("i", "g", "f", "o"): "as TensorFlow 1's LSTMCell, which splits into i, j, f, o",
    ("i", "o", "f", "g"): "as ONNX's LSTM, whose gates are stacked i, o, f, c",
    ("f", "i", "g", "o"): None,
}


def _weights(rng, D, H, gates, scale=0.5):
    Wx = rng.normal(scale=scale, size=(D, gates * H))
    Wh = rng.normal(scale=scale, size=(H, gates * H))
    return Wx, Wh, rng.normal(scale=0.3, size=gates * H)


def _call_forward(function, exercise, function_name, arguments, argument_names, output_names):
    """Call the student's forward on ``arguments`` (on copies: the check's own stay as they are);
    return its outputs and the arguments by name for the later checks."""
    result = call_student(function, exercise, *arguments)
    return unpack(result, output_names, exercise, function_name), dict(zip(argument_names, arguments))


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


def judge_analytic(exercise, got, analytic, inputs, idea):
    """Fail unless every gradient in ``got`` agrees with the analytic reference ``analytic`` (by
    name) to ``ANALYTIC_THRESHOLD``: the chain rule gives that, finite differences of the forward
    pass do not. ``inputs`` says which inputs, ``idea`` where the lab derives the backward pass."""
    for name, value in got.items():
        value = np.asarray(value, dtype=np.float64)
        error = relative_error(value, np.asarray(analytic[name], dtype=np.float64))
        if error >= ANALYTIC_THRESHOLD:
            raise CheckFailed(
                f"{exercise}: {name} agrees with the exact gradient only to a relative error of {error:.1e} on "
                f"{inputs}; the chain rule in float64 agrees to about 1e-15, while finite differences of the forward "
                f"pass reach 1e-8 to 1e-12 at best. Hint: derive the gradient with the chain rule ({idea}) instead "
                "of perturbing the inputs, and keep every array in float64.",
                mistake=Mistake.named(exercise, name, "it is right only to the precision of finite differences "
                                                      "(or of float32), not computed by the chain rule"))


# ---------------------------------------------------------------- vanilla RNN, one step

def _rnn_step_gradients(da, x, h_prev, Wx, Wh):
    return {"dx": da @ Wx.T, "dh_prev": da @ Wh.T, "dWx": x.T @ da, "dWh": h_prev.T @ da, "db": da.sum(axis=0)}


STEP_BACKWARD_IDEA = "section 1, 'Backward through one step': through the tanh, then through the affine map"
BPTT_IDEA = "section 2: walk the steps backwards, add the state's two gradients, sum the weights' gradients"


def _rnn_step_call(rnn_step_forward, rnn_step_backward, exercise, arguments, dh):
    """The student's step forward and backward on ``arguments``; ``(h, gradients by name)``."""
    (h, cache), _ = _call_forward(rnn_step_forward, exercise, "rnn_step_forward", arguments,
                                  ("x", "h_prev", "Wx", "Wh", "b"), ("h", "cache"))
    names = ("dx", "dh_prev", "dWx", "dWh", "db")
    return h, lambda: dict(zip(names, unpack(call_student(rnn_step_backward, exercise, dh.copy(), cache), names,
                                             exercise, "rnn_step_backward")))


def _rnn_step_analytic(arguments, dh):
    _, cache = reference_rnn.rnn_step_forward(*arguments)
    return dict(zip(("dx", "dh_prev", "dWx", "dWh", "db"), reference_rnn.rnn_step_backward(dh, cache)))


def check_rnn_step_backward(rnn_step_forward, rnn_step_backward, seed=0, N=3, D=4, H=5):
    """``rnn_step_forward(x, h_prev, Wx, Wh, b) -> (h, cache)`` against ``tanh(x Wx + h_prev Wh + b)``
    and ``rnn_step_backward(dh, cache) -> dx, dh_prev, dWx, dWh, db`` against numeric gradients,
    then against the analytic gradients to ``ANALYTIC_THRESHOLD``, also on stiff inputs (large
    weights) where finite differences lose their precision."""
    exercise = "rnn_step_backward"
    rng = random_generator(seed)
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    arguments = [x, h_prev, Wx, Wh, b]
    dh = upstream_gradient(rng, (N, H))
    h, backward = _rnn_step_call(rnn_step_forward, rnn_step_backward, exercise, arguments, dh)
    a = x @ Wx + h_prev @ Wh + b
    expected_h = reference_rnn.rnn_step_forward(*arguments)[0]
    compare(exercise, "h", h, expected_h, FORWARD_THRESHOLD,
            hint="the new state is the tanh of the input's and the previous state's affine maps plus the bias "
                 "(section 1's equation).",
            mistakes=[(np.tanh(a - b), "the bias b is missing"), (a, "the tanh is missing"),
                      (sigmoid_forward(a)[0], "it uses sigmoid where the RNN uses tanh"),
                      (np.tanh(x @ Wx + b), "the previous hidden state is not used (h_prev @ Wh is missing)")])
    got = backward()
    names = ("dx", "dh_prev", "dWx", "dWh", "db")
    expected = _numeric_gradients(lambda *args: reference_rnn.rnn_step_forward(*args)[0], arguments, dh, names)
    correct_da = dh * (1 - np.tanh(a) ** 2)
    variants = [
        (_rnn_step_gradients(dh * (1 - a**2), x, h_prev, Wx, Wh),
         "tanh's derivative is taken from its input a; use 1 - h**2 with h = tanh(a), the output kept in the cache"),
        (_rnn_step_gradients(dh, x, h_prev, Wx, Wh), "the tanh derivative (1 - h**2) is missing"),
        (_rnn_step_gradients(dh * (1 - np.tanh(a)), x, h_prev, Wx, Wh), "tanh's derivative is 1 - h**2, not 1 - h"),
        ({"dWh": np.tanh(a).T @ correct_da}, "dWh uses the new state h where it needs h_prev"),
        ({"dh_prev": correct_da @ Wh}, "it multiplies by Wh where it needs its transpose"),
    ]
    hints = dict.fromkeys(names, f"go back through the tanh first, its derivative taken from the cached output h, "
                                 f"then through the affine map as in lab 01 ({STEP_BACKWARD_IDEA}).")
    _compare_gradients(exercise, got, expected, hints, variants, N)
    judge_analytic(exercise, got, _rnn_step_analytic(arguments, dh), "the check's inputs", STEP_BACKWARD_IDEA)
    stiff = [rng.normal(size=(N, D)), rng.normal(size=(N, H)), *_weights(rng, D, H, 1, scale=2.0)]
    dh = upstream_gradient(rng, (N, H))
    got = _rnn_step_call(rnn_step_forward, rnn_step_backward, exercise, stiff, dh)[1]()
    _compare_gradients(exercise, got, _rnn_step_analytic(stiff, dh), hints, [], N)
    judge_analytic(exercise, got, _rnn_step_analytic(stiff, dh), "inputs with large weights", STEP_BACKWARD_IDEA)


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


def _rnn_sequence_call(rnn_forward, rnn_backward, exercise, arguments, dh):
    (h, cache), _ = _call_forward(rnn_forward, exercise, "rnn_forward", arguments, ("x", "h0", "Wx", "Wh", "b"),
                                  ("h", "cache"))
    names = ("dx", "dh0", "dWx", "dWh", "db")
    return h, lambda: dict(zip(names, unpack(call_student(rnn_backward, exercise, dh.copy(), cache), names,
                                             exercise, "rnn_backward")))


def _rnn_sequence_analytic(arguments, dh):
    _, cache = reference_rnn.rnn_forward(*arguments)
    return dict(zip(("dx", "dh0", "dWx", "dWh", "db"), reference_rnn.rnn_backward(dh, cache)))


def check_rnn_backward(rnn_forward, rnn_backward, seed=0, N=2, T=4, D=3, H=4):
    """``rnn_forward(x, h0, Wx, Wh, b) -> (h, cache)`` with ``h`` (N, T, H) and
    ``rnn_backward(dh, cache) -> dx, dh0, dWx, dWh, db`` (full BPTT) against numeric gradients,
    then against the analytic BPTT to ``ANALYTIC_THRESHOLD``, also on stiff inputs (large
    weights) where finite differences of the forward pass lose their precision."""
    exercise = "rnn_backward"
    rng = random_generator(seed)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    arguments = [x, h0, Wx, Wh, b]
    dh = upstream_gradient(rng, (N, T, H))
    h, backward = _rnn_sequence_call(rnn_forward, rnn_backward, exercise, arguments, dh)
    from_h0 = np.tanh(x @ Wx + (h0 @ Wh)[:, None, :] + b)
    compare(exercise, "h", h, reference_rnn.rnn_forward(*arguments)[0], FORWARD_THRESHOLD,
            hint="each step starts from the previous step's hidden state (h0 for the first), and every state is "
                 "kept in h (section 2, the unrolled network).",
            mistakes=[(from_h0, "every step starts from h0 instead of the previous step's hidden state")])
    got = backward()
    names = ("dx", "dh0", "dWx", "dWh", "db")
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
    hint = (f"{BPTT_IDEA}: the state h_t gets the upstream gradient of step t and the one that step t+1 sends "
            "back, and the shared weights collect a contribution from every step.")
    _compare_gradients(exercise, got, expected, dict.fromkeys(names, hint), variants, N)
    judge_analytic(exercise, got, _rnn_sequence_analytic(arguments, dh), "the check's inputs", BPTT_IDEA)
    stiff = [rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), *_weights(rng, D, H, 1, scale=2.0)]
    dh = upstream_gradient(rng, (N, T, H))
    got = _rnn_sequence_call(rnn_forward, rnn_backward, exercise, stiff, dh)[1]()
    analytic = _rnn_sequence_analytic(stiff, dh)
    _compare_gradients(exercise, got, analytic, dict.fromkeys(names, hint), [], N)
    judge_analytic(exercise, got, analytic, "inputs with large weights", BPTT_IDEA)


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


LSTM_STEP_IDEA = "section 5, 'Backward through one LSTM step', steps 1 to 4"
LSTM_BPTT_IDEA = "section 2's BPTT with two states: carry both dh_prev and dc_prev back"


def _lstm_step_inputs(seed, N, D, H):
    rng = random_generator(seed)
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return rng, [x, h_prev, c_prev, *_weights(rng, D, H, 4)]


def _check_lstm_step_values(exercise, lstm_step_forward, arguments):
    """Call the student's step forward, compare ``c`` and ``h`` with the reference (naming the
    gate orders of the lecture notes); return ``(h, c, cache)``."""
    (h, c, cache), _ = _call_forward(lstm_step_forward, exercise, "lstm_step_forward", arguments,
                                     ("x", "h_prev", "c_prev", "Wx", "Wh", "b"), ("h", "c", "cache"))
    x, h_prev, c_prev, Wx, Wh, b = arguments
    expected_h, expected_c, _ = reference_lstm.lstm_step_forward(*arguments)

    def forward_with_gate_order(order):
        return reference_lstm.lstm_step_forward(x, h_prev, c_prev, *(_swap_gate_blocks(w, order) for w in (Wx, Wh, b)))

    _, a_f, a_g, a_o = np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)
    f, o, g = sigmoid_forward(a_f)[0], sigmoid_forward(a_o)[0], np.tanh(a_g)
    order_mistakes = [(forward_with_gate_order(_reference_blocks(order)), gate_order_meaning(order))
                      for order in other_gate_orders()]
    compare(exercise, "c", c, expected_c, FORWARD_THRESHOLD,
            hint="the new cell keeps the old cell scaled by the forget gate and adds the candidate scaled by the "
                 "input gate (section 5's equations); " + GATE_ORDER_HINT,
            mistakes=[(wrong[1], meaning) for wrong, meaning in order_mistakes]
            + [(f * c_prev + g, "the input gate is missing: the candidate enters the cell scaled by i (the erratum "
                                "in section 5 drops it)")])
    compare(exercise, "h", h, expected_h, FORWARD_THRESHOLD,
            hint="the new hidden state is the output gate times the tanh of the new cell (section 5).",
            mistakes=[(wrong[0], meaning) for wrong, meaning in order_mistakes]
            + [(o * expected_c, "the tanh of the cell is missing"),
               (np.tanh(expected_c), "the output gate o is missing")])
    return h, c, cache


def check_lstm_step_forward(lstm_step_forward, seed=0, N=3, D=4, H=5):
    """``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h, c, cache)`` against the reference
    (gates i, f, g, o as ``torch.nn.LSTMCell``); the cache may hold anything."""
    _, arguments = _lstm_step_inputs(seed, N, D, H)
    _check_lstm_step_values("lstm_step_forward", lstm_step_forward, arguments)


_LSTM_STEP_NAMES = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")


def _lstm_step_analytic(arguments, dh, dc):
    _, _, cache = reference_lstm.lstm_step_forward(*arguments)
    return dict(zip(_LSTM_STEP_NAMES, reference_lstm.lstm_step_backward(dh, dc, cache)))


def _lstm_step_backward_call(lstm_step_backward, exercise, dh, dc, cache):
    result = call_student(lstm_step_backward, exercise, dh.copy(), dc.copy(), cache)
    return dict(zip(_LSTM_STEP_NAMES, unpack(result, _LSTM_STEP_NAMES, exercise, "lstm_step_backward")))


def check_lstm_step_backward(lstm_step_forward, lstm_step_backward, seed=0, N=3, D=4, H=5):
    """``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> (h, c, cache)`` against the reference
    (gates i, f, g, o) and ``lstm_step_backward(dh, dc, cache) -> dx, dh_prev, dc_prev, dWx, dWh, db``
    against numeric gradients of ``sum(h * dh) + sum(c * dc)``, then against the analytic
    gradients to ``ANALYTIC_THRESHOLD``, also with a large previous cell (where finite
    differences of ``c`` lose their precision)."""
    exercise = "lstm_step_backward"
    rng, arguments = _lstm_step_inputs(seed, N, D, H)
    h, c, cache = _check_lstm_step_values(exercise, lstm_step_forward, arguments)
    dh, dc = upstream_gradient(rng, (N, H)), upstream_gradient(rng, (N, H))
    got = _lstm_step_backward_call(lstm_step_backward, exercise, dh, dc, cache)

    def both_outputs(*args):
        h_next, c_next, _ = reference_lstm.lstm_step_forward(*args)
        return np.concatenate([h_next, c_next], axis=1)

    expected = _numeric_gradients(both_outputs, arguments, np.concatenate([dh, dc], axis=1), _LSTM_STEP_NAMES)
    variants = [(_lstm_step_gradients(*arguments, dh, dc, mistake), meaning) for mistake, meaning in (
        ("dc ignored", "the upstream dc is ignored: the cell's gradient is dc plus what arrives through h (step 1)"),
        ("no tanh derivative", "the derivative of tanh(c), 1 - tanh(c)**2, is missing on the way from h to c"),
        ("dc_prev without f", "dc_prev must be multiplied by the forget gate f"),
    )] + [(_lstm_step_gradients(*arguments, dh, dc, order),
           f"the gate gradients are stacked {', '.join(order)}; stack them i, f, g, o as in the forward pass")
          for order in other_gate_orders()]
    hint = (f"follow {LSTM_STEP_IDEA}: the cell's total gradient, then each gate's share through its own "
            "nonlinearity, stacked in the forward order, then the affine map.")
    _compare_gradients(exercise, got, expected, dict.fromkeys(_LSTM_STEP_NAMES, hint), variants, N)
    judge_analytic(exercise, got, _lstm_step_analytic(arguments, dh, dc), "the check's inputs", LSTM_STEP_IDEA)
    stiff = [rng.normal(size=(N, D)), rng.normal(size=(N, H)), 1000.0 * rng.normal(size=(N, H)),
             *_weights(rng, D, H, 4)]
    _, _, cache = _call_forward(lstm_step_forward, exercise, "lstm_step_forward", stiff,
                                ("x", "h_prev", "c_prev", "Wx", "Wh", "b"), ("h", "c", "cache"))[0]
    dh, dc = upstream_gradient(rng, (N, H)), upstream_gradient(rng, (N, H))
    got = _lstm_step_backward_call(lstm_step_backward, exercise, dh, dc, cache)
    analytic = _lstm_step_analytic(stiff, dh, dc)
    _compare_gradients(exercise, got, analytic, dict.fromkeys(_LSTM_STEP_NAMES, hint), [], N)
    judge_analytic(exercise, got, analytic, "inputs with a large previous cell", LSTM_STEP_IDEA)


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


def _lstm_sequence_call(lstm_forward, lstm_backward, exercise, arguments, dh):
    (h, cache), _ = _call_forward(lstm_forward, exercise, "lstm_forward", arguments, ("x", "h0", "Wx", "Wh", "b"),
                                  ("h", "cache"))
    names = ("dx", "dh0", "dWx", "dWh", "db")
    return h, lambda: dict(zip(names, unpack(call_student(lstm_backward, exercise, dh.copy(), cache), names,
                                             exercise, "lstm_backward")))


def _lstm_sequence_analytic(arguments, dh):
    _, cache = reference_lstm.lstm_forward(*arguments)
    return dict(zip(("dx", "dh0", "dWx", "dWh", "db"), reference_lstm.lstm_backward(dh, cache)))


def check_lstm_backward(lstm_forward, lstm_backward, seed=0, N=2, T=3, D=3, H=4):
    """``lstm_forward(x, h0, Wx, Wh, b) -> (h, cache)`` (c0 = 0) and
    ``lstm_backward(dh, cache) -> dx, dh0, dWx, dWh, db`` against numeric gradients, then
    against the analytic BPTT to ``ANALYTIC_THRESHOLD`` (also with large weights)."""
    exercise = "lstm_backward"
    rng = random_generator(seed)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    Wx, Wh, b = _weights(rng, D, H, 4)
    arguments = [x, h0, Wx, Wh, b]
    dh = upstream_gradient(rng, (N, T, H))
    h, backward = _lstm_sequence_call(lstm_forward, lstm_backward, exercise, arguments, dh)
    inputs, weights = arguments[:2], arguments[2:]

    def read_in(order):  # the reference, reading the gate blocks where a student reading ``order`` does
        return reference_lstm.lstm_forward(*inputs, *(_swap_gate_blocks(w, _reference_blocks(order)) for w in weights))[0]

    compare(exercise, "h", h, reference_lstm.lstm_forward(*arguments)[0], FORWARD_THRESHOLD,
            hint="start from h0 and a zero cell, carry both states from step to step and keep every h_t; "
                 + GATE_ORDER_HINT,
            mistakes=[(read_in(order), gate_order_meaning(order)) for order in other_gate_orders()])
    got = backward()
    names = ("dx", "dh0", "dWx", "dWh", "db")
    expected = _numeric_gradients(lambda *args: reference_lstm.lstm_forward(*args)[0], arguments, dh, names)
    variants = [
        (_lstm_bptt(*arguments, dh, carry_c=False),
         "the cell gradient is not carried back: pass dc_prev of step t+1 as dc to step t"),
        (_lstm_bptt(*arguments, dh, carry_h=False), "dh_prev is not carried back: add the dh_prev of step t+1 to dh[:, t]"),
    ]
    hint = (f"{LSTM_BPTT_IDEA}: walk the steps backwards, the cell's gradient starting at zero, and sum the "
            "weights' gradients over the steps.")
    _compare_gradients(exercise, got, expected, dict.fromkeys(names, hint), variants, N)
    judge_analytic(exercise, got, _lstm_sequence_analytic(arguments, dh), "the check's inputs", LSTM_BPTT_IDEA)
    stiff = [rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), *_weights(rng, D, H, 4, scale=2.0)]
    dh = upstream_gradient(rng, (N, T, H))
    got = _lstm_sequence_call(lstm_forward, lstm_backward, exercise, stiff, dh)[1]()
    analytic = _lstm_sequence_analytic(stiff, dh)
    _compare_gradients(exercise, got, analytic, dict.fromkeys(names, hint), [], N)
    judge_analytic(exercise, got, analytic, "inputs with large weights", LSTM_BPTT_IDEA)
