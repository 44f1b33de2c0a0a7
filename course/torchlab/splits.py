"""Training, validation and test indices: disjoint, drawn once, the same on every machine.

torch equivalent: ``torch.utils.data.random_split`` (which splits a Dataset; this splits
indices, so that tensors, arrays and DeviceLoaders can share them).
"""
import torch


def split_indices(n, fractions=(0.8, 0.1, 0.1), seed=0):
    """One int64 tensor of indices into ``range(n)`` per fraction, e.g. ``(train, val, test)``.

    The parts are disjoint; when the fractions add up to 1 they cover every index (rounding goes
    to the first part), otherwise the rest is left out. The same ``seed`` gives the same split.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"split_indices needs n as a positive integer, got {n!r}.")
    fractions = tuple(float(fraction) for fraction in fractions)
    if not fractions or any(fraction < 0 for fraction in fractions) or sum(fractions) > 1 + 1e-9:
        raise ValueError(f"fractions must be non-negative and add up to at most 1, got "
                         f"{fractions}.")
    sizes = [int(fraction * n) for fraction in fractions]
    if abs(sum(fractions) - 1) < 1e-9:
        sizes[0] += n - sum(sizes)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return tuple(part for part in torch.split(order[:sum(sizes)], sizes))
