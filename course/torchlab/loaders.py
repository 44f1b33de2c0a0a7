"""A small data set kept whole on the GPU, batched by index: no worker processes, no copies per
batch, augmentation on the device (the trick of the fast CIFAR-10 trainers such as airbench).

torch equivalent: ``torch.utils.data.DataLoader(TensorDataset(images, labels), batch_size,
shuffle=True)``, minus the per-example Python work.
"""
import math

import torch

from .device import best_device


class DeviceLoader:
    """Batches of ``(images, labels)`` drawn from tensors that live on ``device``.

    - ``len(loader)`` is the number of batches per epoch; every example appears once per epoch
      (the last, smaller batch is dropped with ``drop_last=True``).
    - ``shuffle``: a new order each epoch, from ``torch.randperm`` on the device; ``seed`` gives the
      loader a generator of its own, so that its order repeats from run to run.
    - ``augment``: a function applied to each batch of images on the device, such as
      ``random_crop_flip``.
    """

    def __init__(self, images, labels, batch_size, shuffle=True, augment=None, device=None,
                 drop_last=False, seed=None):
        device = torch.device(device) if device is not None else best_device()
        images, labels = torch.as_tensor(images), torch.as_tensor(labels)
        if images.ndim == 0 or labels.ndim == 0 or len(images) != len(labels):
            raise ValueError(f"DeviceLoader needs as many labels as images, got images of shape "
                             f"{tuple(images.shape)} and labels of shape {tuple(labels.shape)}.")
        if len(images) == 0:
            raise ValueError("DeviceLoader got an empty data set.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if augment is not None and not callable(augment):
            raise ValueError(f"augment must be a function of a batch of images, got {augment!r}.")
        self.images, self.labels = images.to(device), labels.to(device)
        self.batch_size, self.shuffle, self.augment = batch_size, shuffle, augment
        self.device, self.drop_last = device, drop_last
        self.generator = None
        if seed is not None:
            self.generator = torch.Generator(device=device)
            self.generator.manual_seed(seed)

    def __len__(self):
        count = len(self.images) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self):
        count = len(self.images)
        if self.shuffle:
            order = torch.randperm(count, device=self.device, generator=self.generator)
        else:
            order = torch.arange(count, device=self.device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start:start + self.batch_size]
            images = self.images[index]
            if self.augment is not None:
                images = self.augment(images)
            yield images, self.labels[index]

    def state_dict(self):
        """The generator's state, so that ``fit`` resumes a checkpoint with the same order."""
        return {"generator": None if self.generator is None else self.generator.get_state()}

    def load_state_dict(self, state):
        if state.get("generator") is not None and self.generator is not None:
            self.generator.set_state(state["generator"])

    def __repr__(self):
        return (f"DeviceLoader({len(self.images)} examples of shape "
                f"{tuple(self.images.shape[1:])} on {self.device}, batch_size={self.batch_size}, "
                f"{len(self)} batches)")
