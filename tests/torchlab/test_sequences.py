"""The generated digit tasks: answers, next-token pairs, the loss that ignores the prompt, greedy decoding."""
import pytest
import torch

from course.torchlab.sequences import (IGNORE, SEPARATOR, digit_task, exact_match, greedy_answers,
                                       language_model_pairs, sequence_loss)


def test_tasks_give_reversed_and_sorted_answers_and_repeat_with_the_seed():
    prompts, answers = digit_task("reverse", 50, 6, seed=3)
    assert prompts.shape == answers.shape == (50, 6) and prompts.dtype == torch.int64
    assert torch.equal(answers, prompts.flip(1)) and int(prompts.max()) <= 9
    again, _ = digit_task("reverse", 50, 6, seed=3)
    assert torch.equal(prompts, again) and not torch.equal(prompts, digit_task("reverse", 50, 6, seed=4)[0])
    prompts, answers = digit_task("sort", 20, 5, seed=0)
    assert torch.equal(answers, prompts.sort(1).values)


def test_bad_arguments_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="task must be one of"):
        digit_task("add", 10, 3)
    with pytest.raises(ValueError, match="length must be a positive integer"):
        digit_task("reverse", 10, 0)


def test_language_model_pairs_shift_by_one_and_ignore_the_prompt():
    prompts, answers = torch.tensor([[1, 2, 3]]), torch.tensor([[3, 2, 1]])
    inputs, targets = language_model_pairs(prompts, answers)
    assert inputs.tolist() == [[1, 2, 3, SEPARATOR, 3, 2]]
    assert targets.tolist() == [[IGNORE, IGNORE, IGNORE, 3, 2, 1]]


def test_sequence_loss_counts_only_the_answer():
    targets = torch.tensor([[IGNORE, 4, 7]])
    logits = torch.zeros(1, 3, 11)
    logits[0, 0, 0] = -50.0              # a terrible prediction where nothing counts
    logits[0, 1, 4] = logits[0, 2, 7] = 50.0
    assert float(sequence_loss(logits, targets)) < 1e-6


def test_greedy_answers_feed_the_model_its_own_digits():
    seen = []

    def echo(tokens):                   # predicts the token it just read
        seen.append(tokens.shape[1])
        return torch.nn.functional.one_hot(tokens, 11).float()

    written = greedy_answers(echo, torch.tensor([[5, 6], [1, 2]]), 3)
    assert written.tolist() == [[SEPARATOR] * 3] * 2 and seen == [3, 4, 5]
    assert exact_match(torch.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 5]])) == 0.5
