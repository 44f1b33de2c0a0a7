"""Honest work passes: every graded exercise of labs 01-05, in several idioms (loops, vectorized,
inputs changed in place, CS231n's and d2l's styles), passes its check in a notebook and under three
grading secrets (hidden inputs that change per grading run), and the reference implementations too."""
import pytest

from course.checks.judging import take_notes, use_grading_secret
from tests.checks.idioms_labs_01_05 import CALLS

SECRETS = (None, 20261207, 987654321, 2**40 + 17)


@pytest.fixture
def secret(request):
    use_grading_secret(request.param)
    yield request.param
    use_grading_secret(None)


@pytest.mark.parametrize("secret", SECRETS, indirect=True, ids=lambda s: f"secret={s}")
@pytest.mark.parametrize("exercise, idiom, run", CALLS, ids=[f"{e}: {i}" for e, i, _ in CALLS])
def test_a_correct_idiom_passes_every_check(exercise, idiom, run, secret):
    take_notes()
    run(seed=2024)
    take_notes()


def test_every_graded_exercise_of_labs_01_to_05_has_idioms():
    exercises = {exercise for exercise, _, _ in CALLS}
    assert exercises >= {
        "affine_forward", "affine_backward", "relu", "sigmoid", "sigmoid_stable", "softmax_cross_entropy",
        "two_layer_net", "tanh_backward", "leaky_relu_backward", "elu_backward", "softmax_cross_entropy (smoothed)",
        "bce_with_logits", "huber_loss", "sgd_momentum", "adagrad", "rmsprop", "adam", "xavier_uniform",
        "kaiming_normal", "dropout", "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "layernorm",
        "conv_output_size", "conv_params", "network_table", "conv_forward", "conv_backward", "max_pool",
        "receptive_field"}


def test_in_place_idioms_pass_with_a_note_not_a_failure():
    from tests.checks import idioms_labs_01_05 as idioms
    from course.checks import check_relu_backward, check_softmax_cross_entropy
    take_notes()
    check_relu_backward(idioms.relu_forward_cs231n, idioms.relu_backward_cs231n)
    assert any("relu_backward_cs231n changes its input dout in place" in n.sentence for n in take_notes())
    check_softmax_cross_entropy(idioms.softmax_ce_cs231n)
    assert any("softmax_ce_cs231n changes its input scores in place" in n.sentence for n in take_notes())
