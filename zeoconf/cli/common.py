"""What every command shares: loading a file, reporting, writing.

Control and format characters are written escaped (``\\x1b``,
``\\u202e``): a value cannot drive or mislead the terminal.
"""

import contextlib
import json
import logging
import os
import sys
import threading
import unicodedata

import ZConfig

from zeoconf import loader
from zeoconf.cli import hints, schemas

#: Version of the JSON that ``check``, ``show`` and ``ping`` print
#: (docs/cli.md); raised when a field changes meaning or goes away.
JSON_FORMAT = 1

SCHEMA_HELP = ('schema to read the file with: zodb (ZODB.config), storage '
               '(one storage section, as storageFromFile reads it), zope '
               "(Zope's zope.conf) or a schema file; by default chosen by "
               'what the file reads like')

# What --offline leaves out: as check --json names it, and in words.
OFFLINE_LEFT_OUT = {
    'tls-files': 'the TLS files (certificate, key, authenticate)',
    'cache-path': 'the directory of cache-path',
    'blob-dir': 'blob-dir',
    'var': 'var',
    'password-function': 'the password-function (not imported)',
    'include-urls': 'the URLs of %include (not fetched)',
}
OFFLINE_NOTE = ('offline: not looked at on this machine: '
                + ', '.join(OFFLINE_LEFT_OUT.values())
                + ', the existing-* paths of the schema; every value was '
                'converted and every rule across keys checked')


class LoadError(Exception):
    """A file that cannot be loaded: ``str`` is FILE:LINE: message, with
    ``message`` and ``line`` (None when none) apart."""

    def __init__(self, text, message=None, line=None):
        super().__init__(text)
        self.message = text if message is None else message
        self.line = line


def describe(error, filename=None):
    """``FILE:LINE: message`` for a ``ZConfig.ConfigurationError``."""
    message = getattr(error, 'message', None) or str(error)
    lineno = getattr(error, 'lineno', None) or 0
    where = loader.file_of(getattr(error, 'url', None)) or filename or \
        '<config>'
    if lineno > 0:
        return f'{where}:{lineno}: {message}'
    return f'{where}: {message}'


def load_error(error, path):
    """A :class:`LoadError` for a ConfigurationError met reading *path*."""
    message = getattr(error, 'message', None) or str(error)
    line = getattr(error, 'lineno', None) or None
    if line is None and message.startswith((f'{path} ', f'{path}: ')):
        return LoadError(message)       # names the file already
    return LoadError(describe(error, path), message, line)


@contextlib.contextmanager
def collecting_warnings():
    """``with collecting_warnings() as messages``: zeoconf's warnings in
    this thread, collected instead of logged."""
    messages, thread = [], threading.get_ident()

    def collect(record):
        if (record.levelno < logging.WARNING
                or threading.get_ident() != thread):
            return True
        messages.append(record.getMessage())
        return False

    logger = logging.getLogger('zeoconf')
    logger.addFilter(collect)
    try:
        yield messages
    finally:
        logger.removeFilter(collect)


def load(path, schema_name=None, offline=False, env_file=None, quiet=False):
    """``(Loaded, warnings)`` for *path*, read with the variables of
    *env_file* set; *quiet*: the schema chosen is not said."""
    with environment(read_env_file(env_file)):
        try:
            text = loader.read_text(path)
            schema, note = schemas.choose(schema_name, text, offline)
        except ZConfig.ConfigurationError as e:
            if getattr(e, 'url', None) is None:
                raise LoadError(e.message) from None    # the schema's own
            raise load_error(e, path) from None
        if note and not quiet:
            say(f'{path}: {note}')
        url = 'file://' + os.path.abspath(path)
        try:
            with collecting_warnings() as warnings:
                loaded = loader.load_text(text, schema, url)
        except ZConfig.ConfigurationError as e:
            raise load_error(hints.explain(e, {url: text}), path) from None
        except Exception as e:
            # Not the promised ConfigurationError: a bug, said as one.
            raise LoadError(f'{path}: {loader.internal_error(e)}') from None
    return loaded, warnings


def add_offline_argument(parser, more=''):
    """``--offline``, for every command that reads a file; *more* ends
    its help."""
    parser.add_argument(
        '--offline', action='store_true', help=(
            'review a configuration meant for another machine: convert '
            'every value and check every rule, but look at nothing on this '
            'one (TLS files, cache and blob paths, password functions, the '
            f'existing-* paths of Zope){more}'))


def add_env_file_argument(parser):
    """``--env-file FILE``, for every command that reads a file."""
    parser.add_argument(
        '--env-file', metavar='FILE', help=(
            "read the file with the variables of FILE set (NAME=value "
            "lines, as Docker's --env-file and compose's .env: quotes, "
            "comments and 'export' allowed), for $(NAME) in the "
            "configuration; needs python-dotenv: pip install "
            "'zeoconf[env]'"))


def read_env_file(path):
    """``{name: value}`` from the env file at *path* (None: ``{}``); a
    name without ``=`` takes its value from the environment, as Docker's."""
    if path is None:
        return {}
    try:
        import dotenv  # only --env-file needs it: an extra
    except ImportError:
        raise LoadError(f"{path}: --env-file needs python-dotenv: pip "
                        f"install 'zeoconf[env]'") from None
    try:
        loader.read_text(path)      # a readable regular file, not a FIFO
        values = dotenv.dotenv_values(path, interpolate=False)
    except ZConfig.ConfigurationError as e:
        raise LoadError(f'--env-file {e.message}') from None
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError(f'--env-file {path}: cannot read: '
                        f'{type(e).__name__}') from None
    values = {name: os.environ.get(name) if value is None else value
              for name, value in values.items()}
    return {name: value for name, value in values.items()
            if value is not None}


@contextlib.contextmanager
def environment(values):
    """``with environment(values)``: *values* set in ``os.environ``."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Escapes(dict):
    """``str.translate`` table escaping control and format characters
    (Cc, Cf) but new lines and tabs."""

    def __missing__(self, code):
        character = chr(code)
        if code in (9, 10) or unicodedata.category(character) not in (
                'Cc', 'Cf'):
            raise LookupError(code)     # written as it is
        # ascii() writes \r, not \x0d.
        value = f'\\x{code:02x}' if code < 0x100 else ascii(character)[1:-1]
        self[code] = value
        return value


ESCAPES = _Escapes()


def escaped(text):
    """*text* with control and format characters escaped."""
    return str(text).translate(ESCAPES)


class Escaping:
    """A text stream that writes control characters escaped."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        return self.stream.write(escaped(text))

    def flush(self):
        flush = getattr(self.stream, 'flush', None)     # a bare write()
        if flush is not None:
            flush()


def say(text):
    """A line on standard error, escaped; nothing when it is closed."""
    try:
        sys.stderr.write(escaped(text) + '\n')
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):    # None when closed
        pass


def print_json(data, out):
    """*data* as indented JSON, written at once."""
    out.write(json.dumps(data, indent=2) + '\n')


def counted(number, noun):
    """``1 storage``, ``2 storages``."""
    return f'{number} {noun}{"" if number == 1 else "s"}'


def columns(rows):
    """*rows* of cells as lines of columns; a row's last cell unpadded.
    Cells are escaped before they are measured."""
    rows = [[escaped(cell) for cell in row] for row in rows]
    count = max(len(row) for row in rows)
    widths = [max((len(row[i]) for row in rows if len(row) > i + 1),
                  default=0) for i in range(count)]
    return ['  '.join([c.ljust(w) for c, w in zip(row[:-1], widths)]
                      + [row[-1]]).rstrip() for row in rows]
