"""Generated sequence tasks on digit strings, for sequence models (lab 09): nothing to download.

    prompts, answers = digit_task("reverse", count=2000, length=8, seed=0)
    inputs, targets = language_model_pairs(prompts, answers)   # for a causal (next-token) model
    loss = sequence_loss(model(inputs), targets)

A task maps a prompt of ``length`` digits to an answer of ``length`` digits: ``"reverse"``
(3 1 4 1 -> 1 4 1 3) or ``"sort"`` (3 1 4 1 -> 1 1 3 4). A causal model reads the sequence
``prompt, SEPARATOR, answer`` and learns to predict each next token; only the answer's tokens
count in the loss (the prompt is random, there is nothing to learn in it). ``greedy_answers``
then writes an answer token by token from the model's own predictions, as at test time, and
``exact_match`` counts the answers that are right in every digit.

torch equivalent of the loss: ``F.cross_entropy(logits.flatten(0, 1), targets.flatten(),
ignore_index=-100)``.
"""
import torch
import torch.nn.functional as F

DIGITS = 10
SEPARATOR = 10                 # the token between prompt and answer
VOCABULARY_SIZE = DIGITS + 1   # the digits 0-9 and the separator
IGNORE = -100                  # targets that do not count (F.cross_entropy's ignore_index)
TASKS = {
    "reverse": lambda prompts: prompts.flip(-1),
    "sort": lambda prompts: prompts.sort(dim=-1).values,
}


def digit_task(task, count, length, seed=0):
    """``(prompts, answers)``: int64 tensors of shape (count, length), random digits and the
    task's answers. The same ``seed`` gives the same sequences on every machine."""
    if task not in TASKS:
        raise ValueError(f"digit_task: task must be one of {tuple(TASKS)}, got {task!r}.")
    for name, value in (("count", count), ("length", length)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"digit_task: {name} must be a positive integer, got {value!r}.")
    prompts = torch.randint(0, DIGITS, (count, length), generator=torch.Generator().manual_seed(int(seed)))
    return prompts, TASKS[task](prompts)


def language_model_pairs(prompts, answers):
    """``(inputs, targets)`` for next-token prediction on ``prompt, SEPARATOR, answer``.

    ``inputs`` is that sequence without its last token, shape (count, P + A); ``targets`` is it
    shifted by one, with ``IGNORE`` where the next token is part of the prompt or the separator:
    position P (the separator) predicts the answer's first digit, and so on.
    """
    prompts, answers = torch.as_tensor(prompts), torch.as_tensor(answers)
    separator = torch.full((len(prompts), 1), SEPARATOR, dtype=prompts.dtype)
    full = torch.cat([prompts, separator, answers], dim=1)
    targets = full[:, 1:].clone()
    targets[:, :prompts.shape[1]] = IGNORE
    return full[:, :-1], targets


def sequence_loss(logits, targets):
    """Mean cross-entropy over the tokens that count: ``logits`` (N, T, V), ``targets`` (N, T)."""
    return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE)


def greedy_answers(forward, prompts, answer_length):
    """Answers written by the model itself: start from ``prompt, SEPARATOR``, append the most
    likely next token ``answer_length`` times. ``forward(tokens) -> logits (N, T, V)`` (for
    example ``model`` itself); returns an int64 tensor (N, answer_length) on the CPU."""
    prompts = torch.as_tensor(prompts)
    tokens = torch.cat([prompts, torch.full((len(prompts), 1), SEPARATOR, dtype=prompts.dtype)], dim=1)
    with torch.no_grad():
        for _ in range(answer_length):
            logits = torch.as_tensor(forward(tokens))
            tokens = torch.cat([tokens, logits[:, -1].argmax(-1).to(tokens.device, tokens.dtype)[:, None]], dim=1)
    return tokens[:, prompts.shape[1] + 1:].cpu()


def exact_match(answers, expected):
    """The fraction of answers right in every position."""
    return float((torch.as_tensor(answers) == torch.as_tensor(expected)).all(dim=1).double().mean())
