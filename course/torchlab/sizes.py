"""One table per lab says what "full" and "smoke" mean; ``lab_size`` picks the row.

    size = lab_size(full=dict(epochs=30, width=64), smoke=dict(epochs=2, width=16))
    size.epochs   # 2 on a CPU, 30 on a GPU
"""
from types import SimpleNamespace

from .device import smoke_reason


def _check_table(name, table):
    if not isinstance(table, dict) or not table:
        raise ValueError(f"lab_size needs {name} as a non-empty dict such as dict(epochs=2), "
                         f"got {table!r}.")
    for key in table:
        if not (isinstance(key, str) and key.isidentifier()):
            raise ValueError(f"lab_size needs names as keys (such as 'epochs'); {key!r} in "
                             f"{name} is not one.")


def lab_size(full, smoke):
    """The ``full`` settings on a GPU, the ``smoke`` ones otherwise (see ``smoke()``), as a
    namespace; prints one line such as ``Smoke size (CPU): epochs=2, width=16``.

    Both tables must name the same settings, so that a lab never runs with one missing.
    """
    _check_table("full", full)
    _check_table("smoke", smoke)
    if set(full) != set(smoke):
        only_full = sorted(set(full) - set(smoke))
        only_smoke = sorted(set(smoke) - set(full))
        parts = []
        if only_full:
            parts.append(f"only full has {', '.join(only_full)}")
        if only_smoke:
            parts.append(f"only smoke has {', '.join(only_smoke)}")
        raise ValueError(f"lab_size needs the same settings in full and smoke, but "
                         f"{' and '.join(parts)}.")
    is_smoke, reason = smoke_reason()
    chosen = {key: (smoke if is_smoke else full)[key] for key in full}
    settings = ", ".join(f"{key}={value}" for key, value in chosen.items())
    print(f"{'Smoke' if is_smoke else 'Full'} size ({reason}): {settings}")
    return SimpleNamespace(**chosen)
