"""Making ZConfig's errors say where, for our own entry points.

ZConfig puts the line of some errors only in attributes, numbers errors of
section datatypes with the enclosing section's closing line (or -1 at top
level), and reports ``%import ZEO`` beside ``%import zeoconf`` as a schema
error about type names. :func:`located` puts the best known position on the
exception; :func:`describe` turns it into ``FILE:LINE: message``.
"""

import os
import re
import urllib.parse

__all__ = ['located', 'describe', 'from_directive', 'without_secrets',
           'given_twice', 'IMPORT_COLLISION_HINT']

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


# Keys whose values are never shown (see keys.Secret).
_SECRET_KEYS = frozenset({'password'})


def _substituted(traceback):
    """``(what, line, url, hide)`` of the line whose substitution failed:
    a key line (``what`` the key, hidden when a secret) or a ``%define``
    (``what`` ``%define NAME``, always hidden: the value it defines may be
    a password, used by a key further down). Read from ZConfig's parser
    frames on *traceback*, the innermost; None when there is none. That is
    ZConfig's internal structure, not its API: pinned by
    tests/test_errors.py."""
    found = None
    while traceback is not None:
        frame = traceback.tb_frame
        code = frame.f_code
        if code.co_filename.replace('\\', '/').endswith(
                'ZConfig/cfgparser.py'):
            local = frame.f_locals
            parser = local.get('self')
            where = (getattr(parser, 'lineno', None),
                     getattr(parser, 'url', None))
            if (code.co_name == 'handle_key_value'
                    and isinstance(local.get('key'), str)):
                key = local['key'].lower()
                found = (key, *where, key in _SECRET_KEYS)
            elif (code.co_name == 'handle_define'
                    and isinstance(local.get('defname'), str)):
                found = (f'%define {local["defname"]}', *where, True)
        traceback = traceback.tb_next
    return found


def without_secrets(error, url=None):
    """*error*, or a ``ConfigurationError`` that says more in its place.

    ZConfig substitutes ``$name`` and ``${name}`` in every value before any
    datatype sees it, and its error for a name it cannot replace, or a
    malformed ``${``, quotes what follows the ``$``: in a password, a piece
    of the password. For a secret key, and for a ``%define`` (whose value
    a password may use), the message names the line's key or name and
    hides the value; for any other key it keeps ZConfig's words. It says
    how to write a literal ``$``, and gets the line ZConfig leaves out of
    its syntax errors. Call it on the exception as ZConfig raised it (its
    traceback is read).
    """
    import ZConfig
    if not isinstance(error, (ZConfig.SubstitutionReplacementError,
                              ZConfig.SubstitutionSyntaxError)):
        return error
    found = _substituted(error.__traceback__)
    if found is None:
        return error
    what, lineno, where, hide = found
    if hide:
        message = (f"{what}: its value holds a '$', which ZConfig reads as "
                   f"the start of a substitution, and the substitution "
                   f"failed (the value is not shown); write '$$' for a "
                   f"literal '$'")
    else:
        said = getattr(error, 'message', None) or str(error)
        message = f"{what}: {said}; write '$$' for a literal '$'"
    return ZConfig.ConfigurationSyntaxError(message, where or url, lineno)


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


# ZConfig's messages for a key given twice: a plain key, a <zeoclient> key
# (the "+" entry of <clientstorage>).
_GIVEN_TWICE = (re.compile(r"'([^']+)' does not support multiple values"),
                re.compile(r"too many values for '([^']+)'"))


def source_lines(text, url, error_url):
    """The lines of the file *error_url*: *text* when that is the file
    read (*url*), else read from disk; None when unknown."""
    if text is not None and error_url in (None, url):
        return text.splitlines()
    if error_url and error_url.startswith('file:'):
        try:
            with open(_file_of(error_url), encoding='utf-8',
                      errors='replace') as f:
                return f.read().splitlines()
        except OSError:
            return None
    return None


def _first_line_of(key, lines, lineno):
    """The line of *key* before line *lineno* in the same section, found
    by reading back to the section's opening line, over subsections."""
    depth = 0
    for number in range(min(lineno, len(lines) + 1) - 1, 0, -1):
        line = lines[number - 1].strip()
        if not line or line[0] in '#%':
            continue
        if line.startswith('</'):
            depth += 1
        elif line.startswith('<'):
            if line.endswith('/>'):
                continue
            if depth == 0:
                return None         # the section's own opening line
            depth -= 1
        elif depth == 0 and line.split(None, 1)[0].lower() == key:
            return number
    return None


def given_twice(error, text=None, url=None):
    """*error*, or, for ZConfig's error about a key given twice, one that
    says so and names the line of the first (ZConfig stops at the second).

    *text* is the configuration read from *url*; without it the file is
    read back from disk.
    """
    import ZConfig
    message = getattr(error, 'message', None) or str(error)
    lineno = getattr(error, 'lineno', None)
    for pattern in _GIVEN_TWICE:
        found = pattern.fullmatch(message)
        if found:
            break
    else:
        return error
    if not lineno or lineno < 1:
        return error
    key = found.group(1).lower()
    error_url = getattr(error, 'url', None)
    lines = source_lines(text, url, error_url)
    first = _first_line_of(key, lines, lineno) if lines else None
    where = f' (first on line {first})' if first else ''
    return ZConfig.ConfigurationSyntaxError(
        f'{key} is given twice{where}; keep one', error_url or url, lineno)


def describe(error, filename=None):
    """``FILE:LINE: message`` for a ``ZConfig.ConfigurationError``.

    The message is ZConfig's own without the ``(line N, in URL)`` tail it
    adds, since the prefix says that.
    """
    error = given_twice(located(error))
    message = getattr(error, 'message', None) or str(error)
    if is_import_collision(error):
        message = IMPORT_COLLISION_HINT
    lineno = getattr(error, 'lineno', None)
    where = _file_of(getattr(error, 'url', None)) or filename or '<config>'
    if lineno is not None and lineno > 0:
        return f'{where}:{lineno}: {message}'
    return f'{where}: {message}'
