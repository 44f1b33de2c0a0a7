"""Deep-learning courseware: NumPy reference layers, checks, widgets and datasets.

    import course
    from course.layers import affine_forward, affine_backward
    from course.checks import check, check_affine_backward
"""

__version__ = "0.1.0"
