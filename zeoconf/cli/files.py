"""Writing a file whole or not at all: ``ping --output``, ``migrate --write``.

New contents go to a temporary file beside the file, which then takes its
name in one step; only :func:`rewrite` writes in place.
"""

import contextlib
import os
import stat


class Damaged(OSError):
    """A rewrite in place failed half way and could not be undone."""


def remove(path):
    with contextlib.suppress(OSError):
        os.unlink(path)


def _write_all(descriptor, data, offset=0):
    view = memoryview(data)
    while view:
        done = os.pwrite(descriptor, view, offset)
        offset += done
        view = view[done:]


def _sync_directory(path):
    with contextlib.suppress(OSError):
        descriptor = os.open(os.path.dirname(os.path.abspath(path)),
                             os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _temporary(path, data, mode=None):
    """A new file beside *path* holding *data*, on disk, with *mode* (by
    default, the mode a new file gets): its name and open descriptor."""
    directory, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f'.{name}.{os.urandom(6).hex()}.tmp')
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o666 if mode is None else 0o600)
    try:
        _write_all(descriptor, data)
        os.fsync(descriptor)
        if mode is not None:
            os.fchmod(descriptor, mode)
    except BaseException:
        os.close(descriptor)
        remove(temporary)
        raise
    return temporary, descriptor


def replace(path, data, like=None):
    """Replace *path* by a file holding *data*. With *like* (an
    ``os.stat`` result) the new file gets its mode and owner, or
    ``PermissionError`` leaves *path* as it was."""
    mode = None if like is None else stat.S_IMODE(like.st_mode)
    temporary, descriptor = _temporary(path, data, mode)
    try:
        made = os.fstat(descriptor)
        if like is not None and (made.st_uid, made.st_gid) != (like.st_uid,
                                                               like.st_gid):
            os.fchown(descriptor, like.st_uid, like.st_gid)
            os.fchmod(descriptor, mode)     # chown may clear setuid
        os.replace(temporary, path)
    except BaseException:
        remove(temporary)
        raise
    finally:
        os.close(descriptor)
    _sync_directory(path)


def create(path, data, mode):
    """Create *path* holding *data*, with *mode*, or ``FileExistsError``:
    a temporary file is given its name by a hard link, which never
    replaces a file."""
    temporary, descriptor = _temporary(path, data, mode)
    os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links: rename, after a look.
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.rename(temporary, path)
    finally:
        remove(temporary)
    _sync_directory(path)


def rewrite(path, data, old):
    """Write *data* in place over *path*, which holds *old*, so that every
    hard link sees it. The file grows first, so that a full disk fails
    before anything is overwritten; on failure *old* is put back, or
    :class:`Damaged` says it could not be."""
    descriptor = os.open(path, os.O_WRONLY)
    try:
        try:
            _write_all(descriptor, data[len(old):], len(old))
            os.fsync(descriptor)
        except OSError:
            os.ftruncate(descriptor, len(old))
            raise
        try:
            _write_all(descriptor, data[:len(old)])
            os.ftruncate(descriptor, len(data))
            os.fsync(descriptor)
        except OSError as e:
            try:
                _write_all(descriptor, old)
                os.ftruncate(descriptor, len(old))
                os.fsync(descriptor)
            except OSError:
                raise Damaged(e.errno, e.strerror) from None
            raise
    finally:
        os.close(descriptor)
