import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers.multihead_attention import (
    multihead_attention_backward,
    multihead_attention_forward,
    multihead_weights_from_torch,
)
from tests.torch_oracle import assert_close, tensor


def compare_with_torch(rng, module, n, target, source, key_padding_mask=None, attn_mask=None, self_attention=False):
    embed, kdim, vdim = module.embed_dim, module.kdim, module.vdim
    query = rng.normal(size=(n, target, embed))
    key = query if self_attention else rng.normal(size=(n, source, kdim))
    value = query if self_attention else rng.normal(size=(n, source, vdim))
    dout = rng.normal(size=(n, target, embed))
    params = multihead_weights_from_torch(module)

    out, cache = multihead_attention_forward(query, key, value, params, module.num_heads, key_padding_mask, attn_mask)
    dquery, dkey, dvalue, dparams = multihead_attention_backward(dout, cache)

    tq, tk, tv = tensor(query), tensor(key), tensor(value)
    as_torch = lambda mask: None if mask is None else torch.from_numpy(mask)  # noqa: E731
    tout, _ = module(tq, tk, tv, key_padding_mask=as_torch(key_padding_mask), attn_mask=as_torch(attn_mask))
    assert_close(out, tout, what="out")

    if module.in_proj_weight is not None:
        projections = [module.in_proj_weight]
    else:
        projections = [module.q_proj_weight, module.k_proj_weight, module.v_proj_weight]
    inputs = [tq, tk, tv, module.in_proj_bias, module.out_proj.weight, module.out_proj.bias, *projections]
    gq, gk, gv, g_in_bias, g_out_weight, g_out_bias, *g_projections = torch.autograd.grad(
        tout, inputs, grad_outputs=tensor(dout, grad=False))
    if len(g_projections) == 1:
        g_projections = g_projections[0].split(embed)
    expected = dict(zip(("Wq", "Wk", "Wv"), (g.T for g in g_projections)))
    expected.update(zip(("bq", "bk", "bv"), g_in_bias.split(embed)))
    expected.update(Wo=g_out_weight.T, bo=g_out_bias)
    # softmax ignores a shift shared by all scores of a query, and bk shifts them all: dbk = 0
    assert np.allclose(dparams["bk"], 0.0, atol=1e-12)
    for name, value in expected.items():
        assert_close(dparams[name], value, what=f"d{name}")
    assert_close(dquery, gq, what="dquery")
    assert_close(dkey, gk, what="dkey")
    assert_close(dvalue, gv, what="dvalue")
    return out


@pytest.mark.parametrize("embed, heads", [(4, 1), (6, 2), (8, 4)])
def test_self_attention_matches_torch(rng, embed, heads):
    torch.manual_seed(embed)
    module = torch.nn.MultiheadAttention(embed, heads, batch_first=True, dtype=torch.float64)
    torch.nn.init.normal_(module.in_proj_bias)  # torch starts the biases at zero; make them count
    compare_with_torch(rng, module, n=2, target=4, source=4, self_attention=True)


def test_cross_attention_with_other_key_and_value_widths_matches_torch(rng):
    torch.manual_seed(1)
    module = torch.nn.MultiheadAttention(6, 3, batch_first=True, kdim=4, vdim=5, dtype=torch.float64)
    compare_with_torch(rng, module, n=3, target=2, source=5)


def test_masks_match_torch_where_true_means_blocked(rng):
    torch.manual_seed(2)
    module = torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=torch.float64)
    key_padding_mask = np.array([[False, False, False, True, True], [False, False, False, False, True]])
    compare_with_torch(rng, module, n=2, target=3, source=5, key_padding_mask=key_padding_mask)
    causal_blocked = ~np.tril(np.ones((4, 4), dtype=bool))
    compare_with_torch(rng, module, n=2, target=4, source=4, attn_mask=causal_blocked, self_attention=True)
    per_head = rng.random((2 * 2, 3, 5)) < 0.4
    per_head[..., 0] = False
    compare_with_torch(rng, module, n=2, target=3, source=5, key_padding_mask=key_padding_mask, attn_mask=per_head)


def test_a_query_that_sees_no_key_gets_the_output_bias_where_torch_gives_nan(rng):
    params = multihead_weights_from_torch(torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=torch.float64))
    params["bo"] = rng.normal(size=4)
    attn_mask = np.zeros((3, 3), dtype=bool)
    attn_mask[1] = True
    x = rng.normal(size=(1, 3, 4))
    out, cache = multihead_attention_forward(x, x, x, params, 2, attn_mask=attn_mask)
    assert np.allclose(out[0, 1], params["bo"])
    assert all(np.all(np.isfinite(g)) for g in multihead_attention_backward(np.ones_like(out), cache)[:3])


def test_multihead_attention_matches_numeric_gradient():
    rng = np.random.default_rng(1)  # fixed: numeric gradients are judged elementwise
    embed, heads = 4, 2
    names = ("Wq", "Wk", "Wv", "bq", "bk", "bv", "Wo", "bo")
    params = {name: rng.normal(size=(embed, embed) if name[0] == "W" else embed) for name in names}
    query, key, value = rng.normal(size=(2, 3, embed)), rng.normal(size=(2, 2, embed)), rng.normal(size=(2, 2, embed))
    padding = np.array([[False, True], [False, False]])
    out, cache = multihead_attention_forward(query, key, value, params, heads, key_padding_mask=padding)
    dout = rng.normal(size=out.shape)
    dquery, dkey, dvalue, dparams = multihead_attention_backward(dout, cache)
    inputs = {"query": query, "key": key, "value": value}
    for name, grad in zip(inputs, (dquery, dkey, dvalue)):
        def f(changed, name=name):
            arrays = dict(inputs, **{name: changed})
            return multihead_attention_forward(**arrays, params=params, num_heads=heads, key_padding_mask=padding)[0]
        assert rel_error(grad, numerical_gradient(f, inputs[name], dout)) < 1e-6
    for name in ("Wq", "bq", "Wk", "Wv", "bv", "Wo"):
        def f(changed, name=name):
            changed_params = dict(params, **{name: changed})
            return multihead_attention_forward(query, key, value, changed_params, heads, key_padding_mask=padding)[0]
        assert rel_error(dparams[name], numerical_gradient(f, params[name], dout)) < 1e-6


def test_multihead_attention_rejects_bad_input_in_one_sentence(rng):
    params = multihead_weights_from_torch(torch.nn.MultiheadAttention(6, 2, batch_first=True))
    x = rng.normal(size=(2, 3, 6))
    with pytest.raises(ValueError, match="num_heads must be a positive integer dividing the embedding size 6"):
        multihead_attention_forward(x, x, x, params, 4)
    with pytest.raises(ValueError, match="params lacks bo"):
        multihead_attention_forward(x, x, x, {k: v for k, v in params.items() if k != "bo"}, 2)
    with pytest.raises(ValueError, match=r"key_padding_mask must be boolean of shape \(2, 3\) \(True = padding\)"):
        multihead_attention_forward(x, x, x, params, 2, key_padding_mask=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"attn_mask must be boolean of shape \(3, 3\) or \(4, 3, 3\)"):
        multihead_attention_forward(x, x, x, params, 2, attn_mask=np.zeros((2, 3, 3), dtype=bool))
    with pytest.raises(ValueError, match="add_bias_kv and add_zero_attn"):
        multihead_weights_from_torch(torch.nn.MultiheadAttention(6, 2, add_bias_kv=True))


@pytest.mark.parametrize("num_heads, message", [
    ("2", r"num_heads must be a positive integer, got '2'\."),
    (None, r"num_heads must be a positive integer, got None\."),
    (0, r"num_heads must be a positive integer, got 0\."),
])
def test_num_heads_that_is_not_a_positive_integer_is_refused_in_one_sentence(rng, num_heads, message):
    params = multihead_weights_from_torch(torch.nn.MultiheadAttention(6, 2, batch_first=True))
    x = rng.normal(size=(2, 3, 6))
    with pytest.raises(ValueError, match=r"^multihead_attention_forward: " + message):
        multihead_attention_forward(x, x, x, params, num_heads)


def test_params_that_are_not_a_dict_are_refused_in_one_sentence(rng):
    x = rng.normal(size=(2, 3, 6))
    with pytest.raises(ValueError, match=r"params must be a dict with the keys Wq, Wk, Wv, bq, bk, bv, Wo, bo, got list"):
        multihead_attention_forward(x, x, x, [np.zeros((6, 6))], 2)
