"""The lab 06 checks pass right PyTorch implementations and name the typical mistakes of wrong ones."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course.checks.cnn import (
    check_channel_statistics,
    check_lenet5,
    check_residual_block,
    check_trained_classifier,
    digits_splits,
)
from course.checks import CheckFailed
from course.torchlab import load_digits_images, split_indices
from tests.checks.failing import fails_with

# ---------------------------------------------------------------- LeNet-5


class LeNet5(nn.Module):
    """A right LeNet-5; the flags plant one typical mistake each."""

    def __init__(self, activation=torch.tanh, pool=F.avg_pool2d, padding=0, c3_kernel=5, c5_linear=False,
                 final=None, f6=True, c5_activation=True):
        super().__init__()
        self.activation, self.pool, self.final, self.c5_activation = activation, pool, final, c5_activation
        self.c1 = nn.Conv2d(1, 6, 5, padding=padding)
        self.c3 = nn.Conv2d(6, 16, c3_kernel)
        side = ((32 + 2 * padding - 4) // 2 - c3_kernel + 1) // 2
        self.c5 = nn.Linear(16 * side * side, 120) if c5_linear else nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84) if f6 else None
        self.out = nn.Linear(84 if f6 else 120, 10)

    def forward(self, x):
        x = self.pool(self.activation(self.c1(x)), 2)
        x = self.pool(self.activation(self.c3(x)), 2)
        x = self.c5(x.flatten(1)) if isinstance(self.c5, nn.Linear) else self.c5(x).flatten(1)
        x = self.activation(x) if self.c5_activation else x
        if self.f6 is not None:
            x = self.activation(self.f6(x))
        x = self.out(x)
        return self.final(x) if self.final else x


class SequentialLeNet(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lenet5_check_passes_right_models(seed):
    check_lenet5(LeNet5, seed=seed)
    check_lenet5(lambda: LeNet5(c5_linear=True), seed=seed, batch=1)
    check_lenet5(SequentialLeNet, seed=seed, batch=5)


@pytest.mark.parametrize("build, message", [
    (lambda: LeNet5(activation=torch.relu), "scores is wrong .*it uses ReLU where LeNet-5 uses tanh"),
    (lambda: LeNet5(pool=F.max_pool2d), "it uses max pooling where LeNet-5 uses average pooling"),
    (lambda: LeNet5(activation=torch.relu, pool=F.max_pool2d), "it uses ReLU and max pooling"),
    (lambda: LeNet5(final=lambda s: torch.softmax(s, 1)), "the scores went through a softmax"),
    (lambda: LeNet5(c5_activation=False), "the tanh after C5 is missing"),
    (lambda: LeNet5(padding=2), r"shapes cannot be multiplied .*; the layers' sizes do not fit together for a "
                                r"1x32x32 input. Hint: with no padding C1 gives 6x28x28"),
    (lambda: LeNet5(padding=2, c5_linear=True), r"LeNet-5 has 61,706; it has no parameter of shape \(120, 16, 5, 5\).*"
                                                r"gets 576 features where LeNet-5 has 400"),
    (lambda: LeNet5(c3_kernel=3), r"no parameter of shape \(16, 6, 5, 5\) \(C3's weights.*\) but one of shape \(16, 6, 3, 3\)"),
    (lambda: LeNet5(f6=False), r"no parameter of shape \(84, 120\) \(F6's weights"),
    (lambda: "not a class", r"\(\.\.\.\) built a str, not a torch.nn.Module"),
])
def test_lenet5_check_names_the_mistake(build, message):
    fails_with(message, check_lenet5, build)


# ---------------------------------------------------------------- the residual block


def block_class(shortcut=True, relu_before_add=False, projection_stride=True, bn2=True, bias=False,
                always_project=False, detach=False, final_relu=True, stride_in_second=False, reverse_registration=False):
    """A ResNet basic block, right unless a flag plants a mistake."""

    class Block(nn.Module):
        def __init__(self, in_channels, out_channels, stride=1):
            super().__init__()
            project = always_project or stride != 1 or in_channels != out_channels
            layers = {
                "conv1": nn.Conv2d(in_channels, out_channels, 3, 1 if stride_in_second else stride, 1, bias=bias),
                "bn1": nn.BatchNorm2d(out_channels),
                "conv2": nn.Conv2d(out_channels, out_channels, 3, stride if stride_in_second else 1, 1, bias=bias),
                "bn2": nn.BatchNorm2d(out_channels) if bn2 else nn.Identity(),
                "shortcut": nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride if projection_stride else 1,
                                                    bias=False), nn.BatchNorm2d(out_channels))
                if project and shortcut else nn.Identity(),
            }
            for name in (reversed(list(layers)) if reverse_registration else layers):
                setattr(self, name, layers[name])

        def forward(self, x):
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            if not shortcut:
                return F.relu(out)
            skip = self.shortcut(x.detach() if detach else x)
            if relu_before_add:
                return F.relu(out) + skip
            return F.relu(out + skip) if final_relu else out + skip

    return Block


SETTINGS = [dict(), dict(in_channels=4, out_channels=8, stride=2, size=7), dict(in_channels=3, out_channels=6, size=5),
            dict(in_channels=6, out_channels=6, stride=2, size=8, batch=2)]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("setting", SETTINGS)
def test_residual_block_check_passes_right_blocks(seed, setting):
    check_residual_block(block_class(), seed=seed, **setting)
    check_residual_block(block_class(reverse_registration=True), seed=seed, **setting)


IDENTITY, PROJECTION = dict(), dict(in_channels=4, out_channels=8, stride=2, size=6)


@pytest.mark.parametrize("mistake, setting, message", [
    (dict(shortcut=False), IDENTITY, r"output of ResidualBlock\(4, 4, stride=1\) is wrong .*the shortcut is missing"),
    (dict(shortcut=False), PROJECTION, "changes the shape of x.*the projection shortcut is missing"),
    (dict(relu_before_add=True), IDENTITY, "ReLU is applied before the addition"),
    (dict(relu_before_add=True), PROJECTION, "ReLU is applied before the addition"),
    (dict(projection_stride=False), PROJECTION, "give different shapes.*is the projection shortcut missing a stride"),
    (dict(bn2=False), IDENTITY, r"BatchNorm missing: .* has 1 normalization layer\(s\), it needs 2"),
    (dict(bn2=False), PROJECTION, r"BatchNorm missing: .* it needs 3"),
    (dict(bias=True), IDENTITY, "has a bias; the BatchNorm right after it subtracts the mean"),
    (dict(always_project=True), IDENTITY, "its shortcut should be the identity"),
    (dict(final_relu=False), IDENTITY, "the ReLU after the addition is missing"),
    (dict(stride_in_second=True), PROJECTION, "the stride sits on the second 3x3 convolution"),
])
def test_residual_block_check_names_the_mistake(mistake, setting, message):
    fails_with(message, check_residual_block, block_class(**mistake), **setting)


def test_residual_block_check_never_asks_the_students_side_for_gradients(monkeypatch):
    """The block is judged by its outputs with the judge's weights (issue 22); a detached shortcut
    computes the same values, so it is not graded (the lab says so) and no forged probe counts."""
    from course import probes

    def forged(*args, **kwargs):
        raise AssertionError("a check asked the student's side for gradients")

    monkeypatch.setattr(probes, "gradients", forged, raising=False)
    for setting in (IDENTITY, PROJECTION):
        check_residual_block(block_class(), **setting)
        check_residual_block(block_class(detach=True), **setting)


def test_residual_block_check_explains_a_block_that_does_not_build():
    class Unfinished(nn.Module):
        def __init__(self, in_channels, out_channels, stride=1):
            raise NotImplementedError()

    fails_with("not implemented yet", check_residual_block, Unfinished)


# ---------------------------------------------------------------- normalization statistics


def statistics(images, train_indices):
    train = images[train_indices]
    return train.mean(dim=(0, 2, 3)), train.std(dim=(0, 2, 3))


def biased_statistics(images, train_indices):
    train = images[train_indices]
    return train.mean(dim=(0, 2, 3)), train.std(dim=(0, 2, 3), unbiased=False)


def numpy_statistics(images, train_indices):
    train = images.numpy()[train_indices.numpy()]
    return train.mean(axis=(0, 2, 3)), train.std(axis=(0, 2, 3))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_channel_statistics_check_passes_right_functions(seed):
    for function in (statistics, biased_statistics, numpy_statistics):
        check_channel_statistics(function, seed=seed)
        check_channel_statistics(function, seed=seed, N=30, C=1, H=8, W=8)


def all_data(images, train_indices):
    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))


def per_image(images, train_indices):
    train = images[train_indices]
    return train.mean(dim=(2, 3)), train.std(dim=(2, 3))


def averaged_per_image_std(images, train_indices):
    train = images[train_indices]
    return train.mean(dim=(0, 2, 3)), train.std(dim=(2, 3)).mean(dim=0)


def per_pixel(images, train_indices):
    train = images[train_indices]
    return train.mean(dim=0), train.std(dim=0)


def variance(images, train_indices):
    train = images[train_indices]
    return train.mean(dim=(0, 2, 3)), train.var(dim=(0, 2, 3))


def normalizes_in_place(images, train_indices):
    mean, std = statistics(images, train_indices)
    images -= mean.view(1, -1, 1, 1)
    return mean, std


def mean_only(images, train_indices):
    return images[train_indices].mean(dim=(0, 2, 3))


@pytest.mark.parametrize("wrong, message", [
    (all_data, "mean is wrong .*it is the mean of all images, not only the training split"),
    (per_image, r"mean has shape \(28, 3\) but should have shape \(3,\).*one value per training image"),
    (averaged_per_image_std, "std is wrong .*averages the standard deviations of single images"),
    (per_pixel, r"has shape \(3, 8, 8\) .*one value per pixel position"),
    (variance, "std is wrong .*it is the variance"),
    (normalizes_in_place, "changed the images in place"),
    (mean_only, r"should return two values \(mean, std\)"),
])
def test_channel_statistics_check_names_the_mistake(wrong, message):
    fails_with(message, check_channel_statistics, wrong)


# ---------------------------------------------------------------- a trained classifier


class ResNet(nn.Module):
    """The lab's ResNet (section 6), of a given block class and widths."""

    def __init__(self, block=None, widths=(4, 8, 16)):
        super().__init__()
        block = block or block_class()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, channels = [], widths[0]
        for stage, width in enumerate(widths):
            blocks.append(block(channels, width, 2 if stage > 0 else 1))
            channels = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(channels, 10)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))


def train_resnet(epochs=8):
    """A small ResNet of the lab trained as the lab does (normalized digits, one-pixel shifts), by
    course.torchlab.fit, which gives it back in training mode."""
    from course.torchlab import DeviceLoader, fit, random_crop_flip, seed_everything

    seed_everything(0)
    images, labels = digits_splits()[0]["train"]
    shift = lambda batch: random_crop_flip(batch, padding=1, flip=False, mode="zeros")  # noqa: E731
    loader = DeviceLoader(images, labels, 64, augment=shift, device="cpu", seed=0)
    model = ResNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=epochs * len(loader))
    fit(model, loader, epochs=epochs, optimizer=optimizer, scheduler=scheduler, scheduler_step="batch",
        progress=False, device="cpu")
    return model


@pytest.fixture(scope="module")
def trained():
    return train_resnet()


def test_fit_leaves_the_model_in_training_mode_so_forgetting_eval_fails_by_name(trained):
    """Issue 20: after fit the model is in training mode as it came; the exercise's model.eval()
    is the student's to write, and forgetting it is a named mistake."""
    assert trained.training
    with pytest.raises(CheckFailed) as info:
        check_trained_classifier(trained)
    assert "the model is still in training mode" in str(info.value)
    assert info.value.mistake.id == "trained_classifier/the-model/it-is-still-in-training-mode"
    fails_with("the model is still in training mode; evaluation needs eval mode", check_trained_classifier, trained)


def test_trained_classifier_check_passes_a_trained_resnet_and_returns_its_accuracy(trained):
    trained.eval()
    assert check_trained_classifier(trained) >= 0.95
    assert check_trained_classifier(trained, split="test", minimum=0.93) >= 0.93
    for seed in (1, 2):
        check_trained_classifier(trained, seed=seed)


def test_the_judge_reads_a_block_whatever_order_its_layers_were_registered_in(trained):
    """Two BatchNorms of one size cannot be told apart by shape; their running statistics can."""
    reversed_model = ResNet(block=block_class(reverse_registration=True))
    reversed_model.load_state_dict(trained.state_dict())
    assert list(reversed_model.state_dict()) != list(trained.state_dict())
    check_trained_classifier(reversed_model.eval())


def test_the_judge_evaluates_its_own_copy_never_the_students_forward(trained, monkeypatch):
    """Issue 22: the verdict comes from the student's weights in the judge's copy of the ResNet;
    a forward pass that looks the digits up (or anything else the model's forward does) is never asked."""
    class Lookup(ResNet):
        def forward(self, x):
            raise AssertionError("the judge called the student's forward")

    cheat = Lookup()
    cheat.load_state_dict(trained.state_dict())
    check_trained_classifier(cheat.eval())


def test_trained_classifier_check_refuses_a_model_that_is_not_the_labs_resnet():
    class NearestNeighbour(nn.Module):
        """Scores from a lookup into scikit-learn's digits: no weights the judge could evaluate."""

        def __init__(self):
            super().__init__()
            images, labels = load_digits_images()
            self.register_buffer("images", images.flatten(1))
            self.register_buffer("labels", labels)

        def forward(self, x):
            nearest = torch.cdist(x.flatten(1), self.images).argmin(dim=1)
            return F.one_hot(self.labels[nearest], 10).float()

    fails_with("the grader evaluates your weights in its own copy of the lab's ResNet", check_trained_classifier,
               NearestNeighbour().eval())
    fails_with("its own copy of the lab's ResNet", check_trained_classifier,
               nn.Sequential(nn.Flatten(), nn.Linear(64, 10)).eval())
    fails_with("expected a trained torch.nn.Module", check_trained_classifier, "model")


def test_trained_classifier_check_names_an_untrained_model():
    torch.manual_seed(0)
    fails_with(r"the validation accuracy is \d+\.\d%, it should be at least 95% \(179 digits\); that is about chance",
               check_trained_classifier, ResNet().eval())


def test_shifted_digits_are_new_for_every_grading_secret():
    from course.checks.cnn import _shifted
    from course.checks.judging import use_grading_secret

    images = digits_splits()[0]["validation"][0]
    shifted = _shifted(images, 0)
    assert shifted.shape == images.shape
    assert all(not torch.equal(a, b) for a, b in zip(shifted, images))
    assert torch.equal(shifted, _shifted(images, 0))
    try:
        use_grading_secret(11)
        first = _shifted(images, 0)
        use_grading_secret(12)
        second = _shifted(images, 0)
    finally:
        use_grading_secret(None)
    assert not torch.equal(first, second) and not torch.equal(first, shifted)


def test_the_splits_are_the_labs_and_normalized_with_training_statistics():
    normalized, raw = digits_splits()
    assert [len(normalized[name][1]) for name in ("train", "validation", "test")] == [1439, 179, 179]
    train = normalized["train"][0]
    assert abs(float(train.mean())) < 1e-5 and abs(float(train.std()) - 1) < 1e-3
    images, labels = load_digits_images()
    _, validation, _ = split_indices(len(labels), (0.8, 0.1, 0.1), seed=0)
    assert torch.equal(raw["validation"][0], images[validation]) and torch.equal(raw["validation"][1], labels[validation])
