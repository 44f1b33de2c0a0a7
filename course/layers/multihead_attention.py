"""Multi-head attention with the projections of ``torch.nn.MultiheadAttention(batch_first=True)``.

    Q = query @ Wq + bq,   K = key @ Wk + bk,   V = value @ Wv + bv          (N, L or S, E)
    split E into num_heads heads of width E / num_heads:                   (N, heads, L, E/heads)
    head_i = softmax(Q_i K_i^T / sqrt(E / heads)) V_i                      (scaled dot-product)
    out = concat(head_1, ..., head_heads) @ Wo + bo                        (N, L, E)

The weights live in a dict ``params`` with keys ``Wq, Wk, Wv, bq, bk, bv, Wo, bo`` in the
row-vector layout of this course (``Wq`` is (Eq, E), torch's ``in_proj_weight[:E].T``);
``multihead_weights_from_torch`` fills it from a torch module.

Masks follow ``torch.nn.MultiheadAttention``, whose boolean masks mean **True = blocked**, the
opposite of ``scaled_dot_product_attention``'s ``mask`` (True = may attend):
``key_padding_mask`` (N, S) marks padded keys; ``attn_mask`` is (L, S) or (N * heads, L, S).
A query that may attend to no key gets a zero attention output (so ``out = bo`` there), where
torch returns NaN.
"""
import numpy as np

from .attention import scaled_dot_product_attention, scaled_dot_product_attention_backward
from .validation import as_array, integer_argument

PARAMETER_NAMES = ("Wq", "Wk", "Wv", "bq", "bk", "bv", "Wo", "bo")


def _check_params(params, query, key, value, num_heads, layer):
    if not isinstance(params, dict):
        raise ValueError(f"{layer}: params must be a dict with the keys {', '.join(PARAMETER_NAMES)}, "
                         f"got {type(params).__name__}.")
    missing = [name for name in PARAMETER_NAMES if name not in params]
    if missing:
        raise ValueError(f"{layer}: params lacks {', '.join(missing)}; it needs {', '.join(PARAMETER_NAMES)}.")
    arrays = {name: as_array(params[name], name, layer, ndim=2 if name[0] == "W" else 1) for name in PARAMETER_NAMES}
    embed = arrays["Wq"].shape[1]
    num_heads = integer_argument(num_heads, "num_heads", layer, minimum=1, integral_floats=True)
    if embed % num_heads:
        raise ValueError(
            f"{layer}: num_heads must be a positive integer dividing the embedding size {embed}, got {num_heads}."
        )
    for name, inputs in (("Wq", query), ("Wk", key), ("Wv", value)):
        if arrays[name].shape != (inputs.shape[-1], embed):
            raise ValueError(f"{layer}: {name} must have shape ({inputs.shape[-1]}, {embed}), got {arrays[name].shape}.")
    for name in ("bq", "bk", "bv", "bo"):
        if arrays[name].shape != (embed,):
            raise ValueError(f"{layer}: {name} must have shape ({embed},), got {arrays[name].shape}.")
    if arrays["Wo"].shape != (embed, embed):
        raise ValueError(f"{layer}: Wo must have shape ({embed}, {embed}), got {arrays['Wo'].shape}.")
    return arrays


def _allowed(key_padding_mask, attn_mask, n, heads, target, source, layer):
    """Combine torch's two "True = blocked" masks into one "True = may attend" mask."""
    allowed = np.ones((1, 1, 1, 1), dtype=bool)
    if key_padding_mask is not None:
        key_padding_mask = np.asarray(key_padding_mask)
        if key_padding_mask.dtype != np.bool_ or key_padding_mask.shape != (n, source):
            raise ValueError(f"{layer}: key_padding_mask must be boolean of shape ({n}, {source}) (True = padding), "
                             f"got {key_padding_mask.dtype} of shape {key_padding_mask.shape}.")
        allowed = allowed & ~key_padding_mask[:, None, None, :]
    if attn_mask is not None:
        attn_mask = np.asarray(attn_mask)
        if attn_mask.dtype != np.bool_ or attn_mask.shape not in ((target, source), (n * heads, target, source)):
            raise ValueError(f"{layer}: attn_mask must be boolean of shape ({target}, {source}) or "
                             f"({n * heads}, {target}, {source}) (True = blocked), "
                             f"got {attn_mask.dtype} of shape {attn_mask.shape}.")
        blocked = attn_mask.reshape(n, heads, target, source) if attn_mask.ndim == 3 else attn_mask
        allowed = allowed & ~blocked
    return None if key_padding_mask is None and attn_mask is None else allowed


def _split_heads(x, heads):
    n, length, embed = x.shape
    return x.reshape(n, length, heads, embed // heads).transpose(0, 2, 1, 3)


def _merge_heads(x):
    n, heads, length, width = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, length, heads * width)


def multihead_attention_forward(query, key, value, params, num_heads, key_padding_mask=None, attn_mask=None):
    """``query`` (N, L, Eq), ``key`` (N, S, Ek), ``value`` (N, S, Ev) -> ``(out, cache)`` with
    ``out`` (N, L, E). For self-attention pass the same array three times.

    torch twin: ``torch.nn.MultiheadAttention(E, num_heads, batch_first=True)(query, key, value,
    key_padding_mask=..., attn_mask=...)[0]``.
    """
    layer = "multihead_attention_forward"
    query = as_array(query, "query", layer, ndim=3)
    key = as_array(key, "key", layer, ndim=3)
    value = as_array(value, "value", layer, ndim=3)
    if query.shape[0] != key.shape[0] or key.shape[:2] != value.shape[:2]:
        raise ValueError(f"{layer}: query (N, L, Eq), key (N, S, Ek) and value (N, S, Ev) must agree on N and S, "
                         f"got shapes {query.shape}, {key.shape} and {value.shape}.")
    p = _check_params(params, query, key, value, num_heads, layer)
    heads = int(num_heads)
    allowed = _allowed(key_padding_mask, attn_mask, query.shape[0], heads, query.shape[1], key.shape[1], layer)
    inputs = ((query, "Wq", "bq"), (key, "Wk", "bk"), (value, "Wv", "bv"))
    projected = [_split_heads(x @ p[w] + p[b], heads) for x, w, b in inputs]
    attended, attention_cache = scaled_dot_product_attention(*projected, mask=allowed)
    concat = _merge_heads(attended)
    out = concat @ p["Wo"] + p["bo"]
    return out, (query, key, value, p, heads, attention_cache, concat)


def multihead_attention_backward(dout, cache):
    """Gradients ``(dquery, dkey, dvalue, dparams)``; ``dparams`` has the keys of ``params``.
    For self-attention the gradient of the shared input is ``dquery + dkey + dvalue``."""
    query, key, value, p, heads, attention_cache, concat = cache
    dout = as_array(dout, "dout", "multihead_attention_backward", ndim=3)
    if dout.shape != concat.shape:
        raise ValueError(
            f"multihead_attention_backward: dout has shape {dout.shape} but the output had shape {concat.shape}."
        )
    embed = concat.shape[-1]
    grads = {"Wo": concat.reshape(-1, embed).T @ dout.reshape(-1, embed), "bo": dout.sum(axis=(0, 1))}
    dattended = _split_heads(dout @ p["Wo"].T, heads)
    dprojected = scaled_dot_product_attention_backward(dattended, attention_cache)
    dinputs = []
    for x, w, b, dx_heads in zip((query, key, value), ("Wq", "Wk", "Wv"), ("bq", "bk", "bv"), dprojected):
        dx_projected = _merge_heads(dx_heads)
        grads[w] = x.reshape(-1, x.shape[-1]).T @ dx_projected.reshape(-1, embed)
        grads[b] = dx_projected.sum(axis=(0, 1))
        dinputs.append(dx_projected @ p[w].T)
    return dinputs[0], dinputs[1], dinputs[2], {name: grads[name] for name in PARAMETER_NAMES}


def multihead_weights_from_torch(module):
    """``params`` for ``multihead_attention_forward`` from a ``torch.nn.MultiheadAttention``:
    torch's ``in_proj_weight`` (3E, E) is cut into three (E, E) blocks, each transposed; the
    biases are zeros where the module has none."""
    if getattr(module, "bias_k", None) is not None or getattr(module, "add_zero_attn", False):
        raise ValueError("multihead_weights_from_torch: add_bias_kv and add_zero_attn have no equivalent here.")
    numpy = lambda tensor: tensor.detach().cpu().numpy().astype(np.float64)  # noqa: E731
    embed = module.embed_dim
    if module.in_proj_weight is not None:
        wq, wk, wv = np.split(numpy(module.in_proj_weight), 3, axis=0)
    else:
        wq, wk, wv = (numpy(module.q_proj_weight), numpy(module.k_proj_weight), numpy(module.v_proj_weight))
    biases = np.split(numpy(module.in_proj_bias), 3) if module.in_proj_bias is not None else [np.zeros(embed)] * 3
    out_bias = numpy(module.out_proj.bias) if module.out_proj.bias is not None else np.zeros(embed)
    return {
        "Wq": wq.T.copy(), "Wk": wk.T.copy(), "Wv": wv.T.copy(),
        "bq": biases[0], "bk": biases[1], "bv": biases[2],
        "Wo": numpy(module.out_proj.weight).T.copy(), "bo": out_bias,
    }
