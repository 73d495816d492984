"""Making ZConfig's errors say where, for our own entry points.

ZConfig puts the line of some errors only in attributes, numbers errors of
section datatypes with the enclosing section's closing line (or -1 at top
level), and reports ``%import ZEO`` beside ``%import zeoconf`` as a schema
error about type names. :func:`located` puts the best known position on the
exception; :func:`describe` turns it into ``FILE:LINE: message``.
"""

import os
import urllib.parse

__all__ = ['located', 'describe', 'from_directive', 'IMPORT_COLLISION_HINT']

IMPORT_COLLISION_HINT = (
    "'%import ZEO' and '%import zeoconf' cannot stand in the same "
    "configuration: both define the section types clientstorage and ssl. "
    "Remove '%import ZEO' (zeoconf accepts every key of ZEO's "
    "<clientstorage>)")


def located(error):
    """Return *error* with ``lineno``/``url`` of the key at fault, if known.

    Our section errors (``SectionError``) carry the line of the key that
    broke the rule; ZConfig only knows the enclosing section's end.
    """
    original = getattr(error, 'exception', None)
    if getattr(original, 'lineno', None):
        error.lineno = original.lineno
        error.colno = None
        error.url = original.url or getattr(error, 'url', None)
    return error


def from_directive(error, text, url=None):
    """A ``ConfigurationError`` for a failed ``%import``/``%include``.

    ZConfig raises errors from directives without a line, and some of them
    (``%import /``) not as ``ConfigurationError`` at all. Given the
    configuration *text*, find the directive the error speaks of and
    return a ``ConfigurationError`` that has its line and *url*. Returns
    *error* itself when it has a line or no directive matches.
    """
    import ZConfig
    if getattr(error, 'lineno', None):
        return error
    message = str(getattr(error, 'message', None) or error)
    if not isinstance(error, ZConfig.ConfigurationError):
        message = f'{type(error).__name__}: {message}'
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split(None, 1)
        if len(words) == 2 and words[0] in ('%import', '%include') and (
                words[1].strip() in message or is_import_collision(error)
                and words[1].strip() == 'ZEO'):
            found = ZConfig.ConfigurationError(
                f'{words[0]} {words[1].strip()}: {message}', url)
            found.lineno = number
            return found
    if isinstance(error, ZConfig.ConfigurationError):
        return error
    return ZConfig.ConfigurationError(message, url)


def is_import_collision(error):
    message = str(getattr(error, 'message', error))
    return ('cannot be redefined' in message
            and ('clientstorage' in message or "'ssl'" in message))


def _file_of(url):
    if not url:
        return None
    if url.startswith('file:'):
        path = urllib.parse.unquote(urllib.parse.urlparse(url).path)
        try:
            relative = os.path.relpath(path)
        except ValueError:  # pragma: no cover (another drive on Windows)
            return path
        return path if relative.startswith('..') else relative
    return url


_GIVEN_TWICE = "' does not support multiple values"


def _given_twice(message, url, lineno):
    """ZConfig's message for a key given twice, with the first line.

    ZConfig stops at the second line; the first is found by reading the
    file back from there to the start of the section.
    """
    key = message[1:-len(_GIVEN_TWICE)].lower()
    path = _file_of(url) if url and url.startswith('file:') else None
    first = None
    if path and lineno:
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                lines = f.read().splitlines()[:lineno - 1]
        except OSError:
            lines = []
        for number in range(len(lines), 0, -1):
            words = lines[number - 1].split(None, 1)
            if words and words[0].startswith('<'):
                break
            if words and words[0].lower() == key:
                first = number
                break
    where = f' (first on line {first})' if first else ''
    return f'{key} is given twice{where}; keep one'


def describe(error, filename=None):
    """``FILE:LINE: message`` for a ``ZConfig.ConfigurationError``.

    The message is ZConfig's own without the ``(line N, in URL)`` tail it
    adds, since the prefix says that.
    """
    error = located(error)
    message = getattr(error, 'message', None) or str(error)
    if is_import_collision(error):
        message = IMPORT_COLLISION_HINT
    lineno = getattr(error, 'lineno', None)
    if message.startswith("'") and message.endswith(_GIVEN_TWICE):
        message = _given_twice(message, getattr(error, 'url', None), lineno)
    where = _file_of(getattr(error, 'url', None)) or filename or '<config>'
    if lineno is not None and lineno > 0:
        return f'{where}:{lineno}: {message}'
    return f'{where}: {message}'
