"""Where a student's notebook runs: a bubblewrap sandbox per worker (``bubblewrap``), the
course package as the lab's policies let it be seen (``view``), one isolated kernel per
submission forked inside it (``zygote``, ``isolation``, ``kernels``), and limits on time and
memory enforced from outside (``limits``)."""
from .limits import Limits
