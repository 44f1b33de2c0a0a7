"""Scaled dot-product, multi-head and additive attention against torch, with masks."""
import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course.layers import (
    additive_attention_backward,
    additive_attention_forward,
    multihead_attention_backward,
    multihead_attention_forward,
    multihead_weights_from_torch,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from tests.properties.strategies import BATCH, SIDE, arrays, assert_matches, shapes
from tests.torch_oracle import tensor, torch_grads


def booleans(shape):
    return hnp.arrays(np.bool_, shape)


@given(data=st.data())
def test_scaled_dot_product_attention_matches_torch(data):
    """Masks True = may attend, broadcast from (Lq, Lk) or given in full; a query that may attend
    to nothing (or that has no keys at all, Lk = 0) gets a zero output in both."""
    leading = data.draw(shapes(min_dims=0, max_dims=2, min_side=0, max_side=2), label="leading axes")
    lq, lk = data.draw(st.integers(0, 4), label="Lq"), data.draw(st.integers(0, 4), label="Lk")
    width, value_width = data.draw(SIDE, label="d"), data.draw(SIDE, label="dv")
    q, k = data.draw(arrays((*leading, lq, width)), label="q"), data.draw(arrays((*leading, lk, width)), label="k")
    v = data.draw(arrays((*leading, lk, value_width)), label="v")
    mask_shape = data.draw(st.sampled_from([None, (lq, lk), (*leading, lq, lk)]), label="mask shape")
    mask = None if mask_shape is None else data.draw(booleans(mask_shape), label="mask")

    out, cache = scaled_dot_product_attention(q, k, v, mask)
    tq, tk, tv = tensor(q), tensor(k), tensor(v)
    tout = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=None if mask is None else torch.from_numpy(mask))
    assert_matches(out, tout, what="out")
    dout = data.draw(arrays(out.shape), label="dout")
    for ours, theirs, name in zip(scaled_dot_product_attention_backward(dout, cache), torch_grads(tout, dout, tq, tk, tv),
                                  ("dq", "dk", "dv")):
        assert_matches(ours, theirs, what=name)


@st.composite
def multihead_problem(draw):
    heads, head_width = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    embed = heads * head_width
    n, target, source = draw(BATCH), draw(SIDE), draw(SIDE)
    key_width, value_width = draw(st.sampled_from([embed, 1, 3])), draw(st.sampled_from([embed, 2]))
    query, key = draw(arrays((n, target, embed))), draw(arrays((n, source, key_width)))
    value = draw(arrays((n, source, value_width)))
    params = {"Wq": draw(arrays((embed, embed), 1.0)), "Wk": draw(arrays((key_width, embed), 1.0)),
              "Wv": draw(arrays((value_width, embed), 1.0)), "Wo": draw(arrays((embed, embed), 1.0))}
    params.update({name: draw(arrays((embed,), 1.0)) for name in ("bq", "bk", "bv", "bo")})
    # torch's masks: True = blocked. Key 0 stays open to every query: torch gives NaN for a query
    # that may attend to nothing (the reference gives zero there, a documented difference).
    key_padding_mask = draw(st.one_of(st.none(), booleans((n, source))))
    attn_mask = draw(st.one_of(st.none(), booleans((target, source)), booleans((n * heads, target, source))))
    for mask in (key_padding_mask, attn_mask):
        if mask is not None:
            mask[..., 0] = False
    return query, key, value, params, heads, key_padding_mask, attn_mask


def torch_multihead(params, heads, key_width, value_width):
    """A ``torch.nn.MultiheadAttention`` holding ``params`` (torch stores each weight transposed)."""
    embed = params["Wq"].shape[1]
    module = torch.nn.MultiheadAttention(embed, heads, batch_first=True, kdim=key_width, vdim=value_width).double()
    weights = {"q": params["Wq"].T, "k": params["Wk"].T, "v": params["Wv"].T}
    with torch.no_grad():
        if module.in_proj_weight is not None:
            module.in_proj_weight.copy_(torch.from_numpy(np.concatenate(list(weights.values()))))
        else:
            for role, weight in weights.items():
                getattr(module, f"{role}_proj_weight").copy_(torch.from_numpy(weight.copy()))
        module.in_proj_bias.copy_(torch.from_numpy(np.concatenate([params["bq"], params["bk"], params["bv"]])))
        module.out_proj.weight.copy_(torch.from_numpy(params["Wo"].T.copy()))
        module.out_proj.bias.copy_(torch.from_numpy(params["bo"]))
    return module


def torch_parameter_grads(module, grads):
    """torch's parameter gradients in the layout of ``params``."""
    named = dict(zip([name for name, _ in module.named_parameters()], grads))
    if "in_proj_weight" in named:
        projections = np.split(named["in_proj_weight"], 3)
    else:
        projections = [named[f"{role}_proj_weight"] for role in "qkv"]
    biases = np.split(named["in_proj_bias"], 3)
    return {"Wq": projections[0].T, "Wk": projections[1].T, "Wv": projections[2].T,
            "bq": biases[0], "bk": biases[1], "bv": biases[2],
            "Wo": named["out_proj.weight"].T, "bo": named["out_proj.bias"]}


@given(problem=multihead_problem(), data=st.data())
def test_multihead_attention_matches_torch_multiheadattention(problem, data):
    query, key, value, params, heads, key_padding_mask, attn_mask = problem
    module = torch_multihead(params, heads, key.shape[-1], value.shape[-1])
    converted = multihead_weights_from_torch(module)
    for name, array in params.items():
        assert_matches(converted[name], array, what=f"multihead_weights_from_torch: {name}")

    out, cache = multihead_attention_forward(query, key, value, params, heads, key_padding_mask, attn_mask)
    tq, tk, tv = tensor(query), tensor(key), tensor(value)
    as_mask = lambda mask: None if mask is None else torch.from_numpy(mask)  # noqa: E731
    tout = module(tq, tk, tv, key_padding_mask=as_mask(key_padding_mask), attn_mask=as_mask(attn_mask))[0]
    assert_matches(out, tout, what="out")
    dout = data.draw(arrays(out.shape), label="dout")
    dquery, dkey, dvalue, dparams = multihead_attention_backward(dout, cache)
    grads = torch_grads(tout, dout, tq, tk, tv, *module.parameters())
    for ours, theirs, name in zip((dquery, dkey, dvalue), grads[:3], ("dquery", "dkey", "dvalue")):
        assert_matches(ours, theirs, what=name)
    for name, theirs in torch_parameter_grads(module, grads[3:]).items():
        assert_matches(dparams[name], theirs, what=f"d{name}")


@given(data=st.data())
def test_additive_attention_matches_the_same_formula_in_torch(data):
    n, lq, lk = data.draw(BATCH, label="N"), data.draw(SIDE, label="Lq"), data.draw(SIDE, label="Lk")
    dq, dk, dv, hidden = (data.draw(SIDE, label=name) for name in ("Dq", "Dk", "Dv", "A"))
    queries, keys = data.draw(arrays((n, lq, dq)), label="queries"), data.draw(arrays((n, lk, dk)), label="keys")
    values = data.draw(arrays((n, lk, dv)), label="values")
    Wq, Wk = data.draw(arrays((dq, hidden)), label="Wq"), data.draw(arrays((dk, hidden)), label="Wk")
    w_v = data.draw(arrays((hidden,)), label="w_v")
    mask = data.draw(st.one_of(st.none(), booleans((n, lq, lk)), booleans((lq, lk)), booleans((n, 1, lk))), label="mask")
    if mask is not None:
        mask[..., 0] = True  # torch's softmax of a row of -inf is NaN; the reference's is zero

    context, cache = additive_attention_forward(queries, keys, values, Wq, Wk, w_v, mask)
    inputs = [tensor(a) for a in (queries, keys, values, Wq, Wk, w_v)]
    tq, tk, tv, tWq, tWk, tw_v = inputs
    scores = torch.tanh((tq @ tWq)[:, :, None, :] + (tk @ tWk)[:, None, :, :]) @ tw_v
    if mask is not None:
        scores = scores.masked_fill(~torch.from_numpy(mask), float("-inf"))
    tcontext = torch.softmax(scores, dim=-1) @ tv
    assert_matches(context, tcontext, what="context")
    dcontext = data.draw(arrays(context.shape), label="dcontext")
    names = ("dqueries", "dkeys", "dvalues", "dWq", "dWk", "dw_v")
    for ours, theirs, name in zip(additive_attention_backward(dcontext, cache), torch_grads(tcontext, dcontext, *inputs), names):
        assert_matches(ours, theirs, what=name)
