"""A tiny classification problem (scikit-learn's digits) and a tiny model, shared by the tests."""
import functools

import torch

from course.torchlab import DeviceLoader, load_digits_images, split_indices


@functools.lru_cache(maxsize=None)
def digits():
    return load_digits_images()


def digits_loaders(batch_size=128, seed=None):
    images, labels = digits()
    train, val, _ = split_indices(len(images), seed=0)
    return (DeviceLoader(images[train], labels[train], batch_size, device="cpu", seed=seed),
            DeviceLoader(images[val], labels[val], 256, shuffle=False, device="cpu"))


def tiny_model(dropout=0.0):
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(),
                               torch.nn.Dropout(dropout), torch.nn.Linear(32, 10))


class Spy(torch.nn.Module):
    """``tiny_model()`` that calls ``see(module, output)`` on every forward pass."""

    def __init__(self, see):
        super().__init__()
        self.net, self.see = tiny_model(), see

    def forward(self, x):
        out = self.net(x)
        self.see(self, out)
        return out
