"""The idx format of MNIST and Fashion-MNIST (gzipped or not), read into a NumPy array.

An idx file starts with a big-endian magic number: two zero bytes, a type code (0x08: unsigned
bytes) and the number of dimensions; then one big-endian int32 per dimension; then the values.
Images are magic 2051 (0x00000803: bytes, 3 dimensions), labels 2049 (0x00000801).
"""
import gzip
from pathlib import Path

import numpy as np

TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
         0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


def _read_bytes(path):
    path = Path(path)
    with open(path, "rb") as file:
        start = file.read(2)
    opener = gzip.open if start == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as file:
            return file.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} is a damaged gzip file ({error}); delete it and download it "
                         "again.") from None


def read_idx(path, magic=None):
    """The array stored in the idx file ``path``; ``magic`` (e.g. 2051) is checked when given."""
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in TYPES:
        raise ValueError(f"{path} is not an idx file (it starts with bytes {data[:4].hex()}, "
                         "not 0000 then a type code); delete it and download it again.")
    found = int.from_bytes(data[:4], "big")
    if magic is not None and found != magic:
        raise ValueError(f"{path} has idx magic number {found}, expected {magic} "
                         f"({'images' if magic == IMAGES_MAGIC else 'labels'}): is it the right "
                         "file?")
    dtype, ndim = TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} ends inside its idx header; delete it and download it again.")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path} holds {len(data) - header} bytes of values, but its header "
                         f"promises shape {shape} ({expected} bytes); delete it and download it "
                         "again.")
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))
