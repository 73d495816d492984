"""What every command shares: loading a file, reporting, writing.

Control and format characters are written escaped (``\\x1b``,
``\\u202e``): a value cannot drive or mislead the terminal.
"""

import contextlib
import io
import json
import logging
import os
import pathlib
import sys
import threading
import unicodedata
from typing import NamedTuple

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


# A NamedTuple, not a dataclass: dataclasses imports inspect, which
# would cost every ``ping`` a tenth of its CPU (benchmarks/README.md).
class Problem(NamedTuple):
    """A problem of a file: ``message``, at ``line`` (None when unknown)
    of the file at ``url`` (None when the message names it or is not of a
    file), and ``key``, the key at fault where there is one."""

    url: str
    line: int
    message: str
    key: str = None

    @classmethod
    def of(cls, error, url):
        """What a ``ZConfig.ConfigurationError`` says, in the file at *url*
        unless it names another."""
        return cls(error.url or url, getattr(error, 'lineno', None),
                   error.message)

    def text(self, label=''):
        """``FILE:LINE: message``, *label* (``'warning: '``) before the
        message."""
        where, message = loader.file_of(self.url), label + self.message
        if where and self.line:
            return f'{where}:{self.line}: {message}'
        return f'{where}: {message}' if where else message

    def data(self, path=None):
        """As JSON-able data (docs/cli.md): the file named, else *path*."""
        return {'file': loader.file_of(self.url) or path, 'line': self.line,
                'key': self.key, 'message': self.message}


class LoadError(Exception):
    """A file that cannot be loaded: its :class:`Problem` (or a message
    that names the file; ``str`` is its text), ZConfig's ``error`` and,
    when it failed to parse, the ``reading`` ``zeoconf.loader.Loader``."""

    def __init__(self, problem, error=None, reading=None):
        if isinstance(problem, str):
            problem = Problem(None, None, problem)
        super().__init__(problem.text())
        self.problem, self.error, self.reading = problem, error, reading


def file_url(path):
    """The URL of the file at *path*, as the commands load it."""
    return pathlib.Path(os.path.abspath(path)).as_uri()


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


def read(path, schema_name=None, offline=False, quiet=False, scans=None):
    """``(text, schema, note)``: the text of the file at *path*, the schema
    *schema_name* names (None: the one the text reads like) and a note that
    says which, said on standard error unless *quiet*. A
    :class:`LoadError` when either cannot be read. *scans*: the
    ``zeoconf.cli.scanner.Scans`` of the command run, or None."""
    try:
        text = loader.read_text(path)
        schema, note = schemas.choose(schema_name, text, offline, scans)
    except ZConfig.ConfigurationError as e:
        # Said without the file's name unless at a line: a file that
        # cannot be read is named by the message, a schema too.
        line = getattr(e, 'lineno', None)
        raise LoadError(Problem(e.url if line else None, line, e.message),
                        e) from None
    if note and not quiet:
        say(f'{path}: {note}')
    return text, schema, note


def load(text, schema, path, blank=None, allow_marks=False, scans=None):
    """``(Loaded, warnings)``: configuration *text* of the file at *path*
    loaded with *schema*, the lines of *blank* read as other text and a
    byte order mark allowed with *allow_marks* (see
    ``zeoconf.loader.Loader``). A :class:`LoadError`, with a hint where one
    helps, when it does not load. *scans*: the
    ``zeoconf.cli.scanner.Scans`` of the command run, or None."""
    url = file_url(path)
    reading = loader.Loader(schema, blank, allow_marks)
    try:
        with collecting_warnings() as warnings:
            loaded = loader.load_text(text, schema, url, reading)
    except ZConfig.ConfigurationError as e:
        problem = Problem.of(hints.explain(e, reading.texts, scans), url)
        raise LoadError(problem, e, reading) from None
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
        text = loader.read_text(path)   # a readable regular file, not a FIFO
    except ZConfig.ConfigurationError as e:
        raise LoadError(f'--env-file {e.message}') from None
    values = dotenv.dotenv_values(stream=io.StringIO(text), interpolate=False)
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
