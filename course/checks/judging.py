"""The judging machinery every check shares: call the student's code safely, compare one
output with what it should be, and explain a mismatch in one sentence with a hint."""
import contextlib
import dataclasses
import inspect
import re
import warnings

import numpy as np

from ..tracebacks import function_that_raised


FORWARD_THRESHOLD = 1e-7
GRADIENT_THRESHOLD = 1e-6

_grading_secret = None  # set by the grader, per grading run, in the judge's process only


def use_grading_secret(secret):
    """Mix ``secret`` (an int, or None to stop) into every seed a check is given.

    The grader picks a new secret for each run, so a hidden test's ``seed=77`` draws inputs
    that no kernel has seen and no table of answers can hold; expectations are computed on the
    fly. In a notebook there is no secret: a seed gives the same inputs every time.
    """
    global _grading_secret
    _grading_secret = None if secret is None else int(secret)


def mixed_seed(seed):
    """The integer seed a check really uses for ``seed`` (the grading run's secret mixed in)."""
    if _grading_secret is None:
        return int(seed)
    return int(np.random.SeedSequence([_grading_secret, int(seed) & (2**63 - 1)]).generate_state(1, np.uint64)[0] >> 1)


def random_generator(seed):
    """``np.random.default_rng`` for a check's ``seed`` (None: fresh entropy)."""
    return np.random.default_rng(None if seed is None else mixed_seed(seed))


def relative_error(got, expected):
    """Largest difference relative to the size of the values: ``max|got - expected| /
    max(1e-8, max|got| + max|expected|)``.

    Unlike the elementwise ``rel_error`` it does not flag the rounding noise of a numeric
    gradient on entries that are almost zero, yet any real mistake (a sign, a factor, a missing
    term) shows up at the scale of the largest entries.
    """
    scale = max(1e-8, float(np.max(np.abs(got))) + float(np.max(np.abs(expected)))) if got.size else 1.0
    return float(np.max(np.abs(got - expected))) / scale if got.size else 0.0


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A diagnosed mistake as data: ``id`` is the same for every student who makes it (the
    exercise, the output and the meaning with its numbers replaced by ``#``); ``sentence`` says
    it in words ("db: it averages dout over the batch instead of summing")."""

    id: str
    sentence: str

    @classmethod
    def named(cls, exercise, output, meaning):
        """The Mistake behind ``meaning`` (None for no meaning) found in ``output`` of ``exercise``."""
        if not meaning:
            return None
        words = re.sub(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", "#", meaning.casefold())
        slug = re.sub(r"[^0-9a-z#]+", "-", words).strip("-")
        place = re.sub(r"[^0-9a-z]+", "-", str(output).casefold()).strip("-")
        return cls(f"{exercise}/{place}/{slug}" if place else f"{exercise}/{slug}",
                   f"{output}: {meaning}" if output else meaning)


class CheckFailed(AssertionError):
    """A check found a mistake; the message is meant for the student. ``mistake`` (a Mistake or
    None) names the mistake as data when the check recognised it, for the class-wide report."""

    def __init__(self, *args, mistake=None):
        super().__init__(*args)
        self.mistake = mistake


@contextlib.contextmanager
def quiet():
    """No warnings and no NumPy floating-point chatter while student code runs.

    nbgrader gives a test cell zero for any output on stderr; a warning is not a wrong answer.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _arrays_in(value, found):
    """The NumPy arrays in ``value`` and in the tuples and lists it holds (dicts, such as
    BatchNorm's ``bn_param``, are the student's to update)."""
    if isinstance(value, np.ndarray):
        found.append(value)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _arrays_in(item, found)
    return found


def _argument_names(function, values, keywords):
    """``(name, value)`` for each of ``values``: the positional arguments, then those passed by
    the keywords ``keywords``; the parameter's name where Python can tell, else its position."""
    positional = values[:len(values) - len(keywords)]
    try:
        bound = inspect.signature(function).bind(*positional, **dict(zip(keywords, values[len(positional):])))
        names = {id(value): name for name, value in bound.arguments.items()}
    except (TypeError, ValueError):
        names = {}
    return [(names.get(id(value), keywords[i - len(positional)] if i >= len(positional) else f"number {i + 1}"), value)
            for i, value in enumerate(values)]


IN_PLACE_NOTE = ("fine here, but where the same array feeds two branches (the gradient of a residual block, "
                 "say) the other branch would see the changed values: work on a copy")

_notes = []  # Mistakes noted by passing calls since the last take_notes()


def note(mistake):
    """Record a remark about a call that is not a failure (an input changed in place); the
    notebook prints it beside the pass, the grader keeps it for the class report."""
    if mistake not in _notes:
        _notes.append(mistake)


def take_notes():
    """The notes recorded since the last call (a list of Mistake), and forget them."""
    taken = list(_notes)
    _notes.clear()
    return taken


def _copies(value):
    """``value`` with every NumPy array in it (also inside tuples and lists) copied."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(_copies(item) for item in value)
    return value


def _changed_inputs(function, originals, given):
    """The names of the arguments whose arrays the call changed: ``given`` are the copies the
    student's function received, ``originals`` the check's own arrays, in the same places."""
    changed = []
    for (argument, before), (_, after) in zip(_argument_names(function, *originals), _argument_names(function, *given)):
        pairs = list(zip(_arrays_in(before, []), _arrays_in(after, [])))
        if any(a.shape != b.shape or not np.array_equal(a, b, equal_nan=True) for a, b in pairs):
            changed.append(argument)
    return changed


def _culprit(error, name):
    """The student's function that raised ``error``: ``name`` itself (the function the check
    called, also when it is a method named with its class) or a helper it calls."""
    culprit = function_that_raised(error)
    return name if not culprit or culprit.rsplit(".", 1)[-1] == name else culprit


def call_student(function, exercise, *args, **kwargs):
    """Run the student's ``function`` on copies of the arrays the check hands over; turn any
    exception into a one-line CheckFailed.

    The check's own arrays are never touched, so it computes what it expects from them whatever
    the student's code does. An input changed in place is not a mistake here (CS231n writes
    ``dx = dout; dx[x <= 0] = 0``): it is noted (``take_notes``). Where the lab asks for untouched
    inputs in so many words, use ``call_student_untouched``.
    """
    return _call(function, exercise, args, kwargs, untouched=None)


def call_student_untouched(sentence, function, exercise, *args, **kwargs):
    """``call_student`` for an exercise whose text asks, in ``sentence``, for inputs left as they
    were: changing one in place fails the check, and the message quotes the lab."""
    return _call(function, exercise, args, kwargs, untouched=sentence)


def construct_student(cls, exercise, *args, **kwargs):
    """Build an object of the student's class ``cls``. Its arguments are handed over, not copied:
    an optimizer keeps the parameters it is given and updates them in place later (while
    grading, the judge lets an object keep only what the request that built it handed over)."""
    return _call(_unprotected(cls, getattr(cls, "__name__", exercise)), exercise, args, kwargs, untouched=None)


def _call(function, exercise, args, kwargs, untouched):
    name = getattr(function, "__name__", exercise)
    if not callable(function):
        raise CheckFailed(f"{exercise}: expected a function, got {type(function).__name__}.")
    protect = not isinstance(function, _unprotected)
    given_args, given_kwargs = (_copies(args), _copies(kwargs)) if protect else (args, kwargs)
    try:
        with quiet():
            result = function(*given_args, **given_kwargs)
    except NotImplementedError as error:
        culprit = _culprit(error, name)
        called = f"; {name} calls it" if culprit != name else ""
        raise CheckFailed(f"{exercise}: {culprit} is not implemented yet (it raised NotImplementedError{called}).",
                          mistake=Mistake.named(exercise, culprit, "it is not implemented yet")) from None
    except CheckFailed:
        raise
    except TimeoutError as error:  # while grading: the student's code ran past the time limit
        raise CheckFailed(f"{exercise}: {name} {error}") from None
    except Exception as error:
        culprit = _culprit(error, name)
        where = f"{culprit} (called by {name})" if culprit != name else name
        raise CheckFailed(
            f"{exercise}: {where} raised {type(error).__name__}: {error}".rstrip(": ")
        ) from error
    if protect:
        keys = list(kwargs)
        changed = _changed_inputs(function, (list(args) + [kwargs[k] for k in keys], keys),
                                  (list(given_args) + [given_kwargs[k] for k in keys], keys))
        if changed and untouched:
            raise CheckFailed(
                f"{exercise}: {name} changed its input {changed[0]} in place, and the lab asks: \"{untouched}\"",
                mistake=Mistake.named(exercise, name, "it changes its input in place"))
        if changed:
            note(Mistake(Mistake.named(exercise, name, "it changes its input in place").id,
                         f"{name} changes its input {changed[0]} in place; {IN_PLACE_NOTE}."))
    return result


def probe_student(probe, exercise, *args):
    """Take one measurement ``probe`` (a function of ``course.probes``) of the student's objects.

    In a notebook this is ``probe(*args)``; while grading, where the student's objects are
    handles to a sandboxed kernel, the probe runs there and its result comes back as data.
    Exceptions become a one-line CheckFailed, as in ``call_student``.
    """
    remote = next((a for a in args if hasattr(type(a), "__course_remote__")), None)
    if remote is not None:
        return call_student(type(remote).__course_remote__(remote, probe), exercise, *args)
    return call_student(probe, exercise, *args)


def call_student_in_place(function, exercise, *args, **kwargs):
    """``call_student`` for a function whose job is to change its inputs (``clip_grad_norm_``
    scales the gradients it is given, as torch's does)."""
    name = getattr(function, "__name__", exercise)
    return call_student(_unprotected(function, name), exercise, *args, **kwargs)


class _unprotected:
    """Wraps a function so that ``call_student`` sees no array arguments to protect."""

    def __init__(self, function, name):
        self.function, self.__name__ = function, name

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)


def unpack(result, names, exercise, function_name):
    """Check that a student's function returned a tuple of ``len(names)`` values."""
    if len(names) == 1:
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a {type(result).__name__}" if not isinstance(result, (tuple, list)) else f"{len(result)} values"
        raise CheckFailed(
            f"{exercise}: {function_name} should return {len(names)} values ({', '.join(names)}), got {got}.",
            mistake=Mistake.named(exercise, function_name, f"it does not return the {len(names)} values "
                                                           f"({', '.join(names)})"),
        )
    return tuple(result)


def _typical_mistakes(expected, batch_size):
    """Wrong answers that are easy to produce, each with what it means."""
    candidates = [(-expected, "the sign is flipped")]
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1]:
        candidates.append((expected.T, "it is transposed"))
    if batch_size and batch_size > 1:
        candidates.append(
            (expected * batch_size, f"it is {batch_size} times too large: divide by the batch size N = {batch_size} once")
        )
        candidates.append(
            (expected / batch_size, f"it is {batch_size} times too small: average over the batch at most once")
        )
    candidates.append((2 * expected, "it is twice too large"))
    candidates.append((expected / 2, "it is half of what it should be"))
    return candidates


def _shape_hint(got_shape, expected_shape, batch_size):
    if got_shape[::-1] == expected_shape and len(got_shape) == 2:
        return "it looks transposed"
    if batch_size and got_shape == (batch_size,) + expected_shape:
        return "it still has the batch axis: sum over axis 0"
    if len(got_shape) == len(expected_shape) + 1 and got_shape[1:] == expected_shape:
        return "it has one axis too many: did you forget to sum over the batch?"
    if np.prod(got_shape) == np.prod(expected_shape):
        return "it has the right number of values: reshape it"
    return None


def compare(exercise, output, got, expected, threshold, hint="", batch_size=None, mistakes=()):
    """Raise CheckFailed unless ``got`` matches ``expected`` to ``threshold`` (relative error).

    ``mistakes`` is a sequence of ``(wrong_value, explanation)`` typical of this exercise; they
    are tried, with generic ones (sign, transpose, batch scaling), to name the error.
    """
    expected = np.asarray(expected, dtype=np.float64)
    if got is None:
        raise CheckFailed(f"{exercise}: {output} is None; did you forget to return it?",
                          mistake=Mistake.named(exercise, output, "it is None (nothing was returned)"))
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{exercise}: {output} should be an array of numbers, got {type(got).__name__}.") from None
    if got.shape != expected.shape:
        detail = _shape_hint(got.shape, expected.shape, batch_size)
        raise CheckFailed(
            f"{exercise}: {output} has shape {got.shape} but should have shape {expected.shape}"
            + (f"; {detail}." if detail else ".")
            + (f" Hint: {hint}" if hint else ""),
            mistake=Mistake.named(exercise, output, detail),
        )
    if not np.all(np.isfinite(got)):
        raise CheckFailed(
            f"{exercise}: {output} contains NaN or inf. Hint: look for a division by zero or an "
            "overflowing exp; subtract the max before exponentiating.",
            mistake=Mistake.named(exercise, output, "it contains NaN or inf"),
        )
    error = relative_error(got, expected)
    if error < threshold:
        return error
    diagnosis = None
    if not np.any(got) and np.any(expected):
        diagnosis = "it is all zeros"
    for wrong, meaning in list(mistakes) + _typical_mistakes(expected, batch_size):
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == got.shape and relative_error(got, wrong) < max(threshold, 1e-6):
            diagnosis = meaning
            break
    worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape) if got.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if got.ndim else ""
    message = (
        f"{exercise}: {output} is wrong (relative error {error:.1e}, should be below {threshold:.0e}); "
        f"expected {expected[worst]:.6g}{where}, got {got[worst]:.6g}"
    )
    if diagnosis:
        message += f"; {diagnosis}"
    message += "."
    if hint:
        message += f" Hint: {hint}"
    raise CheckFailed(message, mistake=Mistake.named(exercise, output, diagnosis))


def unchanged(exercise, function_name, originals, arrays):
    """Fail if the student's function modified its inputs in place."""
    for name, before in originals.items():
        if not np.array_equal(before, arrays[name]):
            raise CheckFailed(
                f"{exercise}: {function_name} changed its input {name} in place; work on a copy "
                f"(for example {name}.copy()) or build a new array.",
                mistake=Mistake.named(exercise, function_name, "it changes its input in place"),
            )


def upstream_gradient(rng, shape):
    """A random, non-uniform upstream gradient: a uniform one hides mistakes (BatchNorm's dx)."""
    return rng.normal(size=shape)


def away_from_kinks(rng, shape, margin=0.05):
    """Standard normal values with none closer than ``margin`` to 0, where ReLU-like functions bend."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin + x, x)
