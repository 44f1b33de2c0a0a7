"""Read a submission's files without ever following a link: only regular files travel.

A folder reaches ``submitted/`` through ``collect``, through nbgrader's exchange or by hand, so
whatever lies in it is the student's: a symbolic link to ``../../../solutions/…`` or to
``gradebook.db``, a hard link to the lecturer's notebook, a FIFO that blocks a read. Here every
name is opened relative to its folder's descriptor with ``O_NOFOLLOW`` (a link anywhere on the
way is refused, and nothing can lead outside the folder), and a file is read only when it is a
regular file with one name (``st_nlink == 1``: a file written for the submission, not a second
name of a file elsewhere), up to a size it is checked against before and counted while reading.
"""
import errno
import os
import stat

FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)  # a FIFO must not block
CHUNK = 1 << 20


def _size(count):
    return f"{count // 2**20} MB" if count >= 2**20 else f"{count} bytes"


class Refused(Exception):
    """A file that is not read; ``str()`` says why, in a few words ("is a symbolic link")."""


def why_refused(status):
    """Why a file with this ``lstat`` result is not read, or "" when it may be."""
    if stat.S_ISLNK(status.st_mode):
        return "is a symbolic link"
    if not stat.S_ISREG(status.st_mode):
        return "is not a regular file"
    if status.st_nlink > 1:
        return "is a hard link to another file"
    return ""


def check_path(base, *names):
    """Refused unless ``base/names…`` (``base`` trusted) is reached without a link: each name is
    checked with ``lstat``; the last must be a regular file with one name, the others folders."""
    path = str(base)
    for index, name in enumerate(names):
        path = os.path.join(path, name)
        status = os.lstat(path)
        if index < len(names) - 1 or stat.S_ISDIR(status.st_mode):
            if stat.S_ISLNK(status.st_mode) or not stat.S_ISDIR(status.st_mode):
                raise Refused("is a symbolic link" if stat.S_ISLNK(status.st_mode) else "is not a folder")
        elif why_refused(status):
            raise Refused(why_refused(status))


def open_folder(path):
    """A descriptor of the folder ``path``; its last name must not be a link (the ones before it
    are the caller's: the course folder, ``solutions`` linked to the repository's)."""
    parent = os.open(os.path.dirname(os.path.abspath(path)) or "/", FOLDER & ~os.O_NOFOLLOW)
    try:
        return os.open(os.path.basename(os.path.abspath(path)), FOLDER, dir_fd=parent)
    except OSError as error:
        raise Refused("is a symbolic link" if os.path.islink(path) else f"cannot be opened ({error.strerror})") from None
    finally:
        os.close(parent)


def read_regular(name, dir_fd=None, limit=None):
    """The bytes of the regular file ``name`` (in the folder ``dir_fd``), at most ``limit`` of them."""
    try:
        handle = os.open(name, FILE, dir_fd=dir_fd)
    except OSError as error:
        raise Refused("is a symbolic link" if error.errno == errno.ELOOP else f"cannot be opened ({error.strerror})") from None
    try:
        status = os.fstat(handle)
        if why_refused(status):
            raise Refused(why_refused(status))
        if limit is not None and status.st_size > limit:
            raise Refused(f"is {_size(status.st_size)}, beyond the limit of {_size(limit)}")
        chunks, count = [], 0
        while True:
            chunk = os.read(handle, CHUNK)
            if not chunk:
                return b"".join(chunks)
            count += len(chunk)
            if limit is not None and count > limit:  # it grew while being read
                raise Refused(f"is larger than the limit of {_size(limit)}")
            chunks.append(chunk)
    finally:
        os.close(handle)


def walk(folder_fd, prefix=""):
    """``(relative path, lstat result, dir_fd, name)`` of everything below the open folder, in
    name order; folders are entered through ``O_NOFOLLOW`` descriptors, each closed when the walk
    leaves it (so use ``dir_fd`` before taking the next item)."""
    with os.scandir(folder_fd) as entries:
        found = sorted(entries, key=lambda entry: entry.name)
    for entry in found:
        relative = f"{prefix}{entry.name}"
        status = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(status.st_mode):
            try:
                inner = os.open(entry.name, FOLDER, dir_fd=folder_fd)
            except OSError:
                yield relative, status, folder_fd, entry.name
                continue
            try:
                yield from walk(inner, relative + "/")
            finally:
                os.close(inner)
        else:
            yield relative, status, folder_fd, entry.name


__all__ = ["Refused", "check_path", "open_folder", "read_regular", "walk", "why_refused"]
