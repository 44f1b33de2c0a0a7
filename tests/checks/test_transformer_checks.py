"""The lab-09 PyTorch checks: causal self-attention, the small transformer and its training.

The right modules below follow the lab's solution; each wrong one has one deliberate mistake."""
import math

import pytest
import torch
from torch import nn

from course.checks.transformer import (_readings, _structure, _transformer_forward, check_causal_self_attention,
                                       check_causal_transformer, check_trained_transformer, transformer_parameters)
from course.layers.attention import positional_encoding
from course.checks.judging import mixed_seed
from course.torchlab.sequences import SEPARATOR, VOCABULARY_SIZE, digit_task, exact_match, greedy_answers
from tests.checks.failing import fails_with


class Attention(nn.Module):
    def __init__(self, d_model, num_heads, mistake=None, packed=False):
        super().__init__()
        self.num_heads, self.mistake, self.packed = num_heads, mistake, packed
        if packed:
            self.qkv = nn.Linear(d_model, 3 * d_model)
        else:
            self.q, self.k, self.v = (nn.Linear(d_model, d_model, bias=mistake != "no bias") for _ in range(3))
        self.o = nn.Linear(d_model, d_model, bias=mistake != "no bias")

    def forward(self, x):
        n, t, e = x.shape
        heads = 1 if self.mistake == "one head" else self.num_heads
        split = lambda y: y.view(n, t, heads, e // heads).transpose(1, 2)  # noqa: E731
        q, k, v = self.qkv(x).chunk(3, dim=-1) if self.packed else (self.k(x), self.q(x), self.v(x))
        q, k, v = split(q), split(k), split(v)
        divisor = q.shape[-1] if self.mistake == "scale by d" else math.sqrt(q.shape[-1])
        scores = q @ k.transpose(-2, -1) / divisor
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        if self.mistake == "transposed mask":
            mask = mask.T
        if self.mistake == "inverted mask":
            mask = ~mask
        if self.mistake == "diagonal mask":
            mask = torch.eye(t, dtype=torch.bool)
        weights = scores.softmax(-1) if self.mistake == "no mask" else scores.masked_fill(~mask, float("-inf")).softmax(-1)
        return self.o((weights @ v).transpose(1, 2).reshape(n, t, e))


def attention_class(mistake=None, packed=False):
    return lambda d_model, num_heads: Attention(d_model, num_heads, mistake, packed)


@pytest.mark.parametrize("seed", range(3))
def test_attention_check_passes_right_layers_however_the_projections_are_named(seed):
    check_causal_self_attention(attention_class(), seed=seed)   # key and query swapped in the code: still right
    check_causal_self_attention(attention_class(packed=True), seed=seed, d_model=12, num_heads=3, length=5)


@pytest.mark.parametrize("mistake, message", [
    ("no bias", r"has 256 parameters, expected 288 .*no biases"),
    ("no mask", r"future leaks into the past"),
    ("transposed mask", r"future leaks into the past"),
    ("inverted mask", r"NaN or inf.*inverted"),
    ("diagonal mask", r"ignores the past"),
    ("one head", r"one head over the whole width"),
    ("scale by d", r"divided by head_size instead of sqrt"),
])
def test_attention_check_names_the_mistake(mistake, message):
    fails_with(message, check_causal_self_attention, attention_class(mistake))


class Block(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, mistake, packed=False):
        super().__init__()
        self.mistake = mistake
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attention = Attention(d_model, num_heads, "no mask" if mistake == "no mask" else None, packed)
        activation = {"no ReLU": nn.Identity(), "GELU": nn.GELU()}.get(mistake, nn.ReLU())
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), activation, nn.Linear(d_ff, d_model))

    def forward(self, x):
        if self.mistake == "post-LN":
            x = self.norm1(x + self.attention(x))
            return self.norm2(x + self.ff(x))
        if self.mistake == "no residual":
            return self.ff(self.norm2(self.attention(self.norm1(x))))
        if self.mistake == "attention residual only":
            x = x + self.attention(self.norm1(x))
            return self.ff(self.norm2(x))
        if self.mistake == "feed-forward residual only":
            x = self.attention(self.norm1(x))
            return x + self.ff(self.norm2(x))
        if self.mistake == "normalized residual":
            x = self.norm1(x)
            x = x + self.attention(x)
            x = self.norm2(x)
            return x + self.ff(x)
        x = x + self.attention(self.norm1(x))
        return x + self.ff(self.norm2(x))


class Transformer(nn.Module):
    def __init__(self, vocab_size, d_model, num_heads, num_layers, d_ff, max_length, mistake=None, packed=False):
        super().__init__()
        self.mistake, self.d_model = mistake, d_model
        self.embedding = nn.Embedding(vocab_size, d_model)
        table = torch.as_tensor(positional_encoding(max_length, d_model), dtype=torch.float32)
        if mistake == "learned positions":
            self.encoding = nn.Parameter(table)
        else:
            self.register_buffer("encoding", table)
        self.blocks = nn.ModuleList(Block(d_model, num_heads, d_ff, mistake, packed) for _ in range(num_layers))
        self.norm = nn.Identity() if mistake == "no final norm" else nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens):
        x = self.embedding(tokens)
        if self.mistake != "no embedding scale":
            x = x * math.sqrt(self.d_model)
        if self.mistake != "no positions":
            x = x + self.encoding[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(x if self.mistake == "unused final norm" else self.norm(x))


def transformer_class(mistake=None):
    return lambda *args: Transformer(*args, mistake=mistake)


@pytest.mark.parametrize("seed", range(3))
def test_transformer_check_passes_a_right_model(seed):
    check_causal_transformer(transformer_class(), seed=seed)
    check_causal_transformer(transformer_class(), seed=seed, length=10, vocab_size=7, d_model=12, num_heads=3,
                             num_layers=3, d_ff=24, max_length=10)


@pytest.mark.parametrize("mistake, message", [
    ("no mask", r"future leaks into the past"),
    ("learned positions", r"positional encoding is a trained parameter"),
    ("no final norm", r"one LayerNorm is missing"),
    ("no positions", r"cannot tell the order.*positional encoding"),
    ("no residual", r"scores of .* is wrong .*no residual connections"),
    ("post-LN", r"scores of .* is wrong .*post-LN block"),
    ("unused final norm", r"scores of .* is wrong .*final LayerNorm before the output layer is not applied"),
    ("no embedding scale", r"scores of .* is wrong .*not scaled by sqrt\(d_model\)"),
    ("attention residual only", r"scores of .* is wrong .*only the attention sublayer has a residual"),
    ("feed-forward residual only", r"scores of .* is wrong .*only the feed-forward sublayer has a residual"),
    ("normalized residual", r"scores of .* is wrong .*residual path carries the normalized x"),
    ("no ReLU", r"scores of .* is wrong .*no ReLU"),
    ("GELU", r"scores of .* is wrong .*uses GELU"),
])
def test_transformer_check_names_the_mistake(mistake, message):
    fails_with(message, check_causal_transformer, transformer_class(mistake))


def test_parameter_count_of_the_lab_model():
    model = Transformer(VOCABULARY_SIZE, 64, 4, 2, 128, 12)
    assert sum(p.numel() for p in model.parameters()) == transformer_parameters(VOCABULARY_SIZE, 64, 2, 128)


class Reverser(nn.Module):
    """Scores that put all weight on the right next digit of the reversal task (no training)."""

    def __init__(self, wrong_last_digit=False):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(10.0))
        self.wrong_last_digit = wrong_last_digit

    def forward(self, tokens):
        n, t = tokens.shape
        length = int((tokens[0] == SEPARATOR).nonzero()[0])
        scores = torch.zeros(n, t, VOCABULARY_SIZE)
        for position in range(length, t):
            digit = tokens[:, 2 * length - position - 1] if position - length < length else tokens[:, 0]
            if self.wrong_last_digit and position == 2 * length - 1:
                digit = (digit + 1) % 10
            scores[torch.arange(n), position, digit] = self.scale
        return scores


def test_a_hand_coded_reverser_does_not_pass_the_trained_check():
    message = fails_with(r"do not fit the lab's TinyTransformer", check_trained_transformer, Reverser().eval())
    assert "self.blocks" in message
    fails_with(r"still in training mode.*eval", check_trained_transformer, Reverser())
    fails_with(r"expected a trained torch.nn.Module", check_trained_transformer, "model")


class Overridden(Transformer):
    """The lab's parameters, untrained, with a forward pass that writes the reversal by hand."""

    def forward(self, tokens):
        return Reverser()(tokens) + 0 * super().forward(tokens)


def test_a_transformer_whose_forward_reverses_by_hand_does_not_pass():
    torch.manual_seed(0)
    model = Overridden(VOCABULARY_SIZE, 16, 2, 2, 32, 12).eval()
    fails_with(r"its own copy of the lab's TinyTransformer.*computes other scores", check_trained_transformer, model)


class Leaky(Transformer):
    def __init__(self, *args):
        super().__init__(*args, mistake="no mask")


@pytest.mark.parametrize("cls, message", [
    (Leaky, r"trained without a working causal mask"),
    (Transformer, r"% of 500 new prompts get an exactly right answer.*train longer"),
])
def test_the_trained_check_names_why_a_model_fails(cls, message):
    torch.manual_seed(0)
    fails_with(message, check_trained_transformer, cls(VOCABULARY_SIZE, 16, 2, 2, 32, 12).eval())


@pytest.mark.parametrize("heads, packed", [(2, False), (4, True), (1, False)])
def test_the_judges_copy_writes_the_answers_the_model_itself_writes(heads, packed):
    """Untrained, so the answers are mostly wrong: the accuracy the check reports (with its own
    copy of the architecture) is the model's own accuracy on the same prompts."""
    torch.manual_seed(heads)
    model = Transformer(VOCABULARY_SIZE, 16, heads, 2, 32, 12, packed=packed).eval()
    accuracy = check_trained_transformer(model, minimum=0.0, seed=3)
    prompts, answers = digit_task("reverse", 500, 6, seed=mixed_seed(10_003))
    assert accuracy == exact_match(greedy_answers(model, prompts, 6), answers)
    state, parameters = model.state_dict(), {name for name, _ in model.named_parameters()}
    structure = _structure("test", state, parameters, VOCABULARY_SIZE, 16, "the model")
    readings = [r for r in _readings(structure, state, 16)
                if torch.allclose(_transformer_forward(prompts[:20], structure, state, r, 16).float(), model(prompts[:20]),
                                  atol=1e-5)]
    assert readings and all(reading[3] == heads for reading in readings)


def _train_briefly(model):
    """One short epoch with the kit's ``fit``, validation included, as the lab trains."""
    from course.torchlab import DeviceLoader, fit
    from course.torchlab.sequences import language_model_pairs, sequence_loss

    inputs, targets = language_model_pairs(*digit_task("reverse", 64, 6, seed=0))
    fit(model, DeviceLoader(inputs, targets, 32, seed=0, device="cpu"),
        DeviceLoader(inputs, targets, 64, shuffle=False, device="cpu"), epochs=1,
        optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3), loss_fn=sequence_loss, metrics=(), progress=False)
    return model


def test_a_student_who_trains_with_fit_and_forgets_eval_fails():
    torch.manual_seed(0)
    model = _train_briefly(Transformer(VOCABULARY_SIZE, 16, 2, 2, 32, 12))
    fails_with(r"still in training mode", check_trained_transformer, model, minimum=0.0)
    check_trained_transformer(model.eval(), minimum=0.0)  # the exercise's line is all that was missing
