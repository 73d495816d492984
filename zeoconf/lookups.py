"""Values that name something on this machine: files, directories,
importable callables.

Each function takes the text of one value and returns the checked value,
or raises ``ValueError`` saying what was expected, as the conversions of
:mod:`zeoconf.datatypes` do. Paths are kept as written (``~`` expanded):
a relative one is looked at from the working directory. A file is looked
at with ``stat`` first: a FIFO, a device or a socket is refused by what
it is and never opened, so that looking cannot block or consume it.

Loaded only when a configuration names such a value: most name none.
"""

import os
import stat

from zeoconf.datatypes import dotted_name, path_text

__all__ = ['existing_file', 'existing_directory', 'existing_path',
           'file_in_existing_directory', 'check_directory',
           'dotted_callable', 'file_kind', 'MAX_FILE_SIZE']


#: The largest file zeoconf reads, a configuration file or a certificate,
#: key or CA file: 16 MB is far more than any (a CA bundle is well under a
#: megabyte; 10,000 storages take about 1.5 MB of configuration) and reads
#: in well under a second, while /dev/zero or a sparse file of gigabytes
#: would only cost memory and time at every parse.
MAX_FILE_SIZE = 16 << 20


def file_kind(mode):
    """What a file of ``st_mode`` *mode* that is not a regular file is, in
    words: a directory, a FIFO, a device, ..."""
    if stat.S_ISDIR(mode):
        return 'a directory'
    if stat.S_ISFIFO(mode):
        return 'a FIFO'
    if stat.S_ISCHR(mode):
        return 'a character device'
    if stat.S_ISBLK(mode):
        return 'a block device'
    if stat.S_ISSOCK(mode):
        return 'a socket'
    return 'a special file'


def _mode(path):
    """``st_mode`` of *path* (links followed), or ``None`` if nothing is
    there. Only ``stat``: a FIFO or a device is never opened, so that
    looking at it cannot block or consume anything."""
    try:
        return os.stat(path).st_mode
    except (OSError, ValueError):
        return None


def existing_file(text, what='a file'):
    """The path of a regular file that exists and can be read.

    A directory, FIFO, device or socket is refused by what it is.
    """
    path = path_text(text, what)
    mode = _mode(path)
    if mode is None:
        raise ValueError(f'{text!r}: no such file; expected {what}')
    return _readable_file(text, path, mode, what)


def _readable_file(text, path, mode, what):
    if stat.S_ISDIR(mode):
        raise ValueError(f'{text!r} is a directory; expected {what}')
    if not stat.S_ISREG(mode):
        raise ValueError(f'{text!r} is {file_kind(mode)}, not a regular file; '
                         f'expected {what}')
    if not os.access(path, os.R_OK):
        raise ValueError(f'{text!r} cannot be read (permission denied); '
                         f'expected {what} this process can read')
    return path


def existing_directory(text, what='a directory'):
    """The path of a directory that exists and can be read."""
    path = path_text(text, what)
    return _readable_directory(text, path, _mode(path), what)


def _readable_directory(text, path, mode, what):
    if mode is None or not stat.S_ISDIR(mode):
        problem = 'no such directory' if mode is None else \
            'is not a directory'
        raise ValueError(f'{text!r}: {problem}; expected {what}')
    if not os.access(path, os.R_OK | os.X_OK):
        raise ValueError(f'{text!r} cannot be read (permission denied); '
                         f'expected {what} this process can read')
    return path


def check_directory(path, what='a directory'):
    """Raise ``ValueError`` when something other than a directory is at
    *path*; nothing there is fine (ZEO creates it)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISDIR(mode):
        raise ValueError(f'{path!r} exists and is not a directory; '
                         f'expected {what}')


def file_in_existing_directory(text, what='a file'):
    """The path of a file whose directory exists.

    The file need not exist; when it does, it must be a regular file (a
    FIFO or a device is refused by what it is, without being opened).
    """
    path = path_text(text, what)
    mode = _mode(path)
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise ValueError(f'{text!r} is a directory; expected {what}')
        if not stat.S_ISREG(mode):
            raise ValueError(f'{text!r} is {file_kind(mode)}, not a regular '
                             f'file; expected {what}')
        return path
    # A bare file name is in the working directory.
    parent = os.path.dirname(path) or os.curdir
    if not os.path.isdir(parent):
        raise ValueError(f'{text!r}: the directory {parent!r} does not exist;'
                         f' expected {what} in an existing directory')
    return path


def existing_path(text, what='a file or directory'):
    """The path of a readable regular file or directory."""
    path = path_text(text, what)
    mode = _mode(path)
    if mode is None:
        raise ValueError(f'{text!r}: no such file or directory; expected '
                         f'{what}')
    if stat.S_ISDIR(mode):
        return _readable_directory(text, path, mode, what)
    if not stat.S_ISREG(mode):
        raise ValueError(f'{text!r} is {file_kind(mode)}, not a regular '
                         f'file or a directory; expected {what}')
    return _readable_file(text, path, mode, what)


def dotted_callable(text):
    """Import ``package.module.name`` and return the callable it names."""
    name = dotted_name(text)
    import importlib
    module_name, _, attr = name.rpartition('.')
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        missing = getattr(e, 'name', None)
        if (type(e) is ModuleNotFoundError and isinstance(missing, str)
                and (module_name == missing
                     or module_name.startswith(missing + '.'))):
            # The module itself (or its package) is not there: our words.
            raise ValueError(f'{name!r} cannot be imported: no module named '
                             f'{missing!r}; expected module.function of a '
                             f'module on sys.path') from None
        # Raised by the module's own code, or a module it imports: its text
        # may hold a secret ("vault token ... rejected"), so its type only.
        raise ValueError(f'{name!r}: importing {module_name} failed with '
                         f'{type(e).__name__}') from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        # Whatever the module does while it is imported, even sys.exit(),
        # is a problem of this value. Its type only: the text of a secrets
        # module's exception may hold the secret.
        raise ValueError(f'{name!r}: importing {module_name} failed with '
                         f'{type(e).__name__}') from None
    try:
        function = getattr(module, attr)
    except AttributeError:
        raise ValueError(f'{name!r}: module {module_name} has no '
                         f'{attr!r}') from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:      # a module's own __getattr__
        raise ValueError(f'{name!r}: looking up {attr!r} in {module_name} '
                         f'failed with {type(e).__name__}') from None
    if not callable(function):
        raise ValueError(f'{name!r} is not callable; expected a function '
                         f'returning the password')
    return function
