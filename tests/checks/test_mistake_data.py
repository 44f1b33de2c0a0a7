"""A diagnosed mistake travels as data on CheckFailed: an id that is the same for every student
who makes it, and its sentence; the student's message is unchanged."""
import pickle

import numpy as np
import pytest

from course.checks import check_affine_backward, check_attention_masks, check_softmax_cross_entropy
from course.checks.judging import CheckFailed, Mistake, compare
from course.layers import affine_forward, softmax


def averaging_backward(dout, cache):
    x, w, _ = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.mean(axis=0)


def failure(check, *args, **kwargs):
    with pytest.raises(CheckFailed) as raised:
        check(*args, **kwargs)
    return raised.value


def test_compare_names_a_listed_mistake_as_data_and_keeps_the_message():
    expected = np.array([1.0, -2.0, 3.0])
    error = failure(compare, "toy", "db", expected / 4, expected, 1e-6, hint="sum over the batch.",
                    mistakes=[(expected / 4, "it averages instead of summing")])
    assert error.mistake == Mistake("toy/db/it-averages-instead-of-summing", "db: it averages instead of summing")
    assert str(error) == ("toy: db is wrong (relative error 6.0e-01, should be below 1e-06); expected 3 at index (2,), "
                          "got 0.75; it averages instead of summing. Hint: sum over the batch.")


def test_the_id_is_the_same_for_every_student_and_every_seed():
    ids = {failure(check_affine_backward, affine_forward, averaging_backward, seed=seed, N=n).mistake.id
           for seed, n in ((0, 4), (77, 8), (78, 2))}
    assert ids == {"affine_backward/db/it-averages-dout-over-the-batch-instead-of-summing"}


def test_numbers_in_a_meaning_do_not_split_the_id_but_stay_in_the_sentence():
    def unscaled(scores, y):
        p = softmax(scores)
        p[np.arange(len(y)), y] -= 1
        return -np.log(softmax(scores)[np.arange(len(y)), y]).mean(), p

    six, ten = (failure(check_softmax_cross_entropy, unscaled, seed=s, N=n).mistake for s, n in ((0, 6), (3, 10)))
    assert six.id == ten.id == "softmax_cross_entropy/dscores/it-is-#-times-too-large-divide-by-the-batch-size-n-#-once"
    assert "N = 6" in six.sentence and "N = 10" in ten.sentence


def test_no_diagnosis_no_mistake():
    error = failure(compare, "toy", "out", np.array([1.0, 5.0]), np.array([1.0, 2.0]), 1e-7)
    assert error.mistake is None and "; " not in str(error).split("got")[1]
    assert CheckFailed("a message of a check that names no mistake").mistake is None


def test_shape_and_missing_return_and_nan_are_named_too():
    assert failure(compare, "toy", "db", np.ones((4, 3)), np.ones(3), 1e-6, batch_size=4).mistake.id == \
        "toy/db/it-still-has-the-batch-axis-sum-over-axis-#"
    assert failure(compare, "toy", "dx", None, np.ones(3), 1e-6).mistake.id == "toy/dx/it-is-none-nothing-was-returned"
    assert failure(compare, "toy", "dx", np.array([np.nan]), np.ones(1), 1e-6).mistake.id == \
        "toy/dx/it-contains-nan-or-inf"


def test_a_check_that_diagnoses_inline_attaches_its_mistake():
    def inverted(lengths, max_length):
        return ~(np.arange(max_length)[None, None, :] < lengths[:, None, None])

    def causal(length):
        return np.tril(np.ones((length, length), dtype=bool))

    error = failure(check_attention_masks, inverted, causal)
    assert error.mistake.id.startswith("attention_masks/padding-mask-lengths-max-length/it-is-inverted")
    assert error.mistake.sentence.endswith("it is inverted: True marks the real tokens (may attend), False the padding")
    assert error.mistake.sentence.split(": ", 1)[1] in str(error)


def test_the_mistake_survives_pickling_between_processes():
    error = failure(check_affine_backward, affine_forward, averaging_backward)
    copy = pickle.loads(pickle.dumps(error))
    assert copy.mistake == error.mistake and str(copy) == str(error)


def test_the_arithmetic_checks_hand_over_their_diagnosis():
    from course.checks import check_conv_output_size

    def padding_once(n, kernel, stride=1, padding=0, dilation=1):
        if n + 2 * padding < dilation * (kernel - 1) + 1:
            raise ValueError("the kernel does not fit")
        return (n + padding - dilation * (kernel - 1) - 1) // stride + 1

    error = failure(check_conv_output_size, padding_once)
    assert error.mistake.id == "conv_output_size/the-padding-is-counted-once-it-is-added-on-both-sides-n-#-padding"
    assert error.mistake.sentence.split("; ")[0] in str(error)
