import gzip
import hashlib
import pickle

import numpy as np
import pytest
import torch

from course.torchlab import load_cifar10, load_digits_images, load_mnist, split_indices
from course.torchlab.idx import read_idx

from .formats import cifar_folder, idx_bytes, mnist_files


@pytest.mark.parametrize("inside", ["cifar-10-batches-py", "."])
def test_cifar10_reads_the_official_batches(tmp_path, inside):
    written = cifar_folder(tmp_path / inside, count=6)
    images, labels = load_cifar10(tmp_path)
    assert images.shape == (30, 3, 32, 32) and images.dtype == torch.uint8
    assert labels.shape == (30,) and labels.dtype == torch.int64
    data, first_labels = written["data_batch_1"]
    assert labels[:6].tolist() == first_labels
    assert labels[6:12].tolist() == written["data_batch_2"][1]
    # a row holds 1024 red values, then green, then blue, each 32x32 row by row
    assert images[2, 1, 5, 7] == data[2, 1024 + 5 * 32 + 7]
    assert images[3, 2, 31, 0] == data[3, 2048 + 31 * 32]
    test_images, test_labels = load_cifar10(tmp_path, train=False)
    assert test_images.shape == (6, 3, 32, 32)
    assert np.array_equal(test_images.reshape(6, -1).numpy(), written["test_batch"][0])


def test_cifar10_missing_batches_say_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True") as caught:
        load_cifar10(tmp_path)
    assert "data_batch_1" in str(caught.value) and str(tmp_path) in str(caught.value)


def test_cifar10_malformed_batches_are_named(tmp_path):
    cifar_folder(tmp_path, count=2)
    (tmp_path / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="test_batch is not a CIFAR-10 python batch"):
        load_cifar10(tmp_path, train=False)
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"labels": [1, 2]}, protocol=2))
    with pytest.raises(ValueError, match="missing 'data'"):
        load_cifar10(tmp_path, train=False)
    bad = {b"labels": [1, 2], b"data": np.zeros((2, 100), np.uint8)}
    (tmp_path / "test_batch").write_bytes(pickle.dumps(bad, protocol=2))
    with pytest.raises(ValueError, match=r"not uint8 \(N, 3072\)"):
        load_cifar10(tmp_path, train=False)
    bad = {b"labels": [1, 12], b"data": np.zeros((2, 3072), np.uint8)}
    (tmp_path / "test_batch").write_bytes(pickle.dumps(bad, protocol=2))
    with pytest.raises(ValueError, match="outside 0..9"):
        load_cifar10(tmp_path, train=False)


def test_cifar10_pickles_cannot_run_code(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this ran",))

    cifar_folder(tmp_path, count=2)
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": Payload()}))
    with pytest.raises(ValueError, match="refers to builtins.print"):
        load_cifar10(tmp_path, train=False)


@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize("variant, folder", [("mnist", "."), ("mnist", "MNIST/raw"),
                                             ("fashion", "FashionMNIST/raw")])
def test_mnist_reads_idx_files(tmp_path, compressed, variant, folder):
    files, images, labels = mnist_files(5, seed=1, compressed=compressed)
    (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (tmp_path / folder / name).write_bytes(content)
    for train in (True, False):
        got_images, got_labels = load_mnist(tmp_path, train=train, variant=variant)
        assert got_images.shape == (5, 1, 28, 28) and got_images.dtype == torch.uint8
        assert got_labels.dtype == torch.int64
        assert np.array_equal(got_images[:, 0].numpy(), images)
        assert np.array_equal(got_labels.numpy(), labels)


def test_mnist_missing_files_say_which_and_where(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        load_mnist(tmp_path, train=False)
    message = str(caught.value)
    assert "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "MNIST" / "raw") in message and "download=True" in message
    with pytest.raises(ValueError, match="'mnist' or 'fashion'"):
        load_mnist(tmp_path, variant="kmnist")


def test_mnist_with_swapped_files_names_the_magic_number(tmp_path):
    files, _, _ = mnist_files(3, seed=0)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(files["train-labels-idx1-ubyte.gz"])
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(files["train-images-idx3-ubyte.gz"])
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        load_mnist(tmp_path)


def test_idx_reader_checks_its_header(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(ValueError, match="not an idx file"):
        read_idx(path)
    path.write_bytes(idx_bytes(np.zeros((4, 2, 2)), 2051)[:-3])
    with pytest.raises(ValueError, match="header promises shape"):
        read_idx(path)
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 2, 2)), 2051))[:-8])
    with pytest.raises(ValueError, match="damaged gzip"):
        read_idx(path)
    floats = np.arange(6, dtype=">f4").reshape(2, 3)
    path.write_bytes((0x0D02).to_bytes(4, "big") + (2).to_bytes(4, "big")
                     + (3).to_bytes(4, "big") + floats.tobytes())
    assert np.array_equal(read_idx(path), floats)


def test_digits_images_are_scaled_tensors():
    images, labels = load_digits_images()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert float(images.min()) == 0.0 and float(images.max()) == 1.0
    assert labels.dtype == torch.int64 and set(labels.tolist()) == set(range(10))
    from sklearn.datasets import load_digits
    assert np.allclose(images[:, 0].numpy() * 16, load_digits().images)
    big, _ = load_digits_images(size=28)
    assert big.shape == (1797, 1, 28, 28) and 0 <= float(big.min()) <= float(big.max()) <= 1
    with pytest.raises(ValueError, match="at least 8"):
        load_digits_images(size=4)


def test_split_indices_are_disjoint_complete_and_reproducible():
    train, val, test = split_indices(103, seed=4)
    assert (len(train), len(val), len(test)) == (83, 10, 10)
    assert sorted(torch.cat([train, val, test]).tolist()) == list(range(103))
    again = split_indices(103, seed=4)
    assert all(torch.equal(a, b) for a, b in zip((train, val, test), again))
    assert not torch.equal(split_indices(103, seed=5)[0], train)
    part, rest = split_indices(10, fractions=(0.5, 0.2))
    assert len(part) == 5 and len(rest) == 2 and not set(part.tolist()) & set(rest.tolist())
    with pytest.raises(ValueError, match="add up to at most 1"):
        split_indices(10, fractions=(0.8, 0.3))
    digest = hashlib.md5(str(train.tolist()).encode()).hexdigest()
    assert digest == hashlib.md5(str(split_indices(103, seed=4)[0].tolist()).encode()).hexdigest()
