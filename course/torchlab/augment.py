"""Random crops and horizontal flips for a whole batch at once, on the device it lives on.

torch equivalent: ``torchvision.transforms.v2.RandomCrop(32, padding=4,
padding_mode="reflect")`` followed by ``RandomHorizontalFlip()``, which transform one image at a
time on the CPU. Here each image gets its own shift and flip, but the work is one gather.
"""
import torch


def _reflect(index, size):
    """Indices outside ``0..size-1`` mirrored back inside without repeating the edge, as
    ``torch.nn.functional.pad(mode="reflect")``."""
    index = index.abs()
    return torch.where(index > size - 1, 2 * (size - 1) - index, index)


def random_crop_flip(images, padding=4, flip=True, generator=None, mode="reflect"):
    """A batch ``(N, C, H, W)`` of the same shape and dtype: each image padded by ``padding``
    pixels (``mode`` "reflect" or "zeros"), cropped back to ``H x W`` at a random place and, with
    ``flip``, mirrored left to right with probability 1/2.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"random_crop_flip needs a batch of images as a tensor (N, C, H, W), "
                         f"got {shape}.")
    count, channels, height, width = images.shape
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be a non-negative integer, got {padding!r}.")
    if mode not in ("reflect", "zeros"):
        raise ValueError(f"mode must be 'reflect' or 'zeros', got {mode!r}.")
    if mode == "reflect" and padding >= min(height, width):
        raise ValueError(f"reflection padding must be smaller than the image ({height}x{width}), "
                         f"got padding={padding}; use mode='zeros' or a smaller padding.")
    device = images.device
    shifts = torch.randint(-padding, padding + 1, (2, count, 1), device=device,
                           generator=generator)
    rows = torch.arange(height, device=device) + shifts[0]      # (N, H): source row per row
    columns = torch.arange(width, device=device) + shifts[1]    # (N, W)
    if flip:
        mirrored = torch.rand(count, 1, device=device, generator=generator) < 0.5
        columns = torch.where(mirrored, columns.flip(1), columns)
    if mode == "reflect":
        inside = None
        rows, columns = _reflect(rows, height), _reflect(columns, width)
    else:
        inside = (((rows >= 0) & (rows < height))[:, :, None]
                  & ((columns >= 0) & (columns < width))[:, None, :])
        rows, columns = rows.clamp(0, height - 1), columns.clamp(0, width - 1)
    batch = torch.arange(count, device=device)[:, None, None, None]
    channel = torch.arange(channels, device=device)[None, :, None, None]
    out = images[batch, channel, rows[:, None, :, None], columns[:, None, None, :]]
    if inside is not None:
        out = out.masked_fill(~inside[:, None], 0)
    return out
