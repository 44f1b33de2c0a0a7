import hashlib
import urllib.error

import numpy as np
import pytest
import torch

from course.torchlab import DownloadError, download, load_cifar10, load_mnist
from course.torchlab import cifar, mnist

from .formats import cifar_archive, mnist_files

CONTENT = b"the published file\n" * 1000


def md5(content):
    return hashlib.md5(content).hexdigest()


def test_a_verified_download_lands_in_place(serve, tmp_path):
    base = serve({"data.bin": CONTENT})
    target = tmp_path / "out" / "data.bin"
    path = download(base + "data.bin", target, md5=md5(CONTENT),
                    sha256=hashlib.sha256(CONTENT).hexdigest(), progress=False)
    assert path == target and target.read_bytes() == CONTENT
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.bin"]
    # present with the right checksum: no network needed any more
    assert download("http://127.0.0.1:9/gone", target, md5=md5(CONTENT)) == target
    # a folder as destination keeps the file's name
    assert download(base + "data.bin", tmp_path, progress=False) == tmp_path / "data.bin"


def test_a_wrong_checksum_leaves_nothing_behind(serve, tmp_path):
    base = serve({"data.bin": CONTENT})
    target = tmp_path / "data.bin"
    with pytest.raises(ValueError) as caught:
        download(base + "data.bin", target, md5="0" * 32, progress=False)
    message = str(caught.value)
    assert "0" * 32 in message and md5(CONTENT) in message and "deleted" in message
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="sha256"):
        download(base + "data.bin", target, sha256="f" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_file_is_downloaded_again(serve, tmp_path, capsys):
    base = serve({"data.bin": CONTENT})
    target = tmp_path / "data.bin"
    target.write_bytes(CONTENT[:100])
    download(base + "data.bin", target, md5=md5(CONTENT), progress=False)
    assert target.read_bytes() == CONTENT
    assert "downloading it again" in capsys.readouterr().out


def test_network_errors_are_one_sentence(serve, tmp_path):
    base = serve({})
    for url in (base + "missing.bin", "http://127.0.0.1:9/refused.bin"):
        with pytest.raises(DownloadError) as caught:
            download(url, tmp_path / "x.bin", progress=False)
        error = caught.value
        assert isinstance(error, urllib.error.URLError)
        assert str(error).startswith(f"Could not download {url} (")
        assert "put the file at" in str(error) and "\n" not in str(error)
        assert error.__cause__ is None and error.__suppress_context__
        assert list(tmp_path.iterdir()) == []


def test_load_mnist_downloads_from_a_mirror(serve, tmp_path, monkeypatch):
    files, images, labels = mnist_files(4, seed=3)
    for name, content in files.items():
        monkeypatch.setitem(mnist.SOURCES["fashion"][2], name[:-3], md5(content))
    base = serve({"fashion/" + name: content for name, content in files.items()})
    got_images, got_labels = load_mnist(tmp_path, variant="fashion", download=True,
                                        mirror=base + "fashion")
    assert np.array_equal(got_images[:, 0].numpy(), images)
    assert np.array_equal(got_labels.numpy(), labels)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == ["train-images-idx3-ubyte.gz",
                                                     "train-labels-idx1-ubyte.gz"]
    # with the official checksums these files are not the published ones
    monkeypatch.setitem(mnist.SOURCES["mnist"][2], "t10k-images-idx3-ubyte", "1" * 32)
    with pytest.raises(ValueError, match="expected 1111"):
        load_mnist(tmp_path, train=False, download=True, mirror=base + "fashion")
    assert not (tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").exists()


def test_load_mnist_asks_the_official_addresses(tmp_path, monkeypatch):
    asked = []

    def fake_download(url, destination, md5=None):
        asked.append((url, md5))
        raise DownloadError("offline")

    monkeypatch.setattr(mnist, "download", fake_download)
    with pytest.raises(DownloadError):
        load_mnist(tmp_path, download=True)
    assert asked == [("https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
                      "f68b3c2dcbeaaa9fbdd348bbdeb94873")]


def test_load_cifar10_downloads_and_extracts_the_archive(serve, tmp_path, monkeypatch):
    archive, written = cifar_archive(tmp_path, count=4)
    base = serve({"cifar-10-python.tar.gz": archive})
    monkeypatch.setattr(cifar, "CIFAR10_MD5", md5(archive))
    root = tmp_path / "data"
    images, labels = load_cifar10(root, download=True, url=base + "cifar-10-python.tar.gz")
    assert images.shape == (20, 3, 32, 32) and labels.dtype == torch.int64
    assert np.array_equal(images[:4].reshape(4, -1).numpy(), written["data_batch_1"][0])
    assert (root / "cifar-10-batches-py" / "batches.meta").is_file()
    test_images, _ = load_cifar10(root, train=False, download=True, url="http://127.0.0.1:9/")
    assert test_images.shape == (4, 3, 32, 32)      # already there: no download


def test_load_cifar10_rejects_an_archive_with_the_wrong_checksum(serve, tmp_path):
    archive, _ = cifar_archive(tmp_path, count=1)
    base = serve({"c.tar.gz": archive})
    root = tmp_path / "data"
    with pytest.raises(ValueError, match=f"expected {cifar.CIFAR10_MD5}"):
        load_cifar10(root, download=True, url=base + "c.tar.gz")
    assert list(root.iterdir()) == []
