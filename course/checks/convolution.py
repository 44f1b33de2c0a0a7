"""Checks for lab 05: the convolution layer (forward and backward) and max-pooling's backward pass.

Each check runs the student's functions on seeded random float64 inputs, compares forward values
with the reference in ``course.layers`` and gradients with the numeric gradient of the reference
forward, and raises CheckFailed with a one-line explanation; typical mistakes (a flipped or a
transposed kernel, padding on one side, the stride ignored, ``=`` where overlapping windows need ``+=``, the
gradient sent to the whole pooling window ...) are recognised and named.

Convolution is linear in x, in w and in b, and max-pooling is linear as long as no arg-max
changes, so central differences are exact up to rounding for any step: the checks use a large
step, which keeps rounding errors far below the threshold even on entries close to zero.
"""
import numpy as np

from ..gradcheck import numerical_gradient
from ..layers.convolution import conv_forward as reference_conv_forward
from ..layers.convolution import conv_input_gradient, conv_weight_gradient
from ..arithmetic import conv_output_size
from ..layers.pooling import avg_pool_backward, avg_pool_forward
from ..layers.pooling import max_pool_backward as reference_max_pool_backward
from ..layers.pooling import max_pool_forward as reference_max_pool_forward
from .judging import (
    FORWARD_THRESHOLD,
    GRADIENT_THRESHOLD,
    CheckFailed,
    Mistake,
    call_student,
    random_generator,
    unpack,
    upstream_gradient,
)
from .exactness import LARGE_OFFSET, compare, exact

LINEAR_STEP = 1e-2  # numeric step for conv: exact for a linear function, little rounding
POOL_STEP = 1e-3    # numeric step for max-pool: inputs are 0.05 apart, so no arg-max switches

CONV_SHAPE_HINT = ("count the windows that fit inside the padded input: the first one starts at 0, each next one "
                   "stride further, and a window that would stick out is dropped (section 2, the output size).")


def _diagnose_shape(exercise, output, got, expected_shape, candidates, hint=""):
    """Fail naming the mistake if ``got`` has the shape that one of ``candidates`` (shape, meaning)
    produces, or all of them if several do; do nothing otherwise (``compare`` then reports the
    shape in general terms)."""
    try:
        shape = np.shape(got)
    except Exception:
        return
    if got is None or shape == tuple(expected_shape):
        return
    meanings = [meaning for wrong_shape, meaning in candidates
                if tuple(wrong_shape) != tuple(expected_shape) and shape == tuple(wrong_shape)]
    if meanings:
        raise CheckFailed(
            f"{exercise}: {output} has shape {shape} but should have shape {tuple(expected_shape)}; "
            + "; or else ".join(meanings) + "." + (f" Hint: {hint}" if hint else "")
        )


def _conv_inputs(seed, N, C, H, W, F, KH, KW):
    rng = random_generator(seed)
    return rng, rng.normal(size=(N, C, H, W)), rng.normal(size=(F, C, KH, KW)), rng.normal(size=F)


def _scatter_windows(dout, w, padded_shape, step, accumulate=True, upstream=True):
    """The padded input gradient built window by window, the way a loop-based solution does it,
    with windows ``step`` pixels apart; ``accumulate=False`` reproduces ``=`` instead of ``+=``,
    ``upstream=False`` forgets to multiply by ``dout``."""
    dx_padded = np.zeros(padded_shape)
    kernel_height, kernel_width = w.shape[2:]
    for n, f, i, j in np.ndindex(dout.shape):
        window = (n, slice(None), slice(i * step, i * step + kernel_height), slice(j * step, j * step + kernel_width))
        contribution = (dout[n, f, i, j] if upstream else 1.0) * w[f]
        if accumulate:
            dx_padded[window] += contribution
        else:
            dx_padded[window] = contribution
    return dx_padded


def _last_window_only(dout, x, w_shape, stride, pad):
    """dw as a loop computes it with ``dw[f] = ...`` instead of ``dw[f] += ...``."""
    n, _, height, width = x.shape
    filters, _, kernel_height, kernel_width = w_shape
    h_out, w_out = dout.shape[2:]
    top, left = (h_out - 1) * stride, (w_out - 1) * stride
    last_window = np.pad(x[-1], ((0, 0), (pad, pad), (pad, pad)))[:, top:top + kernel_height, left:left + kernel_width]
    return dout[-1, :, -1, -1].reshape(filters, 1, 1, 1) * last_window


def _edge_cases(H, W, KH, KW, stride, pad):
    """The sizes every convolution check also tries, beyond the one it was given: ``pad = 0`` (where
    the slice ``pad:-pad`` is empty) and a division ``(H + 2 pad - KH) / stride`` with fractional part
    .5 and an odd whole part (where round() rounds up, as a ceiling would); each as (H, W, stride, pad)."""
    cases = []
    if pad != 0 or stride != 1:
        cases.append((max(H, KH), max(W, KW), 1, 0))
    cases.append((KH + 5, KW + 3, 2, 1))  # (H + 2 - KH) / 2 = 3.5 and (W + 2 - KW) / 2 = 2.5
    return [case for case in cases if case != (H, W, stride, pad)]


def _edge_label(H, W, KH, KW, stride, pad):
    """How a message names the size case it was judging."""
    if pad == 0:
        return f" (stride {stride}, pad = 0)"
    return (f" (H = {H}, KH = {KH}, stride {stride}, pad {pad}: (H + 2 * pad - KH) / stride = "
            f"{(H + 2 * pad - KH) / stride:g})")


def _size_advice(exercise, H, W, KH, KW, stride, pad, h_out, w_out, sizes_given=False):
    """A sentence for a student's exception that a loop over the input's size, or ``pad:-pad`` with
    pad = 0, explains (None when neither does)."""
    def advice(text):
        if pad == 0 and ("into shape" in text or "(0," in text or ", 0)" in text or "size 0" in text):
            return ("With pad = 0, the slice pad:-pad is 0:0 (-0 is 0), which is empty, not the whole axis: the "
                    "padded input is x itself; the end of the inner part is pad + H, not -pad.")
        if "out of bounds" in text or "broadcast" in text:
            fractions = [f"({name} + 2 * pad - K{name}) / stride = {(n + 2 * pad - k) / stride:g}"
                         for name, n, k in (("H", H, KH), ("W", W, KW)) if (n + 2 * pad - k) % stride]
            rounding = (f"; or the output size is not rounded down ({fractions[0]} here, and round() or a ceiling "
                        "keeps a window that does not fit)") if fractions and not sizes_given else ""
            start = ("An index runs past the output (dout has H_out x W_out positions)" if sizes_given else
                     "A window runs off the padded input")
            return (f"{start}: a loop probably runs over the input's size (H = {H}, "
                    f"W = {W}) instead of the output's (H_out = {h_out}, W_out = {w_out}){rounding}. Loop over the "
                    "output positions (section 2, the output size).")
        return None
    return advice


def _calling(function, exercise, advice, *args):
    """``call_student``; a failure that ``advice(text)`` explains gains that sentence."""
    try:
        return call_student(function, exercise, *args)
    except CheckFailed as failure:
        text = str(failure)
        extra = advice(text) if " raised " in text and "NotImplementedError" not in text else None
        if not extra:
            raise
        raise CheckFailed(f"{text.rstrip('.')}. {extra}", mistake=failure.mistake) from None


def _rounded_size(n, kernel, stride, pad, rounding):
    return int(rounding((n + 2 * pad - kernel) / stride)) + 1 if kernel <= n + 2 * pad else -1


def _output_size_candidates(N, F, H, W, KH, KW, stride, pad):
    """Output shapes that a wrong output-size formula gives, with what each means."""
    import math
    half = [n for n, k in ((H, KH), (W, KW)) if (n + 2 * pad - k) % stride * 2 == stride]
    division = (H + 2 * pad - KH) / stride
    return [((N, F, _rounded_size(H, KH, stride, pad, round), _rounded_size(W, KW, stride, pad, round)),
             f"the output size is rounded: (H + 2 * pad - KH) / stride = {division:g} here, and round() (Python's "
             "and NumPy's round half to even) keeps a window that does not fit; windows that stick out are dropped, "
             "so the division rounds down" if half else "the output size is rounded instead of rounded down"),
            ((N, F, _rounded_size(H, KH, stride, pad, math.ceil), _rounded_size(W, KW, stride, pad, math.ceil)),
             "the output size is rounded up (a ceiling); windows that stick out of the padded input are dropped, so "
             "the division rounds down")]


def check_conv_forward(conv_forward, seed=0, N=2, C=3, H=7, W=8, F=4, KH=3, KW=3, stride=2, pad=1):
    """``conv_forward(x, w, b, stride, pad) -> (out, cache)`` against the reference convolution, for
    the sizes given and for the edge cases of ``_edge_cases`` (pad = 0, a division with .5)."""
    _judge_conv_forward(conv_forward, seed, N, C, H, W, F, KH, KW, stride, pad, "")
    for index, (h, w_, s, p) in enumerate(_edge_cases(H, W, KH, KW, stride, pad)):
        _judge_conv_forward(conv_forward, seed + 1000 * (index + 1), N, C, h, w_, F, KH, KW, s, p,
                            _edge_label(h, w_, KH, KW, s, p))


def _judge_conv_forward(conv_forward, seed, N, C, H, W, F, KH, KW, stride, pad, label):
    exercise = "conv_forward"
    _, x, w, b = _conv_inputs(seed, N, C, H, W, F, KH, KW)
    h_out_, w_out_ = conv_output_size(H, KH, stride, pad), conv_output_size(W, KW, stride, pad)
    result = _calling(conv_forward, exercise, _size_advice(exercise, H, W, KH, KW, stride, pad, h_out_, w_out_),
                      x, w, b, stride, pad)
    out, _cache = unpack(result, ("out", "cache"), exercise, "conv_forward")

    def size(n, kernel, s=stride, p=pad):  # -1 (no shape matches) where the kernel would not fit
        return conv_output_size(n, kernel, s, p) if kernel <= n + 2 * p else -1

    h_out, w_out = size(H, KH), size(W, KW)
    if pad == 0 and np.ndim(out) == 4 and np.shape(out)[2:] != (h_out, w_out) and 0 in np.shape(out)[2:]:
        raise CheckFailed(f"{exercise}: out{label} has shape {np.shape(out)}, empty, but should have shape "
                          f"{(N, F, h_out, w_out)}; with pad = 0 the slice pad:-pad is 0:0 (-0 is 0), which is empty, "
                          "not the whole axis.", mistake=Mistake.named(exercise, "out", "the slice pad:-pad is empty "
                                                                       "for pad = 0"))
    _diagnose_shape(exercise, f"out{label}", out, (N, F, h_out, w_out), _output_size_candidates(
        N, F, H, W, KH, KW, stride, pad) + [
        ((N, F, size(H, KH, 1), size(W, KW, 1)), "it has the size of a stride-1 convolution: the stride is ignored"),
        ((N, F, size(H, KH, p=0), size(W, KW, p=0)), "it has the size of a convolution without padding: "
                                                     "pad x with pad zeros on each side of H and W"),
        ((N, F, size(H + pad, KH, p=0), size(W + pad, KW, p=0)), "x got pad zeros on one side only; pad puts "
                                                                 "pad zeros on each side (2 * pad in all)"),
        ((N, F, size(H, KH, p=2 * pad), size(W, KW, p=2 * pad)), "x got 2 * pad zeros on each side instead of pad"),
        ((N, F, h_out - 1, w_out - 1), "it is one row and one column too small: mind the + 1 in the output size"),
        ((N, F, h_out + 1, w_out + 1), "it is one row and one column too large: windows that do not fit are "
                                       "dropped (floor), the last one must lie inside the padded input"),
        ((N + 2 * pad, F, h_out, w_out), "the batch axis was padded too: pad only the last two axes of x"),
        ((N, C, h_out, w_out), f"it has C = {C} channels: the output has one channel per filter, F = w.shape[0]"),
    ], hint=CONV_SHAPE_HINT)
    one_sided = np.pad(x, ((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0)))
    mistakes = [
        (reference_conv_forward(x, w[:, :, ::-1, ::-1], b, stride, pad)[0],
         "the kernel is flipped (a true convolution); deep-learning convolution is cross-correlation: use w as it is"),
        (reference_conv_forward(x, w, np.zeros(F), stride, pad)[0], "the bias b is missing"),
        (reference_conv_forward(x, w, b, 1, pad)[0][:, :, :h_out, :w_out],
         "the windows start at i and j instead of i * stride and j * stride: the stride is ignored"),
        (reference_conv_forward(one_sided, w, b, stride, 0)[0],
         "all the padding sits on the top and left; put pad zeros on each side"),
    ]
    if KH == KW:
        mistakes.append((reference_conv_forward(x, w.transpose(0, 1, 3, 2), b, stride, pad)[0],
                         "the kernel's height and width axes are swapped"))
    compare(
        exercise, f"out{label}", out, reference_conv_forward(x, w, b, stride, pad)[0], FORWARD_THRESHOLD,
        hint="each output entry is the sum of one filter times the window of the padded input it covers (all "
             "channels), plus that filter's bias; window (i, j) starts stride * i rows and stride * j columns in.",
        mistakes=mistakes,
    )


def check_conv_backward(conv_forward, conv_backward, seed=0, N=2, C=3, H=7, W=8, F=4, KH=3, KW=3, stride=2, pad=1):
    """Gradients ``dx, dw, db`` of ``conv_backward`` against numeric gradients of the reference, then
    exactly (backprop, not finite differences), for the sizes given and the edge cases of
    ``_edge_cases`` (pad = 0, a division with .5).

    The lab fixes the cache (conv_backward's first line unpacks x, w, b, stride, pad outside the
    solution region), so the check builds it: a mistake in conv_forward costs conv_forward's points
    only. conv_forward stays in the signature for the notebooks' calls."""
    _judge_conv_backward(conv_backward, seed, N, C, H, W, F, KH, KW, stride, pad, "")
    for index, (h, w_, s, p) in enumerate(_edge_cases(H, W, KH, KW, stride, pad)):
        _judge_conv_backward(conv_backward, seed + 1000 * (index + 1), N, C, h, w_, F, KH, KW, s, p,
                             _edge_label(h, w_, KH, KW, s, p))


def _judge_conv_backward(conv_backward, seed, N, C, H, W, F, KH, KW, stride, pad, label):
    exercise = "conv_backward"
    rng, x, w, b = _conv_inputs(seed, N, C, H, W, F, KH, KW)
    cache = (x, w, b, stride, pad)
    h_out, w_out = conv_output_size(H, KH, stride, pad), conv_output_size(W, KW, stride, pad)
    dout = upstream_gradient(rng, (N, F, h_out, w_out))
    result = _calling(conv_backward, exercise, _size_advice(exercise, H, W, KH, KW, stride, pad, h_out, w_out,
                                                            sizes_given=True), dout, cache)
    dx, dw, db = unpack(result, ("dx", "dw", "db"), exercise, "conv_backward")
    if pad == 0 and np.ndim(dx) == 4 and 0 in np.shape(dx)[2:]:
        raise CheckFailed(f"{exercise}: dx{label} has shape {np.shape(dx)}, empty, but should have shape {x.shape}; "
                          "with pad = 0 the slice pad:-pad is 0:0 (-0 is 0), which is empty, not the whole axis: the "
                          "inner part of the padded gradient ends at pad + H.",
                          mistake=Mistake.named(exercise, "dx", "the slice pad:-pad is empty for pad = 0"))

    def forward_of(x_, w_, b_):
        return reference_conv_forward(x_, w_, b_, stride, pad)[0]

    padded_shape = (N, C, H + 2 * pad, W + 2 * pad)
    dx_padded = _scatter_windows(dout, w, padded_shape, stride)
    crop = (slice(None), slice(None), slice(pad, pad + H), slice(pad, pad + W))
    _diagnose_shape(exercise, f"dx{label}", dx, x.shape, [
        (padded_shape, "it still includes the padding: the gradient of x is the inner part of the padded gradient, "
                       "without the pad rows and columns on each side"),
    ])
    dx_mistakes = [
        (conv_input_gradient(dout, w[:, :, ::-1, ::-1], x.shape, stride, pad),
         "the kernel is flipped; send dout * w[f] back onto the window exactly as the forward read it"),
        (conv_input_gradient(dout, np.broadcast_to(w.sum(axis=1, keepdims=True), w.shape), x.shape, stride, pad),
         "every input channel gets the filter summed over its channels; channel c of the window gets w[f, c] only"),
        (_scatter_windows(dout, w, padded_shape, stride, upstream=False)[crop],
         "it adds w[f] onto each window without multiplying by dout[n, f, i, j]"),
        (_scatter_windows(dout, w, padded_shape, stride, accumulate=False)[crop],
         "windows (and filters) that share an input entry overwrite each other's gradient: use += instead of ="),
        (_scatter_windows(dout, w, padded_shape, 1)[crop],
         "the windows start at i and j instead of i * stride and j * stride: the stride is ignored"),
    ]
    if KH == KW:
        dx_mistakes.insert(1, (conv_input_gradient(dout, w.transpose(0, 1, 3, 2), x.shape, stride, pad),
                               "the kernel is transposed (its rows and columns swapped); a transpose is not the "
                               "flip of a true convolution either: use w[f] exactly as the forward did"))
    if pad > 0:
        dx_mistakes.append((dx_padded[:, :, :H, :W], "it is cropped at the wrong place: the inner part starts pad "
                                                     "rows and pad columns in, on each side"))
    compare(
        exercise, f"dx{label}", dx, numerical_gradient(lambda v: forward_of(v, w, b), x, dout, LINEAR_STEP),
        GRADIENT_THRESHOLD,
        hint="every output (n, f, i, j) sends its upstream gradient back, weighted by filter f, onto the window of "
             "the padded input it read; then drop the padding (section 4).",
        mistakes=dx_mistakes,
    )
    expected_dw = numerical_gradient(lambda v: forward_of(x, v, b), w, dout, LINEAR_STEP)
    _diagnose_shape(exercise, f"dw{label}", dw, w.shape, [
        ((N,) + w.shape, "it still has the batch axis: sum the contributions of all images"),
    ])
    compare(
        exercise, f"dw{label}", dw, expected_dw, GRADIENT_THRESHOLD, batch_size=N,
        hint="dw[f] adds dout[n, f, i, j] * (the window of x_padded at (i, j)) over every image n and position (i, j).",
        mistakes=[
            (expected_dw[:, :, ::-1, ::-1],
             "it is flipped; the forward uses w without flipping, so dw is not flipped either"),
            (conv_weight_gradient(dout[:1], x[:1], (KH, KW), stride, pad),
             "it uses only the first example instead of summing over the batch"),
            (_last_window_only(dout, x, w.shape, stride, pad),
             "only the last window counts: use += instead of = to add up every image and window"),
            (conv_weight_gradient(np.ones_like(dout), x, (KH, KW), stride, pad),
             "it adds up the windows without weighting each by dout[n, f, i, j]"),
        ] + ([(expected_dw.transpose(0, 1, 3, 2), "it is transposed (the KH and KW axes swapped); dw[f] has the "
                                                  "orientation of the windows it adds up")] if KH == KW else []),
    )
    _diagnose_shape(exercise, f"db{label}", db, (F,), [
        ((F, h_out, w_out), "sum dout over the positions (axes 2 and 3) as well as the batch"),
        ((N, F), "it still has the batch axis: sum over the batch and the positions (axes 0, 2 and 3)"),
    ])
    compare(
        exercise, f"db{label}", db, numerical_gradient(lambda v: forward_of(x, w, v), b, dout, LINEAR_STEP),
        GRADIENT_THRESHOLD, batch_size=N,
        hint="b[f] is added at every position of every image, so db[f] collects dout of filter f from all of them.",
        mistakes=[
            (dout.mean(axis=(0, 2, 3)), "it averages dout instead of summing it"),
            (dout.sum(axis=0).mean(axis=(1, 2)), "it averages dout over the positions; b[f] was added at every "
                                                 "position, so its gradient sums them"),
            (dout[0].sum(axis=(1, 2)), "it uses only the first example instead of summing over the batch"),
        ],
    )
    exact_grads = (conv_input_gradient(dout, w, x.shape, stride, pad), conv_weight_gradient(dout, x, (KH, KW), stride, pad),
                   dout.sum(axis=(0, 2, 3)))
    for output, got, expected in zip(("dx", "dw", "db"), (dx, dw, db), exact_grads):
        exact(exercise, f"{output}{label}", got, expected, idea="the windows: each output sends its gradient back to "
                                                                "the inputs and weights it read")
    if not label:  # the gradients do not depend on b: with a bias of a million a difference quotient drowns
        big = f" (with b near {LARGE_OFFSET:g})"
        grads = unpack(call_student(conv_backward, exercise, dout, (x, w, b + LARGE_OFFSET, stride, pad)),
                       ("dx", "dw", "db"), exercise, "conv_backward")
        for output, got, expected in zip(("dx", "dw", "db"), grads, exact_grads):
            compare(exercise, output + big, got, expected, GRADIENT_THRESHOLD)
            exact(exercise, output + big, got, expected, idea="the windows: each output sends its gradient back to "
                                                              "the inputs and weights it read")


def _distinct_values(rng, shape, gap=0.05):
    """Random values no two closer than ``gap``: every window has a single maximum."""
    return gap * (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2)


def _route_to_argmax(dout, argmax, kernel, x_shape, step, swap=False, accumulate=True):
    """Max-pool gradient sent window by window to the arg-max, as a loop-based solution does,
    with windows ``step`` apart; ``swap`` swaps row and column, ``accumulate=False`` uses ``=``."""
    dx = np.zeros(x_shape)
    for n, c, i, j in np.ndindex(dout.shape):
        row, column = divmod(int(argmax[n, c, i, j]), kernel)
        if swap:
            row, column = column, row
        where = (n, c, i * step + row, j * step + column)
        dx[where] = dx[where] + dout[n, c, i, j] if accumulate else dout[n, c, i, j]
    return dx


def check_max_pool_backward(max_pool_forward, max_pool_backward, seed=0, N=2, C=3, H=6, W=7, kernel=2, stride=2):
    """``max_pool_forward(x, kernel, stride)`` against the reference, then ``max_pool_backward``
    against the numeric gradient (inputs have no ties) and exactly, for the sizes given and for a
    size whose division ``(H - kernel) / stride`` has fractional part .5 (round() would round it up)."""
    _judge_max_pool(max_pool_forward, max_pool_backward, seed, N, C, H, W, kernel, stride, "")
    h, w_ = kernel + 3, kernel + 5  # (H - kernel) / 2 = 1.5 and (W - kernel) / 2 = 2.5
    if (h, w_, 2) != (H, W, stride):
        _judge_max_pool(max_pool_forward, max_pool_backward, seed + 1000, N, C, h, w_, kernel, 2,
                        f" (H = {h}, kernel {kernel}, stride 2: (H - kernel) / stride = {(h - kernel) / 2:g})")


def _judge_max_pool(max_pool_forward, max_pool_backward, seed, N, C, H, W, kernel, stride, label):
    exercise = "max_pool_backward"
    rng = random_generator(seed)
    x = _distinct_values(rng, (N, C, H, W))
    expected_out, reference_cache = reference_max_pool_forward(x, kernel, stride)
    h_out, w_out = expected_out.shape[2:]
    advice = _size_advice(exercise, H, W, kernel, kernel, stride, 1, h_out, w_out)
    result = _calling(max_pool_forward, exercise, advice, x, kernel, stride)
    out, cache = unpack(result, ("out", "cache"), exercise, "max_pool_forward")
    import math
    _diagnose_shape(exercise, f"the output of max_pool_forward{label}", out, expected_out.shape, [
        ((N, C, H - kernel + 1, W - kernel + 1), "it has the size of a stride-1 pooling: the stride is ignored"),
        ((N, C, _rounded_size(H, kernel, stride, 0, round), _rounded_size(W, kernel, stride, 0, round)),
         f"the output size is rounded: (H - kernel) / stride = {(H - kernel) / stride:g} here, and round() (half to "
         "even) keeps a window that does not fit; windows that stick out are dropped, so the division rounds down"),
        ((N, C, _rounded_size(H, kernel, stride, 0, math.ceil), _rounded_size(W, kernel, stride, 0, math.ceil)),
         "it rounds up: windows that do not fit are dropped, so the division (H - kernel) / stride rounds down"),
        ((N, C, H // stride, W // stride), "it is H // stride: count the windows that fit, (H - kernel) / stride "
                                           "rounded down, plus 1 for the first"),
    ])
    compare(
        exercise, f"the output of max_pool_forward{label}", out, expected_out, FORWARD_THRESHOLD,
        hint="each output entry is the largest entry of its kernel x kernel window; window (i, j) starts stride * i "
             "rows and stride * j columns in (section 5).",
        mistakes=[
            (avg_pool_forward(x, kernel, stride)[0], "it averages the window; max pooling keeps its largest entry"),
            (-reference_max_pool_forward(-x, kernel, stride)[0], "it keeps the smallest entry of each window"),
        ],
    )
    dout = upstream_gradient(rng, (N, C, h_out, w_out))
    dx = _calling(max_pool_backward, exercise, _size_advice(exercise, H, W, kernel, kernel, stride, 1, h_out, w_out,
                                                            sizes_given=True), dout, cache)
    argmax = reference_cache[3]
    # the arg-max of the windows a backward pass finds when it forgets the stride
    stride_one_argmax = reference_max_pool_forward(x, kernel, 1)[1][3][:, :, :h_out, :w_out]
    avg_cache = avg_pool_forward(x, kernel, stride)[1]
    expected = numerical_gradient(lambda v: reference_max_pool_forward(v, kernel, stride)[0], x, dout, POOL_STEP)
    compare(
        exercise, f"dx{label}", dx, expected, GRADIENT_THRESHOLD,
        hint="each window sends dout[n, c, i, j] to the one entry that was its maximum; the others get 0.",
        mistakes=[
            (avg_pool_backward(dout * kernel * kernel, avg_cache),
             "every entry of the window gets the gradient; only the arg-max (the entry that was picked) should"),
            (avg_pool_backward(dout, avg_cache), "it is average pooling's gradient (dout / kernel**2 to every entry)"),
            (reference_max_pool_backward(np.ones_like(dout), reference_cache),
             "it returns the arg-max mask without multiplying by dout"),
            (_route_to_argmax(dout, stride_one_argmax, kernel, x.shape, 1),
             "the windows start at i and j instead of i * stride and j * stride: the stride is ignored"),
            (_route_to_argmax(dout, argmax, kernel, x.shape, stride, accumulate=False),
             "an entry that is the maximum of two overlapping windows must collect both: use += instead of ="),
            (_route_to_argmax(dout, argmax, kernel, x.shape, stride, swap=True),
             "the row and column of the arg-max are swapped: flat index a in the window is row a // kernel, "
             "column a % kernel"),
        ],
    )
    exact(exercise, f"dx{label}", dx, reference_max_pool_backward(dout, reference_cache),
          idea="the route of each window's maximum")
    if not label:  # the same windows a million higher: the same arg-max, but a difference quotient drowns
        big_x = x + LARGE_OFFSET
        big = f" (inputs near {LARGE_OFFSET:g})"
        _out, big_cache = unpack(call_student(max_pool_forward, exercise, big_x, kernel, stride), ("out", "cache"),
                                 exercise, "max_pool_forward")
        big_dx = call_student(max_pool_backward, exercise, dout, big_cache)
        expected_big = reference_max_pool_backward(dout, reference_max_pool_forward(big_x, kernel, stride)[1])
        compare(exercise, "dx" + big, big_dx, expected_big, GRADIENT_THRESHOLD)
        exact(exercise, "dx" + big, big_dx, expected_big, idea="the route of each window's maximum")
