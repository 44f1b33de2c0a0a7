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
from .judging import CheckFailed, Mistake, compare, mixed_seed, probe_student

MASK_IDEA = ("query t may attend to the keys 0..t only: the lower triangle of a boolean mask, applied to the scores "
             "before the softmax (section 2, 'Masks', and exercise 6)")


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
                f"or applied after the softmax. Hint: {MASK_IDEA}.",
                mistake=Mistake.named(exercise, "", "the future leaks into the past (no causal mask)"))
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
    "wrong split": "the heads are split along the wrong axis: cut the embedding into (N, T, heads, head_size) "
                   "blocks, then move the heads in front of the positions",
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
                hint="project the input to queries, keys and values, split them into heads, attend with the causal "
                     "mask and the 1/sqrt(head_size) scale, merge the heads and apply the output projection "
                     "(exercise 6's steps).")


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


# ---------------------------------------------------------------- the transformer, judged against a functional reference

_TRANSFORMER_MISTAKES = {
    "no residual": "the blocks have no residual connections: each sublayer's output replaces x instead of being "
                   "added to it (section 7: x <- x + Sublayer(LN(x)))",
    "post-LN": "it is the post-LN block of the original paper and the notes, LN(x + Sublayer(x)); the lab's block is "
               "pre-LN, x + Sublayer(LN(x))",
    "no final norm": "the final LayerNorm before the output layer is not applied (it exists but the forward pass "
                     "skips it)",
    "no embedding scale": "the token embedding is not scaled by sqrt(d_model) before the positional encoding is added",
    "attention residual only": "only the attention sublayer has a residual connection; the feed-forward's output must "
                               "be added to x as well",
    "feed-forward residual only": "only the feed-forward sublayer has a residual connection; the attention's output "
                                  "must be added to x as well",
    "normalized residual": "the LayerNorm's output replaces x, so the residual path carries the normalized x; "
                           "normalize only the sublayer's input and add its output to the x that came in",
    "no ReLU": "the feed-forward part has no ReLU between its two linear layers",
    "GELU": "the feed-forward part uses GELU; the lab's block uses ReLU",
}
_WEIGHT_LEAVES = ("weight", "gamma", "scale", "g")


def _structure(exercise, state, parameters, vocab_size, d_model, setting):
    """The student's parameters sorted into the lab's TinyTransformer: ``{"embedding", "encoding",
    "blocks": [{"attention": [groups], "norms": [groups], "feed_forward": [groups]}], "final", "head"}``,
    each group ``{leaf: key}``, read from the module names the lab asks for (``self.blocks``, and
    ``self.attention`` in each block) and from the shapes; None for what does not fit."""
    groups = {}
    for key in state:
        prefix, _, leaf = key.rpartition(".")
        groups.setdefault(prefix, {})[leaf] = key
    buffers = [key for key in state if key not in parameters]
    blocks, outside = {}, {}
    for prefix, group in groups.items():
        parts = prefix.split(".")
        if len(parts) >= 2 and parts[0] == "blocks" and parts[1].isdigit():
            blocks.setdefault(int(parts[1]), {})[".".join(parts[2:])] = group
        else:
            outside[prefix] = group

    def split(group):
        """(2-D parameter keys, 1-D parameter keys) of one group."""
        params = [key for key in group.values() if key in parameters]
        return ([key for key in params if state[key].dim() == 2], [key for key in params if state[key].dim() == 1])

    def norm(group):
        _, ones = split(group)
        if len(ones) != 2 or split(group)[0]:
            return None
        weight = next((key for key in ones if key.rpartition(".")[2] in _WEIGHT_LEAVES), ones[0])
        return {"weight": weight, "bias": next(key for key in ones if key != weight)}

    def linear(group):
        twos, ones = split(group)
        if len(twos) != 1 or len(ones) != 1 or state[ones[0]].shape[0] != state[twos[0]].shape[0]:
            return None
        return {"weight": twos[0], "bias": ones[0]}

    def unfit(why):
        return CheckFailed(f"{exercise}: the parameters of {setting} do not fit the lab's TinyTransformer ({why}). "
                           "Hint: keep the blocks in self.blocks (an nn.ModuleList), each block's attention in "
                           "self.attention, and build everything from nn.Embedding, nn.LayerNorm and nn.Linear "
                           "(section 7).",
                           mistake=Mistake.named(exercise, "", "its parameters do not fit the lab's TinyTransformer"))

    if not blocks:
        raise unfit("no parameters under self.blocks")
    structure = {"blocks": []}
    for index in sorted(blocks):
        attention, norms, feed_forward = [], [], []
        for name, group in blocks[index].items():
            if name == "attention" or name.startswith("attention."):
                attention.append(linear(group))
            elif norm(group) is not None:
                norms.append(norm(group))
            else:
                feed_forward.append(linear(group))
        if None in attention or None in feed_forward or len(norms) != 2 or len(feed_forward) != 2:
            raise unfit(f"block {index} should hold two LayerNorms, the attention's linear layers and two linear "
                        "layers for the feed-forward part")
        shapes = sorted(tuple(state[g["weight"]].shape) for g in attention)
        if shapes not in ([(d_model, d_model)] * 4, [(d_model, d_model), (3 * d_model, d_model)]):
            raise unfit(f"the attention of block {index} has linear layers of shapes {shapes}")
        structure["blocks"].append({"attention": attention, "norms": norms, "feed_forward": feed_forward})
    embedding, head, final = [], [], []
    for prefix, group in outside.items():
        twos, ones = split(group)
        if twos and not ones and len(twos) == 1 and tuple(state[twos[0]].shape) == (vocab_size, d_model):
            embedding.append(twos[0])
        elif linear(group) is not None and tuple(state[linear(group)["weight"]].shape) == (vocab_size, d_model):
            head.append(linear(group))
        elif norm(group) is not None:
            final.append(norm(group))
        elif split(group) != ([], []):
            raise unfit(f"unexpected parameters {sorted(k for k in group.values() if k in parameters)}")
    if len(embedding) != 1 or len(head) != 1 or len(final) != 1:
        raise unfit("expected one token embedding, one final LayerNorm and one output layer outside the blocks")
    structure.update(embedding=embedding[0], head=head[0], final=final[0],
                     encoding=next((key for key in buffers if not key.startswith("blocks.")  # a block's mask buffer
                                    and state[key].is_floating_point() and state[key].dim() >= 2
                                    and state[key].shape[-1] == d_model), None))
    return structure


def _readings(structure, state, d_model, heads=None):
    """Every way to read the student's layers as the lab's roles: ``(attention roles order, norms
    order, feed-forward order, num_heads)``, the same in every block (one class makes them all)."""
    block = structure["blocks"][0]
    packed = len(block["attention"]) == 2
    attention_orders = list(itertools.permutations(range(3 if packed else 4)))
    shapes = [tuple(state[g["weight"]].shape) for g in block["feed_forward"]]
    if shapes[0] == shapes[1]:  # d_ff == d_model: the shapes cannot tell which layer comes first
        feed_forward_orders = [(0, 1), (1, 0)]
    else:
        feed_forward_orders = [(0, 1)] if shapes[0][1] == d_model else [(1, 0)]
    head_counts = [heads] if heads else [h for h in (4, 2, 1, 8, 3, 6, 16, 12, 5, 32) if d_model % h == 0]
    return [(a, n, f, h) for h in head_counts for a in attention_orders for n in ((0, 1), (1, 0))
            for f in feed_forward_orders]


def _pairs(group, values):
    torch = _torch()
    return (values[group["weight"]].to(torch.float64), values[group["bias"]].to(torch.float64))


def _attention_roles(groups, values, order, d_model):
    """(q, k, v, o) weight-bias pairs from the attention's groups read in ``order``."""
    if len(groups) == 4:
        pairs = [_pairs(g, values) for g in groups]
        return tuple(pairs[i] for i in order)
    square = next(g for g in groups if values[g["weight"]].shape[0] == d_model)
    packed = next(g for g in groups if g is not square)
    w, b = _pairs(packed, values)
    chunks = list(zip(w.chunk(3), b.chunk(3)))
    return tuple(chunks[i] for i in order) + (_pairs(square, values),)


def _transformer_forward(tokens, structure, values, reading, d_model, variant=None):
    """The lab's TinyTransformer (pre-LN blocks, causal attention, final LayerNorm) computed
    here in float64 with ``values`` read as ``reading``; or one typical wrong version (``variant``)."""
    torch = _torch()
    from torch.nn import functional as F

    attention_order, norms_order, feed_forward_order, heads = reading
    layer_norm = lambda x, g: F.layer_norm(x, (d_model,), *_pairs(g, values), eps=1e-5)  # noqa: E731
    x = values[structure["embedding"]].to(torch.float64)[tokens]
    if variant != "no embedding scale":
        x = x * math.sqrt(d_model)
    if structure["encoding"] is not None:
        table = values[structure["encoding"]].to(torch.float64).reshape(-1, d_model)
    else:
        from ..layers.attention import positional_encoding
        table = torch.as_tensor(positional_encoding(tokens.shape[1], d_model), dtype=torch.float64)
    x = x + table[: tokens.shape[1]]
    activation = {"no ReLU": lambda h: h, "GELU": F.gelu}.get(variant, F.relu)
    for block in structure["blocks"]:
        norm1, norm2 = (block["norms"][i] for i in norms_order)
        first, second = (block["feed_forward"][i] for i in feed_forward_order)
        roles = _attention_roles(block["attention"], values, attention_order, d_model)

        def attend(h, roles=roles):
            return _functional_attention(h, roles, heads)

        def feed(h, first=first, second=second):
            return F.linear(activation(F.linear(h, *_pairs(first, values))), *_pairs(second, values))

        if variant == "post-LN":
            x = layer_norm(x + attend(x), norm1)
            x = layer_norm(x + feed(x), norm2)
        elif variant == "no residual":
            x = feed(layer_norm(attend(layer_norm(x, norm1)), norm2))
        elif variant == "attention residual only":
            x = x + attend(layer_norm(x, norm1))
            x = feed(layer_norm(x, norm2))
        elif variant == "feed-forward residual only":
            x = attend(layer_norm(x, norm1))
            x = x + feed(layer_norm(x, norm2))
        elif variant == "normalized residual":
            x = layer_norm(x, norm1)
            x = x + attend(x)
            x = layer_norm(x, norm2)
            x = x + feed(x)
        else:
            x = x + attend(layer_norm(x, norm1))
            x = x + feed(layer_norm(x, norm2))
    if variant != "no final norm":
        x = layer_norm(x, structure["final"])
    return F.linear(x, *_pairs(structure["head"], values))


def _judge_values(state, parameters, structure, d_model, seed):
    """Random values for every parameter, the same for layers whose order the check cannot tell
    (the attention's projections, a block's two LayerNorms, all blocks): any reading of them
    then gives the same reference. Buffers keep the student's values."""
    torch = _torch()
    generator = _generator(seed)
    made = {}

    def draw(kind, shape, scale, offset=0.0):
        if (kind, shape) not in made:
            made[(kind, shape)] = offset + scale * torch.randn(shape, generator=generator)
        return made[(kind, shape)]

    values = {key: value.clone() for key, value in state.items() if key not in parameters}
    values[structure["embedding"]] = draw("embedding", tuple(state[structure["embedding"]].shape), 1.0)
    for name in ("head",):
        group = structure[name]
        values[group["weight"]] = draw("head", tuple(state[group["weight"]].shape), 1 / math.sqrt(d_model))
        values[group["bias"]] = draw("head bias", tuple(state[group["bias"]].shape), 0.3)

    def norm_values(group, kind):
        values[group["weight"]] = draw(kind, (d_model,), 0.3, 1.0)
        values[group["bias"]] = draw(kind + " bias", (d_model,), 0.3)

    norm_values(structure["final"], "final norm")
    for block in structure["blocks"]:
        for group in block["norms"]:
            norm_values(group, "norm")
        square_w, square_b = draw("projection", (d_model, d_model), 1 / math.sqrt(d_model)), draw("projection bias", (d_model,), 0.3)
        for group in block["attention"]:
            copies = state[group["weight"]].shape[0] // d_model
            values[group["weight"]] = torch.cat([square_w] * copies)
            values[group["bias"]] = torch.cat([square_b] * copies)
        shapes = [tuple(state[g["weight"]].shape) for g in block["feed_forward"]]
        for group, shape in zip(block["feed_forward"], shapes):
            kind = "same" if shapes[0] == shapes[1] else str(shape)
            values[group["weight"]] = draw("feed-forward " + kind, shape, 1 / math.sqrt(shape[1]))
            values[group["bias"]] = draw("feed-forward bias " + kind, (shape[0],), 0.3)
    return values


def check_causal_transformer(TinyTransformer, seed=0, batch=3, length=8, vocab_size=None, d_model=16,
                             num_heads=2, num_layers=2, d_ff=32, max_length=12):
    """``TinyTransformer(vocab_size, d_model, num_heads, num_layers, d_ff, max_length)``: tokens
    (N, T) int64 -> next-token scores (N, T, vocab_size). Checked: the parameter count (see
    ``transformer_parameters``), the shape, no leak from later tokens, the use of earlier ones,
    and of their order (the positional encoding); then, loaded with the judge's weights, the
    scores against a functional reference of the lab's model: the embedding scaled by
    sqrt(d_model), pre-LN blocks with both residual connections, the final LayerNorm.
    ``vocab_size`` defaults to the digit tasks' (``course.torchlab.sequences.VOCABULARY_SIZE``)."""
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
                          "permutation-invariant. Hint: add the positional encoding to the token embeddings "
                          "(section 6).",
                          mistake=Mistake.named(exercise, "", "the positional encoding is not added"))
    # The computation itself: the judge's weights in the student's model, against the reference.
    state = probe_student(probes.state, exercise, model)
    if not isinstance(state, dict):
        raise CheckFailed(f"{exercise}: {setting} is not an nn.Module; subclass torch.nn.Module.")
    structure = _structure(exercise, state, set(shapes), vocab_size, d_model, setting)
    values = _judge_values(state, set(shapes), structure, d_model, seed + 1)
    probe_student(probes.load_state, exercise, model, values)
    got = forward(tokens)
    reading = _readings(structure, state, d_model, num_heads)[0]  # any reading: the values make them all equal
    with torch.no_grad():
        expected_scores = _transformer_forward(tokens, structure, values, reading, d_model)
        if _error(got, expected_scores) < FLOAT32_THRESHOLD:
            return out
        mistakes = [(_transformer_forward(tokens, structure, values, reading, d_model, variant).numpy(), meaning)
                    for variant, meaning in _TRANSFORMER_MISTAKES.items()]
    compare(exercise, f"the scores of {setting} (loaded with the check's weights)", got.numpy(),
            expected_scores.numpy(), FLOAT32_THRESHOLD, mistakes=mistakes,
            hint="the embedding times sqrt(d_model) plus the positional encoding, then pre-LN blocks, each adding "
                 "attention(LN(x)) and then FFN(LN(x)) to x, then the final LayerNorm and the output layer "
                 "(section 7).")
    return out


def check_trained_transformer(model, task="reverse", length=6, count=500, minimum=0.99, seed=0, num_heads=None):
    """A trained causal model, in eval mode, solves the digit ``task`` (see
    ``course.torchlab.sequences``). Its weights are read out and loaded into the judge's own copy
    of the lab's TinyTransformer, which writes the answers to ``count`` new prompts of ``length``
    digits, drawn here (greedy decoding): at least ``minimum`` of them must be right in every digit.
    The model itself sees none of these prompts; ``num_heads`` (default: found from the model's
    own outputs) is the number of attention heads."""
    torch = _torch()
    exercise = "trained_transformer"
    training = getattr(model, "training", None)
    if not isinstance(training, bool):
        raise CheckFailed(f"{exercise}: expected a trained torch.nn.Module, got {type(model).__name__}.")
    if training:
        raise CheckFailed(f"{exercise}: the model is still in training mode; the exercise asks you to put it in eval "
                          "mode after training (model.eval()), the habit that matters for every model with dropout "
                          "or BatchNorm.",
                          mistake=Mistake.named(exercise, "", "the model is still in training mode"))
    sequences = _sequences()
    vocab_size = sequences.VOCABULARY_SIZE
    shapes = probe_student(probes.parameter_shapes, exercise, model)
    state = probe_student(probes.state, exercise, model)
    if not isinstance(state, dict) or not isinstance(shapes, dict):
        raise CheckFailed(f"{exercise}: expected a trained torch.nn.Module, got {type(model).__name__}.")
    embedding = [key for key, (shape, _) in shapes.items() if len(shape) == 2 and shape[0] == vocab_size]
    d_model = shapes[embedding[0]][0][1] if embedding else 0
    structure = _structure(exercise, state, set(shapes), vocab_size, d_model, "the model")
    generator = _generator(seed + 7)
    probe = torch.randint(0, vocab_size, (16, 2 * length), generator=generator)

    def student_forward(tokens):
        return _tensor(probe_student(probes.forward, exercise, model, tokens), exercise,
                       f"the model on tokens of shape {tuple(tokens.shape)}", (len(tokens), tokens.shape[1], vocab_size))

    def replace(inputs, positions):
        changed = inputs.clone()
        positions = list(positions)
        shift = torch.randint(1, vocab_size, (len(inputs), len(positions)), generator=generator)
        changed[:, positions] = (inputs[:, positions] + shift) % vocab_size
        return changed

    scores = student_forward(probe)
    for t in (length - 1, length):
        later = student_forward(replace(probe, range(t + 1, probe.shape[1])))
        if _error(later[:, :t + 1], scores[:, :t + 1]) > FLOAT32_THRESHOLD:
            raise CheckFailed(
                f"{exercise}: the trained model's scores at position {t} change when only later tokens change: it "
                "was trained without a working causal mask, so it learned to read the very token it should predict, "
                "and writing an answer one digit at a time (with nothing after it to read) fails however long it "
                f"trains. Hint: {MASK_IDEA}; then train again.",
                mistake=Mistake.named(exercise, "", "trained without a causal mask"))
    with torch.no_grad():
        reading = next((r for r in _readings(structure, state, d_model, num_heads)
                        if _error(scores, _transformer_forward(probe, structure, state, r, d_model)) < 1e-3), None)
    if reading is None:
        raise CheckFailed(
            f"{exercise}: the check loads the model's weights into its own copy of the lab's TinyTransformer "
            "(section 7), and that copy computes other scores than the model itself: its forward pass is not the "
            "lab's architecture, so its answers cannot be judged. Hint: make exercise 7 pass, then train again.",
            mistake=Mistake.named(exercise, "", "its forward pass is not the lab's TinyTransformer"))
    prompts, answers = sequences.digit_task(task, count, length, seed=mixed_seed(10_000 + seed))

    def judge_forward(tokens):
        return _transformer_forward(tokens, structure, state, reading, d_model)

    with torch.no_grad():
        written = sequences.greedy_answers(judge_forward, prompts, length)
    accuracy = sequences.exact_match(written, answers)
    if accuracy >= minimum:
        return accuracy
    digits = float((written == answers).double().mean())
    raise CheckFailed(f"{exercise}: {100 * accuracy:.1f}% of {count} new prompts get an exactly right answer ({task}, "
                      f"{length} digits; {100 * digits:.1f}% of the digits are right); it should be at least "
                      f"{100 * minimum:.0f}%. Hint: train longer or with a warm-up and a larger learning rate, and "
                      "watch the loss.",
                      mistake=Mistake.named(exercise, "", "the model is not trained well enough"))
