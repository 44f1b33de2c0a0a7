"""The judge's end of the wire: the student's functions and objects as stand-ins (proxies).

``KernelObject`` stands for something that lives in the sandboxed kernel. Calling it sends the
arguments there and brings the result back as data (or as another stand-in); arrays, lists and
dicts passed to it are updated afterwards with what the student's code changed in place, as a
local call would have. Test code, references, seeds and comparisons never leave this process.
"""
import copy
import itertools

import numpy as np

from .. import wire


class KernelGone(BaseException):
    """The kernel stopped answering (it crashed, was killed, or ran out of time). A
    BaseException, so that no check's ``except Exception`` mistakes it for the student's error."""


class StudentError(Exception):
    """Base of the stand-ins for exceptions raised by the student's code in the kernel."""


_error_types = {}


def student_exception(type_name, message, function=None):
    """An exception of a class named like the student's, carrying the student's (shortened) text
    and, as ``student_function``, the name of the notebook function it came from."""
    if type_name == "NotImplementedError":
        error = NotImplementedError(message)
    elif type_name == "KeyboardInterrupt":
        return StudentTimeout(message)
    else:
        name = type_name if type_name.isidentifier() else "Exception"
        if name not in _error_types:
            _error_types[name] = type(name, (StudentError,), {"__module__": "student"})
        error = _error_types[name](message)
    if isinstance(function, str) and function.replace(".", "_").isidentifier():
        error.student_function = function
    return error


class StudentTimeout(StudentError, TimeoutError):
    """The student's code ran past the time limit and was interrupted."""


class Kernel:
    """Requests to one kernel; ``call``/``lookup`` speak in values, not wire data.

    A request may change only what it handed over, and only in its own reply. What a request
    hands over is what its arguments hold (every array, list and dict carries a reference
    number) and what its target holds: a stand-in that a request brought back holds what that
    request handed over (an optimizer built on a list of parameters, and its ``step`` method,
    hold that list). Nothing of this comes from the kernel's word: which object is a class, or
    which handle number comes back, changes no one's rights.
    """

    def __init__(self, channel, call_timeout=300.0):
        self.channel = channel  # .request(message, timeout) -> reply dict; raises KernelGone
        self.call_timeout = call_timeout  # seconds one call of the student's code may take
        self._refs = {}  # reference number -> our object (kept alive, so ids stay unique)
        self._ref_of_id = {}
        self._counter = itertools.count(1)
        self._proxies = {}  # (handle number, what it holds) -> stand-in
        self._sending = set()  # references in the request being encoded
        self._handed = frozenset()  # references the request being answered handed over
        self.encoder = wire.Encoder(handle=self._encode_proxy, ref_of=lambda obj: None)
        self.decoder = wire.Decoder(handle=self._proxy, resolve_ref=self._resolve_ref)

    # -- values ------------------------------------------------------------------------------
    def _encode_proxy(self, value):
        if isinstance(value, KernelObject) and object.__getattribute__(value, "_kernel") is self:
            return {"$": "handle", "id": object.__getattribute__(value, "_id")}
        raise TypeError(f"a {type(value).__name__} cannot be passed to the student's code while grading")

    def _proxy(self, data):
        number = data.get("id")
        if not isinstance(number, int):
            raise wire.WireError("a handle without a number")
        key = (number, self._handed)  # the same kernel object brought back by another request holds nothing more
        if key not in self._proxies:
            self._proxies[key] = KernelObject(self, number, str(data.get("type") or "object")[:80],
                                              data.get("name") if isinstance(data.get("name"), str) else None,
                                              bool(data.get("callable")), self._handed)
        return self._proxies[key]

    def _resolve_ref(self, ref):
        if ref not in self._refs:
            raise wire.WireError(f"the kernel named an object ({ref!r}) that was never sent to it")
        if ref in self._handed:
            return self._refs[ref]
        return copy.deepcopy(self._refs[ref])  # not this request's to give back: a copy, never the judge's own

    def encode(self, value, depth=0):
        """Wire data for an argument; arrays, lists and dicts get a reference number."""
        if isinstance(value, KernelObject):
            return self._encode_proxy(value)
        if wire.is_mutable(value):
            ref = self._ref_of_id.get(id(value))
            if ref is None or self._refs.get(ref) is not value:
                ref = next(self._counter)
                self._refs[ref] = value
                self._ref_of_id[id(value)] = ref
            self._sending.add(ref)
            if type(value) is list:
                data = {"$": "list", "items": [self.encode(v, depth + 1) for v in value]}
            elif type(value) is dict:
                data = {"$": "dict", "items": [[k, self.encode(v, depth + 1)] for k, v in value.items()]}
            else:
                data = self.encoder.encode(value)
            return dict(data, ref=ref)
        if type(value) is tuple:
            return {"$": "tuple", "items": [self.encode(v, depth + 1) for v in value]}
        return self.encoder.encode(value, depth)

    def _apply_changes(self, changes):
        if not isinstance(changes, list):
            return
        for item in changes:  # only what this request handed over
            if not (isinstance(item, list) and len(item) == 2 and item[0] in self._handed):
                continue
            original, new = self._refs[item[0]], self.decoder.decode(item[1])
            if isinstance(original, np.ndarray) and isinstance(new, np.ndarray):
                if new.shape == original.shape:
                    original[...] = new.astype(original.dtype, copy=False)
            elif type(original) is list and type(new) is list:
                original[:] = new
            elif type(original) is dict and type(new) is dict:
                original.clear()
                original.update(new)

    # -- requests ----------------------------------------------------------------------------
    def _value_of(self, reply):
        self._apply_changes(reply.get("changes"))
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            raise student_exception(str(error.get("type", "Exception"))[:80], str(error.get("message", ""))[:600],
                                    error.get("function"))
        return self.decoder.decode(reply.get("value"))

    def lookup(self, name, timeout):
        """The value of ``name`` in the notebook; NameError when the notebook has none."""
        return self._request(lambda: {"op": "lookup", "name": name}, timeout, changes=False)

    def _request(self, message_of, timeout, target=None, changes=True):
        """Encode (``message_of()``) and send one request; decode its reply, applying the
        changes it reports to what this request handed over."""
        self._sending = set()
        message = message_of()
        holds = object.__getattribute__(target, "_holds") if isinstance(target, KernelObject) else frozenset()
        handed = frozenset(self._sending) | holds
        self._sending = set()
        reply = self.channel.request(message, timeout)
        if reply.get("missing") and message.get("op") == "lookup":
            raise NameError(f"name '{message['name']}' is not defined")
        self._handed = handed
        try:
            return self._value_of(reply if changes else dict(reply, changes=None))
        finally:
            self._handed = frozenset()

    def call(self, target, args, kwargs, timeout, probe=None):
        def message():
            built = {"op": "probe" if probe else "call", "target": self.encode(target),
                     "args": [self.encode(a) for a in args], "kwargs": {k: self.encode(v) for k, v in kwargs.items()}}
            return dict(built, name=probe) if probe else built

        return self._request(message, timeout, target)

    def getattr(self, target, name, timeout):
        try:
            return self._request(lambda: {"op": "getattr", "target": self.encode(target), "name": name}, timeout, target)
        except StudentError as error:
            if type(error).__name__ == "AttributeError":
                raise AttributeError(str(error)) from None
            raise

    def setattr(self, target, name, value, timeout):
        self._request(lambda: {"op": "setattr", "target": self.encode(target), "name": name,
                               "args": [self.encode(value)]}, timeout, target)


class KernelObject:
    """A stand-in for an object in the student's kernel: a function, a class, an instance."""

    def __init__(self, kernel, number, type_name, name, is_callable, holds=frozenset()):
        object.__setattr__(self, "_kernel", kernel)
        object.__setattr__(self, "_holds", holds)  # references the request that brought it back handed over
        object.__setattr__(self, "_id", number)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "__name__", name or type_name)
        object.__setattr__(self, "_callable", is_callable)

    def __call__(self, *args, **kwargs):
        kernel = object.__getattribute__(self, "_kernel")
        return kernel.call(self, args, kwargs, kernel.call_timeout)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # Python's and NumPy's protocol lookups stay on this side
        kernel = object.__getattribute__(self, "_kernel")
        return kernel.getattr(self, name, kernel.call_timeout)

    def __setattr__(self, name, value):
        kernel = object.__getattribute__(self, "_kernel")
        kernel.setattr(self, name, value, kernel.call_timeout)

    def __repr__(self):
        return f"<the notebook's {object.__getattribute__(self, '_type_name')} {self.__name__}>"

    @staticmethod
    def __course_remote__(remote, probe):
        """``probe_student`` hook: a function that runs ``probe`` (from ``course.probes``) in the
        kernel where ``remote`` lives."""
        kernel = object.__getattribute__(remote, "_kernel")

        def run_probe(*args, **kwargs):
            return kernel.call(None, args, kwargs, kernel.call_timeout, probe=probe.__name__)

        run_probe.__name__ = getattr(probe, "__name__", "probe")
        return run_probe
