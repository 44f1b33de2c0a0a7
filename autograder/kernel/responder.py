"""The kernel's side of the wire: run a cell, look up a name, call a function, take a probe.

Requests come one at a time over a socket from the judge. Whatever the student's code does to
this module only changes what is sent back, and what is sent back is data that the judge checks.
"""
import base64
import hashlib
import os
import weakref

from .. import wire
from .shell import make_shell, run_cell

MAX_MESSAGE_CHARS = 500


def _short(text):
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "…"


class Responder:
    def __init__(self, sock, shell=None):
        self.sock = sock
        self.shell = shell or make_shell()
        self.objects = {}  # handle number -> object the judge holds a handle to
        self.handle_of = {}  # id(object) -> handle number
        self.refs = {}  # the judge's reference number -> (weak or strong) reference to our copy
        self.ref_of_id = {}
        self.last_state = {}  # reference number -> digest of the state last reported
        self.encoder = wire.Encoder(handle=self._handle, ref_of=self._ref_of)
        self.decoder = wire.Decoder(handle=self._object_of_handle, resolve_ref=self._resolve_ref)

    # -- handles and references --------------------------------------------------------------
    def _handle(self, obj):
        number = self.handle_of.get(id(obj))
        if number is None or self.objects.get(number) is not obj:
            number = len(self.objects) + 1
            self.objects[number] = obj
            self.handle_of[id(obj)] = number
        name = getattr(obj, "__name__", None)
        return {"$": "handle", "id": number, "type": type(obj).__name__[:80],
                "name": name[:80] if isinstance(name, str) else None, "callable": callable(obj)}

    def _object_of_handle(self, data):
        number = data.get("id")
        if number not in self.objects:
            raise wire.WireError(f"unknown handle {number!r}")
        return self.objects[number]

    def _resolve_ref(self, ref):
        obj = self._live(ref)
        if obj is None:
            raise wire.WireError(f"unknown reference {ref!r}")
        return obj

    def _live(self, ref):
        holder = self.refs.get(ref)
        if holder is None:
            return None
        return holder() if isinstance(holder, weakref.ref) else holder

    def _ref_of(self, obj):
        ref = self.ref_of_id.get(id(obj))
        return ref if ref is not None and self._live(ref) is obj else None

    def _decode_argument(self, data):
        """Decode what the judge sent; a value with a reference number becomes (or updates) our
        copy of that object, so that one object sent twice is one object here too."""
        if isinstance(data, dict) and data.get("$") in ("array", "list", "dict") and "ref" in data:
            ref = data["ref"]
            plain = {k: v for k, v in data.items() if k != "ref"}
            if data["$"] == "list":
                value = [self._decode_argument(v) for v in plain["items"]]
            elif data["$"] == "dict":
                value = {k: self._decode_argument(v) for k, v in plain["items"]}
            else:
                value = self.decoder.decode(plain)
            existing = self._live(ref)
            if existing is not None:
                value = _update_in_place(existing, value)
            else:
                self.refs[ref] = weakref.ref(value) if not isinstance(value, (list, dict)) else value
                self.ref_of_id[id(value)] = ref
            self.last_state[ref] = self._digest(value)
            return value
        if isinstance(data, dict) and data.get("$") in ("tuple", "list") and isinstance(data.get("items"), list):
            items = [self._decode_argument(v) for v in data["items"]]
            return tuple(items) if data["$"] == "tuple" else items
        if isinstance(data, dict) and data.get("$") == "dict" and isinstance(data.get("items"), list):
            return {k: self._decode_argument(v) for k, v in data["items"]}
        return self.decoder.decode(data)

    def _digest(self, value):
        return hashlib.blake2b(repr(self.encoder.encode(value, mutable_state=True)).encode(), digest_size=16).digest()

    def _changes(self):
        """``[[ref, state]]`` for every object the judge sent that changed since it was sent."""
        changes = []
        for ref in list(self.refs):
            value = self._live(ref)
            if value is None:
                del self.refs[ref]
                self.last_state.pop(ref, None)
                continue
            state = self.encoder.encode(value, mutable_state=True)
            digest = hashlib.blake2b(repr(state).encode(), digest_size=16).digest()
            if digest != self.last_state.get(ref):
                self.last_state[ref] = digest
                changes.append([ref, state])
        return changes

    # -- requests ----------------------------------------------------------------------------
    def serve(self):
        while True:
            try:
                request = wire.receive(self.sock)
            except (EOFError, OSError):
                return
            number = request.get("id")  # every reply names the request it answers
            try:
                reply = self.answer(request)
            except KeyboardInterrupt:
                reply = {"error": {"type": "KeyboardInterrupt", "message": "interrupted"}}
            except wire.WireError as error:
                reply = {"error": {"type": "WireError", "message": _short(error)}}
            try:
                wire.send(self.sock, dict(reply, id=number))
            except KeyboardInterrupt:
                wire.send(self.sock, {"error": {"type": "KeyboardInterrupt", "message": "interrupted"}, "id": number})
            except wire.WireError as error:
                wire.send(self.sock, {"error": {"type": "WireError", "message": _short(error)}, "id": number})

    def answer(self, request):
        op = request.get("op")
        if op == "run":
            return run_cell(self.shell, request.get("code", ""))
        if op == "files":
            return self._write_files(request.get("files", {}))
        if op == "lookup":
            name = request.get("name")
            if name not in self.shell.user_ns:
                return {"missing": True}
            return {"value": self.encoder.encode(self.shell.user_ns[name])}
        if op in ("call", "getattr", "setattr", "probe"):
            return self._invoke(op, request)
        return {"error": {"type": "WireError", "message": f"unknown request {op!r}"}}

    def _invoke(self, op, request):
        try:
            target = self._decode_argument(request.get("target"))
            if op == "getattr":
                result = getattr(target, str(request.get("name")))
            elif op == "setattr":
                setattr(target, str(request.get("name")), self._decode_argument((request.get("args") or [None])[0]))
                result = None
            else:
                args = [self._decode_argument(a) for a in request.get("args", [])]
                kwargs = {str(k): self._decode_argument(v) for k, v in request.get("kwargs", {}).items()}
                if op == "probe":
                    from course import probes

                    target = getattr(probes, str(request.get("name")))
                result = target(*args, **kwargs)
            value = self.encoder.encode(result)
        except KeyboardInterrupt:
            raise
        except wire.WireError:
            raise
        except BaseException as error:  # SystemExit too: a student's function must not end the kernel
            from course.tracebacks import function_that_raised

            culprit = function_that_raised(error)
            return {"error": {"type": type(error).__name__[:80], "message": _short(error),
                              "function": str(culprit)[:120] if culprit else None},
                    "changes": self._changes()}
        return {"value": value, "changes": self._changes()}

    def _write_files(self, files):
        for relative, encoded in files.items():
            path = os.path.normpath(relative)
            if path.startswith("..") or os.path.isabs(path):
                continue
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(base64.b64decode(encoded))
        return {"status": "ok"}


def _update_in_place(existing, value):
    """Make our copy look like the judge's, keeping its identity where the type allows."""
    import numpy as np

    if isinstance(existing, np.ndarray) and isinstance(value, np.ndarray) and existing.shape == value.shape \
            and existing.dtype == value.dtype and existing.flags.writeable:
        existing[...] = value
        return existing
    if type(existing) is list and type(value) is list:
        existing[:] = value
        return existing
    if type(existing) is dict and type(value) is dict:
        existing.clear()
        existing.update(value)
        return existing
    return value
