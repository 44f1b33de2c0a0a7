"""Checks for lab 09: a causal self-attention layer, a small decoder-only transformer and its
training on a generated digit task — PyTorch modules the student wrote.

As in ``course.checks.cnn``, the student's classes are built with ``call_student`` and measured
only through ``course.probes`` (parameter shapes, state, forward); everything that decides a
verdict is computed here. The causal mask is judged by what it must guarantee: the output at
position t is the same for two inputs that differ only after t (nothing leaks from the future),
and it does change when an earlier position changes (the past is used). The attention layer is
then loaded with the judge's random weights and compared with a functional reference, whichever
of its linear layers is the query, key, value or output projection.
"""
import itertools
import math


from .. import probes
from .cnn import FLOAT32_THRESHOLD, _build, _count, _error, _generator, _groups, _torch
from .judging import CheckFailed, compare, probe_student


def _sequences():
    """``course.torchlab.sequences`` (the digit tasks), imported when a check needs it: importing
    ``course.checks`` must work without torch."""
    _torch()
    from ..torchlab import sequences

    return sequences


def _attention_parameters(d_model):
    return 4 * (d_model * d_model + d_model)


def _block_parameters(d_model, d_ff):
    return _attention_parameters(d_model) + 2 * 2 * d_model + 2 * d_model * d_ff + d_ff + d_model


def transformer_parameters(vocab_size, d_model, num_layers, d_ff):
    """Token embedding, ``num_layers`` pre-LN blocks (attention with biases, two LayerNorms, a
    feed-forward d_model -> d_ff -> d_model), a final LayerNorm and the output layer; the
    sinusoidal positional encoding is a buffer, not a parameter."""
    return (vocab_size * d_model + num_layers * _block_parameters(d_model, d_ff) + 2 * d_model
            + d_model * vocab_size + vocab_size)


def _tensor(model_output, exercise, what, expected_shape):
    torch = _torch()
    if not isinstance(model_output, torch.Tensor):
        raise CheckFailed(f"{exercise}: {what} returned a {type(model_output).__name__}; forward should return a tensor.")
    if tuple(model_output.shape) != expected_shape:
        raise CheckFailed(f"{exercise}: {what} returned shape {tuple(model_output.shape)}, expected {expected_shape}.")
    if not torch.isfinite(model_output).all():
        raise CheckFailed(f"{exercise}: {what} contains NaN or inf; a query whose keys are all masked gets a softmax "
                          "over nothing: is the causal mask inverted (True must mean 'may attend', position t "
                          "seeing 0..t)?")
    return model_output.double()


def _causality(exercise, forward, inputs, replace, setting):
    """Nothing leaks from the future, the past is used: ``replace(inputs, positions)`` gives new
    inputs that differ from ``inputs`` exactly at ``positions``."""
    _torch()  # torch is needed below: one sentence if it is not installed
    length = inputs.shape[1]
    out = forward(inputs)
    for t in sorted({0, length // 2, length - 2}):
        changed = forward(replace(inputs, range(t + 1, length)))
        if _error(changed[:, :t + 1], out[:, :t + 1]) > FLOAT32_THRESHOLD:
            raise CheckFailed(
                f"{exercise}: {setting}: the output at position {t} changes when only positions {t + 1}..{length - 1} "
                "change, so the future leaks into the past; the causal mask is missing, transposed (upper triangle) "
                "or applied after the softmax. Hint: mask = torch.ones(T, T, dtype=torch.bool).tril(), and "
                "scores.masked_fill(~mask, float('-inf')) before the softmax.")
    changed = forward(replace(inputs, [0]))
    if _error(changed[:, -1], out[:, -1]) < FLOAT32_THRESHOLD:
        raise CheckFailed(f"{exercise}: {setting}: the output at the last position does not change when position 0 "
                          "changes, so it ignores the past; the mask should let position t attend to 0..t, not only "
                          "to itself.")
    return out


def _functional_attention(x, roles, heads, variant=None):
    """The reference: ``roles`` = (Wq, bq, Wk, bk, Wv, bv, Wo, bo) in nn.Linear's layout."""
    torch = _torch()
    n, length, embed = x.shape
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = roles
    heads = 1 if variant == "one head" else heads
    split = lambda t: t.view(n, length, heads, embed // heads).transpose(1, 2)  # noqa: E731
    if variant == "wrong split":
        split = lambda t: t.reshape(n, heads, length, embed // heads)  # noqa: E731
    q, k, v = (split(x @ w.T + b) for w, b in ((wq, bq), (wk, bk), (wv, bv)))
    divisor = {"no scale": 1.0, "scale by d": q.shape[-1]}.get(variant, math.sqrt(q.shape[-1]))
    scores = q @ k.transpose(-2, -1) / divisor
    weights = scores.masked_fill(~torch.ones(length, length, dtype=torch.bool).tril(), float("-inf")).softmax(-1)
    attended = weights @ v
    merged = (attended.reshape(n, length, embed) if variant == "wrong split"
              else attended.transpose(1, 2).reshape(n, length, embed))
    return merged @ wo.T + bo


_ATTENTION_MISTAKES = {
    "no scale": "the scores are not divided by sqrt(head_size)",
    "scale by d": "the scores are divided by head_size instead of sqrt(head_size)",
    "one head": "it computes one head over the whole width instead of num_heads heads",
    "wrong split": "the heads are split along the wrong axis: view (N, T, heads, head_size), then transpose(1, 2)",
}


def _projection_roles(exercise, groups, embed, setting):
    """Every way to read the student's linear layers as the (query, key, value, output)
    projections: four Linear(E, E), or one packed Linear(E, 3E) and one Linear(E, E)."""
    linears = {p: g for p, g in groups.items() if "weight" in g and g["weight"].dim() == 2}
    if set(linears) != set(groups) or any("bias" not in g for g in linears.values()):
        raise CheckFailed(f"{exercise}: {setting} should consist of nn.Linear layers with biases only.")
    square = [p for p, g in linears.items() if tuple(g["weight"].shape) == (embed, embed)]
    packed = [p for p, g in linears.items() if tuple(g["weight"].shape) == (3 * embed, embed)]
    pairs = lambda p: (groups[p]["weight"].double(), groups[p]["bias"].double())  # noqa: E731
    if len(square) == 4 and len(linears) == 4:
        return [tuple(pairs(p) for p in order) for order in itertools.permutations(square)]
    if len(square) == 1 and len(packed) == 1 and len(linears) == 2:
        w, b = pairs(packed[0])
        chunks = list(zip(w.chunk(3), b.chunk(3)))
        return [tuple(chunks[i] for i in order) + (pairs(square[0]),) for order in itertools.permutations(range(3))]
    shapes = sorted(tuple(g["weight"].shape) for g in linears.values())
    raise CheckFailed(f"{exercise}: {setting} has linear layers of shapes {shapes}; expected four nn.Linear({embed}, "
                      f"{embed}) for the query, key, value and output projections (or one Linear({embed}, "
                      f"{3 * embed}) for q, k, v together and one Linear({embed}, {embed})).")


def check_causal_self_attention(CausalSelfAttention, seed=0, batch=2, length=6, d_model=8, num_heads=2):
    """``CausalSelfAttention(d_model, num_heads)``: (N, T, d_model) -> (N, T, d_model), masked
    multi-head self-attention with query, key, value and output projections (nn.Linear with
    biases). Checked: the parameter count 4 (d^2 + d), the shape, that nothing leaks from the
    future and that the past is used, then the output with the judge's weights."""
    torch = _torch()
    exercise = "causal_self_attention"
    setting = f"CausalSelfAttention({d_model}, {num_heads})"
    layer = _build(CausalSelfAttention, exercise, d_model, num_heads)
    shapes = probe_student(probes.parameter_shapes, exercise, layer)
    total, expected_total = _count(shapes), _attention_parameters(d_model)
    if total != expected_total:
        without_bias = 4 * d_model * d_model
        detail = {without_bias: "; the linear layers have no biases (keep nn.Linear's default bias=True)",
                  3 * (d_model * d_model + d_model): "; the output projection is missing",
                  }.get(total, "")
        raise CheckFailed(f"{exercise}: {setting} has {total:,} parameters, expected {expected_total:,} = "
                          f"4 x ({d_model}x{d_model} weights + {d_model} biases) for the query, key, value and "
                          f"output projections{detail}.")
    state = probe_student(probes.state, exercise, layer)
    if not isinstance(state, dict):
        raise CheckFailed(f"{exercise}: {setting} is not an nn.Module; subclass torch.nn.Module.")
    generator = _generator(seed)
    values = {name: torch.randn(tuple(value.shape), generator=generator) / math.sqrt(d_model)
              for name, value in state.items()}
    probe_student(probes.load_state, exercise, layer, values)
    x = torch.randn(batch, length, d_model, generator=generator)

    def forward(inputs):
        return _tensor(probe_student(probes.forward, exercise, layer, inputs), exercise,
                       f"{setting} on x of shape {tuple(inputs.shape)}", (batch, length, d_model))

    def replace(inputs, positions):
        changed = inputs.clone()
        changed[:, list(positions)] = torch.randn(batch, len(positions), d_model, generator=generator)
        return changed

    out = _causality(exercise, forward, x, replace, setting)
    candidates = _projection_roles(exercise, _groups(values), d_model, setting)
    x64 = x.double()
    with torch.no_grad():
        if any(_error(out, _functional_attention(x64, roles, num_heads)) < FLOAT32_THRESHOLD for roles in candidates):
            return
        mistakes = [(_functional_attention(x64, roles, num_heads, variant).numpy(), meaning)
                    for variant, meaning in _ATTENTION_MISTAKES.items() for roles in candidates]
        compare(exercise, f"the output of {setting}", out.numpy(), _functional_attention(x64, candidates[0], num_heads).numpy(),
                FLOAT32_THRESHOLD, mistakes=mistakes,
                hint="project q, k, v; split the heads; softmax(q k^T / sqrt(head_size), causal mask) v; merge the "
                     "heads; then the output projection.")


def _transformer_mismatch(total, expected, vocab_size, d_model, num_layers, d_ff, max_length):
    differences = {
        -vocab_size * d_model: "the output layer is missing or shares the embedding's weights; give it its own "
                               f"nn.Linear({d_model}, {vocab_size})",
        -2 * d_model: "one LayerNorm is missing (the final one, after the last block?)",
        -2 * d_model * num_layers: "each block lacks one of its two LayerNorms",
        -4 * d_model * num_layers: "the blocks have no LayerNorms",
        max_length * d_model: "the positional encoding is a trained parameter; keep the sinusoidal table as a "
                              "buffer (self.register_buffer), so it is not trained",
        -vocab_size: "the output layer has no bias",
        -num_layers * (2 * d_model * d_ff + d_ff + d_model): "the blocks have no feed-forward part",
    }
    detail = differences.get(total - expected)
    return (f"the model has {total:,} parameters, expected {expected:,}: embedding {vocab_size}x{d_model}, "
            f"{num_layers} blocks of {_block_parameters(d_model, d_ff):,} (attention 4x({d_model}x{d_model} + "
            f"{d_model}), two LayerNorms, feed-forward {d_model} -> {d_ff} -> {d_model}), a final LayerNorm and the "
            f"output layer {d_model} -> {vocab_size}" + (f"; {detail}" if detail else ""))


def check_causal_transformer(TinyTransformer, seed=0, batch=3, length=8, vocab_size=None, d_model=16,
                             num_heads=2, num_layers=2, d_ff=32, max_length=12):
    """``TinyTransformer(vocab_size, d_model, num_heads, num_layers, d_ff, max_length)``: tokens
    (N, T) int64 -> next-token scores (N, T, vocab_size). Checked: the parameter count (see
    ``transformer_parameters``), the shape, no leak from later tokens, the use of earlier ones,
    and of their order (the positional encoding). ``vocab_size`` defaults to the digit tasks'
    (``course.torchlab.sequences.VOCABULARY_SIZE``)."""
    torch = _torch()
    vocab_size = _sequences().VOCABULARY_SIZE if vocab_size is None else vocab_size
    exercise = "causal_transformer"
    setting = f"TinyTransformer({vocab_size}, {d_model}, {num_heads}, {num_layers}, {d_ff}, {max_length})"
    model = _build(TinyTransformer, exercise, vocab_size, d_model, num_heads, num_layers, d_ff, max_length)
    shapes = probe_student(probes.parameter_shapes, exercise, model)
    total = _count(shapes)
    expected = transformer_parameters(vocab_size, d_model, num_layers, d_ff)
    if total != expected:
        raise CheckFailed(f"{exercise}: {setting}: " + _transformer_mismatch(total, expected, vocab_size, d_model,
                                                                             num_layers, d_ff, max_length) + ".")
    generator = _generator(seed)
    tokens = torch.randint(0, vocab_size, (batch, length), generator=generator)

    def forward(inputs):
        return _tensor(probe_student(probes.forward, exercise, model, inputs), exercise,
                       f"{setting} on tokens of shape {tuple(inputs.shape)}", (batch, length, vocab_size))

    def replace(inputs, positions):
        changed = inputs.clone()
        positions = list(positions)
        shift = torch.randint(1, vocab_size, (batch, len(positions)), generator=generator)
        changed[:, positions] = (inputs[:, positions] + shift) % vocab_size  # a different token at each position
        return changed

    out = _causality(exercise, forward, tokens, replace, setting)
    # Order: with one layer and no positional encoding, the last position sees its earlier tokens
    # as a set (a deeper causal stack can infer positions from the mask itself), so swapping two
    # of them must change its output.
    shallow = _build(TinyTransformer, exercise, vocab_size, d_model, num_heads, 1, d_ff, max_length)
    swapped = tokens.clone()
    swapped[:, 1] = (tokens[:, 0] + 1 + tokens[:, 1] % (vocab_size - 1)) % vocab_size  # differs from position 0
    reordered = swapped.clone()
    reordered[:, [0, 1]] = swapped[:, [1, 0]]
    outputs = [_tensor(probe_student(probes.forward, exercise, shallow, inputs), exercise,
                       f"a one-layer {setting.replace(f', {num_layers}, ', ', 1, ')} on tokens of shape {tuple(inputs.shape)}",
                       (batch, length, vocab_size)) for inputs in (swapped, reordered)]
    if _error(outputs[0][:, -1], outputs[1][:, -1]) < FLOAT32_THRESHOLD:
        raise CheckFailed(f"{exercise}: with one layer, swapping the first two tokens leaves the output at the last "
                          "position unchanged, so the model cannot tell the order of its input: attention alone is "
                          "permutation-invariant. Hint: add the positional encoding to the token embeddings.")
    return out


def check_trained_transformer(model, task="reverse", length=6, count=500, minimum=0.99, seed=0):
    """A trained causal model solves the digit ``task`` (see ``course.torchlab.sequences``): on
    ``count`` new prompts of ``length`` digits, drawn here, the answers it writes token by token
    (greedy decoding) are right in every digit for at least ``minimum`` of them."""
    exercise = "trained_transformer"
    training = getattr(model, "training", None)
    if not isinstance(training, bool):
        raise CheckFailed(f"{exercise}: expected a trained torch.nn.Module, got {type(model).__name__}.")
    sequences = _sequences()
    prompts, answers = sequences.digit_task(task, count, length, seed=10_000 + seed)  # never the notebook's data

    def forward(tokens):
        logits = probe_student(probes.forward, exercise, model, tokens)
        return _tensor(logits, exercise, f"the model on tokens of shape {tuple(tokens.shape)}",
                       (count, tokens.shape[1], sequences.VOCABULARY_SIZE))

    written = sequences.greedy_answers(forward, prompts, length)
    accuracy = sequences.exact_match(written, answers)
    if accuracy >= minimum:
        return accuracy
    digits = float((written == answers).double().mean())
    message = (f"{exercise}: {100 * accuracy:.1f}% of {count} new prompts get an exactly right answer ({task}, "
               f"{length} digits; {100 * digits:.1f}% of the digits are right); it should be at least "
               f"{100 * minimum:.0f}%")
    if training:
        message += "; the model is still in training mode: call model.eval() after training"
    raise CheckFailed(message + ". Hint: train longer or with a warm-up and a larger learning rate, and watch the loss.")
