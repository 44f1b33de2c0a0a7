import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from course.torchlab import fit, seed_everything
from course.torchlab.checkpoint import CheckpointError

from .helpers import digits, digits_loaders, tiny_model


def run(epochs, checkpoint=None, loader="device", seed=0):
    """Train from scratch (seeded) for ``epochs``, with dropout, shuffling and a scheduler, so
    that resuming must restore weights, optimizer, scheduler and every random generator."""
    seed_everything(seed)
    model = tiny_model(dropout=0.3)
    if loader == "device":
        train, val = digits_loaders(seed=None)         # shuffles from torch's global generator
    elif loader == "seeded device":
        train, val = digits_loaders(seed=5)            # a generator of its own
    else:
        images, labels = digits()
        generator = torch.Generator().manual_seed(3)
        train = DataLoader(TensorDataset(images[:1200], labels[:1200]), batch_size=100,
                           shuffle=True, generator=generator)
        val = DataLoader(TensorDataset(images[1200:], labels[1200:]), batch_size=300)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    history = fit(model, train, val, epochs=epochs, optimizer=optimizer, scheduler=scheduler,
                  checkpoint=checkpoint, progress=False, device="cpu")
    return model, optimizer, history


@pytest.mark.parametrize("loader", ["device", "seeded device", "torch DataLoader"])
def test_resuming_gives_the_same_weights_as_an_uninterrupted_run(tmp_path, capsys, loader):
    path = tmp_path / "run.pt"
    run(2, path, loader)
    assert path.exists() and not list(tmp_path.glob("*.tmp"))
    capsys.readouterr()
    resumed, optimizer, history = run(4, path, loader, seed=123)   # another init: overwritten
    assert capsys.readouterr().out == "Resuming from epoch 3 of 4.\n"
    straight, straight_optimizer, straight_history = run(4, None, loader)
    for name, tensor in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name
    assert history.train_loss == straight_history.train_loss
    assert history.val_accuracy == straight_history.val_accuracy
    assert history.lr == pytest.approx([3e-3 * 0.7 ** epoch for epoch in range(4)])
    assert optimizer.param_groups[0]["lr"] == straight_optimizer.param_groups[0]["lr"]


def test_a_finished_checkpoint_trains_no_more(tmp_path, capsys):
    path = tmp_path / "run.pt"
    trained, _, _ = run(2, path)
    capsys.readouterr()
    again, _, history = run(2, path, seed=9)
    assert "already holds 2 epochs; nothing left to train" in capsys.readouterr().out
    assert len(history) == 2
    for name, tensor in trained.state_dict().items():
        assert torch.equal(again.state_dict()[name], tensor)


def test_a_corrupt_checkpoint_says_to_delete_it(tmp_path):
    path = tmp_path / "run.pt"
    path.write_bytes(b"\x80\x04 not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"cannot be used .*; delete it") as caught:
        run(2, path)
    assert str(path) in str(caught.value)
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="not written by course.torchlab.fit"):
        run(2, path)


def test_a_checkpoint_of_another_model_says_to_delete_it(tmp_path):
    path = tmp_path / "run.pt"
    run(1, path)
    model = torch.nn.Linear(64, 10)
    with pytest.raises(CheckpointError, match="does not fit this model.*delete it"):
        fit(model, digits_loaders()[0], epochs=2, device="cpu", progress=False,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1), checkpoint=path)


def test_a_crash_while_saving_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    run(1, path)
    before = path.read_bytes()
    real_save = torch.save

    def crashing_save(obj, file, *args, **kwargs):
        with open(file, "wb") as handle:
            handle.write(b"half a checkp")
        raise KeyboardInterrupt    # the Colab runtime goes away mid-write

    monkeypatch.setattr(torch, "save", crashing_save)
    with pytest.raises(KeyboardInterrupt):
        run(3, path)
    monkeypatch.setattr(torch, "save", real_save)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]
