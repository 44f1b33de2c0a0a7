"""Which of the student's functions an exception came from.

A check calls one function (``two_layer_net_loss``) that may call others the student wrote
(``softmax_cross_entropy``); when the inner one is still blank, the message must name it, not
the outer one. The student's functions are those defined in the notebook (module ``__main__``),
in Jupyter as in the grading kernel.
"""


def function_that_raised(error):
    """The name of the innermost notebook-defined function in ``error``'s traceback, or None.

    Methods are named with their class (``Adam.step``) where Python records it (3.11+). An
    exception that came back from a grading kernel carries the name it was given there.
    """
    named = getattr(error, "student_function", None)
    if isinstance(named, str) and named:
        return named
    name, trace = None, getattr(error, "__traceback__", None)
    while trace is not None:
        frame = trace.tb_frame
        if frame.f_globals.get("__name__") == "__main__" and not frame.f_code.co_name.startswith("<"):
            name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name).split(".<locals>.")[-1]
        trace = trace.tb_next
    return name


__all__ = ["function_that_raised"]
