"""CIFAR-10 from the official "python version" batches, with the official address and MD5.
torch equivalent: ``torchvision.datasets.CIFAR10``.

Each batch file is a pickled dict: ``b"data"`` a uint8 array (N, 3072) (1024 red, then green,
then blue values per image, rows first) and ``b"labels"`` a list of N integers 0..9. The pickles
are read with an unpickler that admits only what those files contain (NumPy arrays, lists,
dicts), so a tampered file cannot run code.
"""
import pickle
import tarfile
from pathlib import Path

import numpy as np
import torch

from .download import download as fetch

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{number}" for number in range(1, 6)]
TEST_BATCHES = ["test_batch"]
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"), ("copy_reg", "_reconstructor"),
            ("copyreg", "_reconstructor"), ("__builtin__", "object"), ("builtins", "object"),
            ("_codecs", "encode")}   # how Python 3 writes bytes in pickle protocol 2


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it refers to {module}.{name}")


def _get(batch, key):
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    raise KeyError(key)


def read_batch(path):
    """``(images uint8 (N, 3, 32, 32), labels int64 (N,))`` from one CIFAR-10 batch file."""
    try:
        with open(path, "rb") as file:
            batch = _BatchUnpickler(file, encoding="bytes").load()
        data = np.asarray(_get(batch, "data"))
        labels = np.asarray(_get(batch, "labels"), dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError,
            IndexError) as error:
        reason = f"missing {error}" if isinstance(error, KeyError) else str(error) or "truncated"
        raise ValueError(f"{path} is not a CIFAR-10 python batch ({reason}); delete it and "
                         "download the data again.") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path} holds data of shape {data.shape} and dtype {data.dtype}, "
                         "not uint8 (N, 3072); delete it and download the data again.")
    if labels.shape != (len(data),) or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise ValueError(f"{path} holds {labels.size} labels for {len(data)} images, or labels "
                         "outside 0..9; delete it and download the data again.")
    return torch.from_numpy(data.reshape(-1, 3, 32, 32).copy()), torch.from_numpy(labels)


def _folder_with(root, names):
    for folder in (root / FOLDER, root):
        if all((folder / name).is_file() for name in names):
            return folder
    return None


def _extract(archive, root):
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(root, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ValueError(f"{archive} cannot be extracted ({error}); delete it and download it "
                         "again.") from None


def load_cifar10(root, train=True, download=False, *, url=None):
    """``(images, labels)``: uint8 images ``(N, 3, 32, 32)`` and int64 labels ``(N,)`` of the
    CIFAR-10 training (50,000, ``data_batch_1..5``) or test (10,000, ``test_batch``) split,
    found in ``root/cifar-10-batches-py`` or ``root``.

    ``download=True`` fetches and extracts the official archive when the batches are missing
    (``url`` replaces the official address, e.g. a local mirror of the same file).
    """
    root = Path(root)
    names = TRAIN_BATCHES if train else TEST_BATCHES
    folder = _folder_with(root, names)
    if folder is None and not download:
        raise FileNotFoundError(
            f"CIFAR-10 {'training' if train else 'test'} batches ({', '.join(names)}) not found "
            f"in {root / FOLDER} or {root}: extract cifar-10-python.tar.gz (the python version, "
            f"{CIFAR10_URL}) into {root}, or pass download=True.")
    if folder is None:
        archive = fetch(url or CIFAR10_URL, root / "cifar-10-python.tar.gz", md5=CIFAR10_MD5)
        _extract(archive, root)
        folder = _folder_with(root, names)
        if folder is None:
            raise ValueError(f"{archive} does not hold the CIFAR-10 batches {', '.join(names)}; "
                             "delete it and download it again.")
    parts = [read_batch(folder / name) for name in names]
    return torch.cat([images for images, _ in parts]), torch.cat([labels for _, labels in parts])
