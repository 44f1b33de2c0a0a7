"""Asserting that a check fails, with the message a student should see."""
import pytest

from course.checks import CheckFailed


def fails_with(match, check_function, *args, **kwargs):
    """Run ``check_function``; it must raise CheckFailed with a one-line message matching ``match``."""
    with pytest.raises(CheckFailed, match=match) as info:
        check_function(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, "a check's message is one line"
    return message
