"""How much does keeping a small data set on the device save? One epoch of batches from
``course.torchlab.DeviceLoader`` with ``random_crop_flip`` against a ``torch.utils.data.DataLoader``
over a ``TensorDataset`` that crops and flips each image in Python (what a torchvision transform
does), on CIFAR-10-shaped uint8 data made on the spot.

    python benchmarks/torchlab_benchmark.py [--examples 10000] [--batch-size 512] [--device cuda]

Measured, not asserted: each figure is the median of a few epochs, on one machine, in one run.
"""
import argparse
import statistics
import time

import torch
from torch.utils.data import DataLoader, Dataset

from course.torchlab import DeviceLoader, random_crop_flip
from course.torchlab.device import best_device


class CropFlipDataset(Dataset):
    """One image at a time, padded, cropped and flipped in Python: the per-example way."""

    def __init__(self, images, labels, padding=4):
        self.images, self.labels, self.padding = images, labels, padding

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.images[index].float()
        padded = torch.nn.functional.pad(image[None], (self.padding,) * 4, mode="reflect")[0]
        top, left = torch.randint(0, 2 * self.padding + 1, (2,)).tolist()
        crop = padded[:, top:top + image.shape[1], left:left + image.shape[2]]
        if torch.rand(()) < 0.5:
            crop = crop.flip(2)
        return crop.to(torch.uint8), self.labels[index]


def epoch_seconds(loader, device, repeats):
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None)
    arguments = parser.parse_args()
    device = torch.device(arguments.device) if arguments.device else best_device()
    images = torch.randint(0, 256, (arguments.examples, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (arguments.examples,))
    on_device = DeviceLoader(images, labels, arguments.batch_size, device=device, seed=0,
                             augment=random_crop_flip)
    per_example = DataLoader(CropFlipDataset(images, labels), batch_size=arguments.batch_size,
                             shuffle=True)
    fast = epoch_seconds(on_device, device, arguments.repeats)
    slow = epoch_seconds(per_example, device, arguments.repeats)
    print(f"{arguments.examples} images 3x32x32, batches of {arguments.batch_size}, on {device}:")
    print(f"  DeviceLoader + random_crop_flip      {fast * 1e3:9.1f} ms per epoch")
    print(f"  DataLoader, per-image crop and flip  {slow * 1e3:9.1f} ms per epoch")
    print(f"  ratio {slow / fast:.1f}x")


if __name__ == "__main__":
    main()
