"""MNIST and Fashion-MNIST from their official idx files, with the official addresses and MD5s
(those torchvision uses). torch equivalent: ``torchvision.datasets.MNIST`` / ``FashionMNIST``.

The files are looked for in ``root/MNIST/raw`` (``root/FashionMNIST/raw``), the layout
torchvision uses and where ``download=True`` puts them, then in ``root`` itself.
"""
from pathlib import Path

import torch

from .download import DownloadError, download
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

# variant: (folder, mirrors tried in turn, {file: md5 of the .gz file})
SOURCES = {
    "mnist": ("MNIST", ("https://ossci-datasets.s3.amazonaws.com/mnist/",), {
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    }),
    "fashion": ("FashionMNIST", ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",), {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    }),
}


def _find(folders, name):
    for folder in folders:
        for candidate in (folder / name, folder / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def _fetch(name, folder, mirrors, md5):
    failures = []
    for mirror in mirrors:
        try:
            return download(mirror.rstrip("/") + "/" + name + ".gz", folder / (name + ".gz"),
                            md5=md5)
        except DownloadError as error:
            failures.append(error)
    raise failures[-1]


def load_mnist(root, train=True, variant="mnist", download=False, *, mirror=None):
    """``(images, labels)``: uint8 images ``(N, 1, 28, 28)`` and int64 labels ``(N,)`` of the
    training (60,000) or test (10,000) split of MNIST (``variant="mnist"``) or Fashion-MNIST
    (``variant="fashion"``).

    ``download=True`` fetches missing files into ``root/MNIST/raw`` (``root/FashionMNIST/raw``)
    and checks their MD5; ``mirror`` replaces the official address (a base URL).
    """
    if variant not in SOURCES:
        raise ValueError(f"variant must be 'mnist' or 'fashion', got {variant!r}.")
    folder_name, mirrors, checksums = SOURCES[variant]
    root = Path(root)
    folder = root / folder_name / "raw"
    prefix = "train" if train else "t10k"
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    paths = [_find([folder, root], name) for name in names]
    missing = [name for name, path in zip(names, paths) if path is None]
    if missing and not download:
        raise FileNotFoundError(
            f"{variant} {'training' if train else 'test'} files missing: put "
            f"{' and '.join(name + '.gz' for name in missing)} in {folder} (or {root}), or pass "
            "download=True.")
    for index, name in enumerate(names):
        if paths[index] is None:
            paths[index] = _fetch(name, folder, (mirror,) if mirror else mirrors,
                                  checksums[name])
    images = read_idx(paths[0], magic=IMAGES_MAGIC)
    labels = read_idx(paths[1], magic=LABELS_MAGIC)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{paths[0].name} and {paths[1].name} do not match: images of shape "
                         f"{images.shape}, labels of shape {labels.shape}.")
    return (torch.from_numpy(images.astype("uint8")).unsqueeze(1),
            torch.from_numpy(labels.astype("int64")))
