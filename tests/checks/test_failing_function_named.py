"""A failure inside a helper the student wrote names that helper, not the function the check
called (a blank softmax is not "two_layer_net_loss is not implemented yet")."""
import pytest

from course.checks.judging import CheckFailed, call_student
from course.tracebacks import function_that_raised

NOTEBOOK = '''
import numpy as np

def softmax(scores):
    raise NotImplementedError

def net_loss(scores):
    return softmax(scores).sum()

def broken_shapes(x):
    return np.ones(3) + np.ones(4)

class Adam:
    def step(self, grads):
        raise NotImplementedError
'''


@pytest.fixture
def notebook():
    namespace = {"__name__": "__main__"}  # what a Jupyter kernel's cells run in
    exec(compile(NOTEBOOK, "<ipython-input-1>", "exec"), namespace)
    return namespace


def test_the_blank_helper_is_named_with_the_function_that_called_it(notebook):
    with pytest.raises(CheckFailed) as failure:
        call_student(notebook["net_loss"], "two_layer_net", [1.0, 2.0])
    assert str(failure.value) == ("two_layer_net: softmax is not implemented yet (it raised "
                                  "NotImplementedError; net_loss calls it).")


def test_an_error_raised_inside_numpy_names_the_students_function(notebook):
    with pytest.raises(CheckFailed) as failure:
        call_student(notebook["broken_shapes"], "shapes", 1)
    assert str(failure.value).startswith("shapes: broken_shapes raised ValueError: operands could not be broadcast")


def test_a_method_that_raises_is_the_function_the_check_called(notebook):
    with pytest.raises(CheckFailed) as failure:
        call_student(notebook["Adam"]().step, "adam", {})
    assert str(failure.value) == "adam: step is not implemented yet (it raised NotImplementedError)."


def test_code_outside_the_notebook_is_not_blamed():
    def library():
        raise NotImplementedError
    with pytest.raises(NotImplementedError) as raised:
        library()
    assert function_that_raised(raised.value) is None
    carried = NotImplementedError("from a grading kernel")
    carried.student_function = "Adam.step"
    assert function_that_raised(carried) == "Adam.step"
