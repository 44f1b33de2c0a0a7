"""Fetch a file once, verify it, never leave half of it behind.

The file is written to a temporary name in the destination's folder, its checksum compared, and
only then renamed into place (``os.replace``). torch equivalent:
``torchvision.datasets.utils.download_url`` / ``torch.hub.download_url_to_file``.
"""
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

TIMEOUT_SECONDS = 60
CHUNK_BYTES = 1 << 20


class DownloadError(urllib.error.URLError):
    """A download that failed for want of a network or a server; its message is one sentence."""

    def __str__(self):
        return str(self.reason)


def file_digests(path, md5=None, sha256=None):
    """``{"md5": hex, "sha256": hex}`` for the checksums asked for (None: not asked)."""
    hashes = {}
    if md5 is not None:
        hashes["md5"] = hashlib.md5(usedforsecurity=False)
    if sha256 is not None:
        hashes["sha256"] = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK_BYTES), b""):
            for digest in hashes.values():
                digest.update(chunk)
    return {name: digest.hexdigest() for name, digest in hashes.items()}


def _mismatch(path, md5, sha256):
    """The first checksum of ``path`` that differs from the expected one:
    ``(name, expected, got)``, or None."""
    expected = {"md5": md5, "sha256": sha256}
    for name, got in file_digests(path, md5, sha256).items():
        if got != expected[name].lower():
            return name, expected[name], got
    return None


def _fetch(url, target, name, progress):
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
        total = response.headers.get("Content-Length")
        with tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                  unit_divisor=1024, desc=name, disable=not progress) as bar:
            for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                target.write(chunk)
                bar.update(len(chunk))


def download(url, destination, md5=None, sha256=None, progress=True):
    """Download ``url`` to ``destination`` (a file path, or an existing folder to put it in) and
    return the file's path.

    A file already there with the right checksum is kept (without a checksum: kept as it is). A
    download whose checksum differs is deleted and raises ``ValueError``; a network failure raises
    ``DownloadError`` (a ``urllib.error.URLError``), each with a one-sentence message.
    """
    destination = Path(destination)
    if destination.is_dir():
        destination = destination / url.rstrip("/").rsplit("/", 1)[-1]
    if destination.exists():
        if md5 is None and sha256 is None:
            return destination
        if _mismatch(destination, md5, sha256) is None:
            return destination
        print(f"{destination} is damaged or out of date (its checksum differs); downloading it "
              "again.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name + ".",
                                         suffix=".part")
    temporary = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as target:
            try:
                _fetch(url, target, destination.name, progress)
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", None) or error
                raise DownloadError(f"Could not download {url} ({reason}): check the internet "
                                    f"connection, or put the file at {destination} by hand.") \
                    from None
        wrong = _mismatch(temporary, md5, sha256)
        if wrong is not None:
            name, expected, got = wrong
            raise ValueError(f"The file downloaded from {url} has {name} {got}, expected "
                             f"{expected}: it is damaged or not the published file, so it was "
                             "deleted; try again, or fetch it by hand from another mirror.")
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    return destination
