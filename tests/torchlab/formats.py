"""Data written in the official formats, as their publishers describe them, for the readers'
tests: CIFAR-10's pickled python batches and MNIST's idx files."""
import gzip
import io
import pickle
import tarfile

import numpy as np


def cifar_batch(count, seed):
    """``(file bytes, data (count, 3072) uint8, labels)`` of one CIFAR-10 python batch."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (count, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, count).tolist()
    batch = {b"batch_label": b"testing batch", b"labels": labels, b"data": data,
             b"filenames": [f"image_{i}.png".encode() for i in range(count)]}
    return pickle.dumps(batch, protocol=2), data, labels


def cifar_folder(folder, count=6):
    """The five training batches, the test batch and batches.meta in ``folder``; returns
    ``{name: (data, labels)}``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for seed, name in enumerate(names):
        content, data, labels = cifar_batch(count, seed)
        (folder / name).write_bytes(content)
        written[name] = (data, labels)
    meta = {b"label_names": [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog",
                             b"frog", b"horse", b"ship", b"truck"],
            b"num_cases_per_batch": count, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return written


def cifar_archive(tmp_path, count=4):
    """The bytes of a cifar-10-python.tar.gz like the official one, and what it holds."""
    written = cifar_folder(tmp_path / "build" / "cifar-10-batches-py", count)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tmp_path / "build" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return buffer.getvalue(), written


def idx_bytes(array, magic):
    """An idx file of unsigned bytes: magic, one big-endian int32 per dimension, the values."""
    array = np.asarray(array, dtype=np.uint8)
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def mnist_files(count, seed, compressed=True):
    """``{file name: bytes}`` of one split's images and labels, and the arrays they hold."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    files = {}
    for prefix in ("train", "t10k"):
        for name, content in ((f"{prefix}-images-idx3-ubyte", idx_bytes(images, 2051)),
                              (f"{prefix}-labels-idx1-ubyte", idx_bytes(labels, 2049))):
            if compressed:
                files[name + ".gz"] = gzip.compress(content)
            else:
                files[name] = content
    return files, images, labels
