"""scikit-learn's handwritten digits (1,797 images, 8x8, ten classes) as image tensors: the data
set that ships with an installed package, so a lab runs with no download at all.

torch equivalent of the resizing: ``torch.nn.functional.interpolate(mode="bilinear")``.
"""
import torch
import torch.nn.functional as F


def load_digits_images(size=8):
    """``(images, labels)``: float32 images ``(1797, 1, size, size)`` scaled to [0, 1] (the
    originals are 8x8 with values 0..16; ``size`` > 8, e.g. 28 or 32 for a LeNet, enlarges
    them bilinearly) and int64 labels ``(1797,)``."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 (the digits are 8x8), got "
                         f"{size!r}.")
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
        images = images.clamp(0.0, 1.0)
    return images, torch.as_tensor(digits.target, dtype=torch.int64)
