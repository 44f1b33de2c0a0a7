"""The wire between the judge and a grading kernel: framed JSON, values as plain data.

Both sides use this file. What crosses it is data only — numbers, strings, tuples, lists, dicts,
NumPy arrays and scalars, torch tensors (as arrays) — or a *handle*: the number of an object that
stays on the kernel's side. Decoding never runs code and never unpickles: a malicious kernel can
send wrong numbers, nothing else. Lists, dicts and arrays the judge sends carry a reference
number, so that the kernel can send back what a call changed in place (an optimizer's step).
"""
import base64
import json
import os
import select
import struct
import time

import numpy as np

MAX_DEPTH = 32  # values nested deeper than this travel as handles
# What a reply may be, checked on its bytes before it is parsed (parsing is where memory goes:
# 48 MB of "[{},{},...]" would take gigabytes as Python objects). The labs' largest honest
# replies, measured over every lab's solution graded on a CPU (COURSE_WIRE_MEASURE): 2.2 MB,
# 556 values, 9 levels. The size leaves room for full-size PyTorch state dicts on a GPU.
MAX_MESSAGE_BYTES = 128 * 1024 * 1024
MAX_JSON_DEPTH = 2 * MAX_DEPTH + 16  # every value level is two JSON levels ({"$":..., "items": [...]})
MAX_ELEMENTS = 200_000  # JSON values in containers (every comma, bracket and brace counts)
DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128"}


class WireError(Exception):
    """The other side sent something that is not a valid message."""


# -- framing ------------------------------------------------------------------------------------
def send(sock, message):
    payload = json.dumps(message, separators=(",", ":"), allow_nan=True).encode()
    sock.sendall(struct.pack(">Q", len(payload)) + payload)


class Deadline(Exception):
    """The other side did not send a whole message in time; ``partial`` is True when it had
    begun one (the stream can then not be trusted any more)."""

    def __init__(self, partial):
        super().__init__("no whole message in time")
        self.partial = partial


def _read_exactly(sock, size, deadline=None, started=False):
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            try:
                readable = left > 0 and select.select([sock], [], [], left)[0]
            except (OSError, ValueError):
                readable = True  # closed: recv says so
            if not readable:
                raise Deadline(partial=started or bool(chunks))
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def check_shape(payload):
    """``(values, depth)`` of a JSON message, from its bytes alone and with little memory;
    WireError when it holds more values or is nested deeper than the limits. Escapes are
    dropped, the quotes then delimit the strings, and outside them every comma, bracket and
    brace counts (strings themselves are separated by commas or colons)."""
    text = payload.replace(b"\\\\", b"").replace(b'\\"', b"")
    if text.count(b'"') > 4 * MAX_ELEMENTS + 8:  # every value and key is at most two quotes and a separator
        raise WireError(f"a message holds more than {MAX_ELEMENTS} values")
    outside = b"".join(text.split(b'"')[0::2])
    elements = outside.count(b",") + outside.count(b"[") + outside.count(b"{")
    if elements > MAX_ELEMENTS:
        raise WireError(f"a message holds more than {MAX_ELEMENTS} values")
    marks = np.frombuffer(outside.translate(None, _NOT_BRACKETS), np.uint8)
    depth = int(np.cumsum(np.where((marks == ord("[")) | (marks == ord("{")), 1, -1)).max()) if marks.size else 0
    if depth > MAX_JSON_DEPTH:
        raise WireError(f"a message is nested more than {MAX_JSON_DEPTH} levels deep")
    return elements, depth


_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def receive(sock, deadline=None):
    """One message. ``deadline`` (a ``time.monotonic()`` value): raise ``Deadline`` when the
    whole message is not there by then."""
    (size,) = struct.unpack(">Q", _read_exactly(sock, 8, deadline))
    if size > MAX_MESSAGE_BYTES:
        raise WireError(f"a message of {size} bytes is larger than the limit of {MAX_MESSAGE_BYTES}")
    payload = _read_exactly(sock, size, deadline, started=True)
    elements, depth = check_shape(payload)
    if _MEASURE:
        with open(_MEASURE, "a") as log:
            log.write(f"{size} {elements} {depth}\n")
    try:
        message = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise WireError(f"a message is not valid JSON ({type(error).__name__})") from None
    if not isinstance(message, dict):
        raise WireError("a message is not a JSON object")
    return message


_MEASURE = os.environ.get("COURSE_WIRE_MEASURE")  # a file that gets "bytes elements" of every message received


# -- values -------------------------------------------------------------------------------------
def _array(value, tag):
    value = np.asarray(value)
    if not value.flags.c_contiguous:  # (np.ascontiguousarray would turn a 0-d array into shape (1,))
        value = value.copy(order="C")
    return {"$": tag, "dtype": value.dtype.name, "shape": list(value.shape),
            "data": base64.b64encode(value.tobytes()).decode("ascii")}


def _torch_tensor(value):
    import torch

    value = value.detach().cpu()
    if value.dtype == torch.bfloat16:
        value = value.float()
    return _array(value.numpy(), "tensor")


class Encoder:
    """Turns a value into wire data. ``handle(obj)`` gives a handle for what is not data;
    ``ref_of(obj)`` gives the reference number of an object the other side sent (or None)."""

    def __init__(self, handle=None, ref_of=None):
        self.handle = handle
        self.ref_of = ref_of or (lambda obj: None)

    def encode(self, value, depth=0, mutable_state=False):
        ref = None if mutable_state else self.ref_of(value)
        if ref is not None:
            return {"$": "ref", "ref": ref}
        if value is None or isinstance(value, (bool, str)):
            return value
        if type(value) in (int, float):
            return value
        if depth > MAX_DEPTH:
            return self._handle(value)
        if isinstance(value, np.ndarray) and value.dtype.name in DTYPES:
            return _array(value, "array")
        if isinstance(value, np.generic) and value.dtype.name in DTYPES:
            item = value.item()
            return {"$": "scalar", "dtype": value.dtype.name,
                    "value": [item.real, item.imag] if isinstance(item, complex) else item}
        if type(value).__module__.startswith("torch") and type(value).__name__ in ("Tensor", "Parameter"):
            return _torch_tensor(value)
        if type(value) is tuple:
            return {"$": "tuple", "items": [self.encode(v, depth + 1) for v in value]}
        if type(value) is list:
            return {"$": "list", "items": [self.encode(v, depth + 1) for v in value]}
        if type(value) is dict and all(type(k) in (str, int, float, bool) or k is None for k in value):
            return {"$": "dict", "items": [[k, self.encode(v, depth + 1)] for k, v in value.items()]}
        return self._handle(value)

    def _handle(self, value):
        if self.handle is None:
            raise WireError(f"a {type(value).__name__} cannot be sent as data")
        return self.handle(value)


def _decode_array(data, torch_tensor):
    dtype, shape = data.get("dtype"), data.get("shape")
    if dtype not in DTYPES or not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise WireError("an array has an unknown dtype or a malformed shape")
    try:
        raw = base64.b64decode(data.get("data", ""), validate=True)
    except (ValueError, TypeError):
        raise WireError("an array's data is not base64") from None
    expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if len(raw) != expected:
        raise WireError(f"an array of shape {tuple(shape)} and dtype {dtype} came with {len(raw)} bytes, not {expected}")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if torch_tensor:
        import torch

        if dtype in ("uint16", "uint32", "uint64"):  # torch has no tensors of these
            array = array.astype(np.int64)
        return torch.from_numpy(array)
    return array


class Decoder:
    """Turns wire data into values. ``handle(data)`` makes the local stand-in for a handle;
    ``resolve_ref(ref)`` gives back the local object behind a reference number."""

    def __init__(self, handle, resolve_ref):
        self.handle, self.resolve_ref = handle, resolve_ref

    def decode(self, data, depth=0):
        if data is None or isinstance(data, (bool, int, float, str)):
            return data
        if depth > MAX_DEPTH + 2:
            raise WireError("a value is nested too deeply")
        if not isinstance(data, dict):
            raise WireError(f"unexpected {type(data).__name__} in a value")
        tag = data.get("$")
        if tag in ("array", "tensor"):
            return _decode_array(data, tag == "tensor")
        if tag == "scalar":
            dtype, value = data.get("dtype"), data.get("value")
            if dtype not in DTYPES:
                raise WireError("a scalar has an unknown dtype")
            if isinstance(value, list) and len(value) == 2:
                value = complex(*value)
            if not isinstance(value, (bool, int, float, complex)):
                raise WireError("a scalar has no numeric value")
            return np.dtype(dtype).type(value)
        items = data.get("items")
        if tag in ("tuple", "list", "dict") and not isinstance(items, list):
            raise WireError(f"a {tag} has no items")
        if tag == "tuple":
            return tuple(self.decode(v, depth + 1) for v in items)
        if tag == "list":
            return [self.decode(v, depth + 1) for v in items]
        if tag == "dict":
            if not all(isinstance(pair, list) and len(pair) == 2 and (pair[0] is None or isinstance(pair[0], (str, int, float, bool))) for pair in items):
                raise WireError("a dict has malformed items")
            return {key: self.decode(value, depth + 1) for key, value in items}
        if tag == "ref":
            return self.resolve_ref(data.get("ref"))
        if tag == "handle":
            return self.handle(data)
        raise WireError(f"unknown value tag {tag!r}")


def is_mutable(value):
    """What the kernel reports back after a call when it changed: arrays, lists, dicts."""
    return type(value) in (list, dict) or (isinstance(value, np.ndarray) and value.dtype.name in DTYPES)

