import random

import numpy as np
import pytest
import torch

from course.torchlab import lab_size, pick_device, seed_everything, smoke


def test_cpu_fallback_prints_one_line(no_gpu, capsys):
    assert pick_device() == torch.device("cpu")
    out = capsys.readouterr().out
    assert out == "Using the CPU (no GPU found): the lab runs in smoke size.\n"
    assert smoke() is True


@pytest.mark.parametrize("cuda, line", [(True, "Using cuda (NVIDIA H200).\n"),
                                         (False, "Using mps (Apple GPU).\n")])
def test_cuda_comes_first_then_mps(monkeypatch, capsys, cuda, line):
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H200")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda" if cuda else "mps")
    assert capsys.readouterr().out == line
    assert smoke() is False


def test_prefer_forces_a_device(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device(prefer="cpu") == torch.device("cpu")
    assert capsys.readouterr().out == "Using the CPU (as asked).\n"


def test_prefer_a_missing_device_says_so(no_gpu):
    with pytest.raises(ValueError, match="no CUDA GPU"):
        pick_device(prefer="cuda")
    with pytest.raises(ValueError, match="MPS"):
        pick_device(prefer="mps")
    with pytest.raises(ValueError, match="not a device"):
        pick_device(prefer="tpu-please")


def test_course_smoke_overrides_the_device(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H200")
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert smoke() is True
    pick_device()
    assert capsys.readouterr().out == \
        "Using cuda (NVIDIA H200): the lab runs in smoke size (COURSE_SMOKE=1).\n"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setenv("COURSE_SMOKE", "0")
    assert smoke() is False
    monkeypatch.setenv("COURSE_SMOKE", "maybe")
    with pytest.raises(ValueError, match="COURSE_SMOKE='maybe'"):
        smoke()


def test_lab_size_picks_smoke_on_a_cpu(no_gpu, capsys):
    size = lab_size(full=dict(epochs=30, width=64), smoke=dict(epochs=2, width=16))
    assert (size.epochs, size.width) == (2, 16)
    assert capsys.readouterr().out == "Smoke size (CPU): epochs=2, width=16\n"


def test_lab_size_picks_full_on_a_gpu_or_when_forced(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SMOKE", "0")
    size = lab_size(full=dict(epochs=30, width=64), smoke=dict(epochs=2, width=16))
    assert vars(size) == {"epochs": 30, "width": 64}
    assert capsys.readouterr().out == "Full size (COURSE_SMOKE=0): epochs=30, width=64\n"
    monkeypatch.delenv("COURSE_SMOKE")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert lab_size(full=dict(epochs=30), smoke=dict(epochs=2)).epochs == 30


def test_lab_size_needs_the_same_keys(no_gpu):
    with pytest.raises(ValueError, match="only full has width"):
        lab_size(full=dict(epochs=30, width=64), smoke=dict(epochs=2))
    with pytest.raises(ValueError, match="only smoke has batch"):
        lab_size(full=dict(epochs=30), smoke=dict(epochs=2, batch=8))
    with pytest.raises(ValueError, match="non-empty dict"):
        lab_size(full={}, smoke={})


def test_seed_everything_repeats_every_generator():
    def draws():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    assert seed_everything(7) is None
    first = draws()
    seed_everything(7)
    assert draws() == first
    seed_everything(8)
    assert draws() != first
    with pytest.raises(ValueError, match="non-negative integer"):
        seed_everything(1.5)
