"""Messages for zeoconf's own loader: located, explained, without secrets.

:mod:`zeoconf.loader` hands every ``ZConfig.ConfigurationError`` through
:func:`relocated`, which puts the best known position on it and words
what ZConfig leaves unsaid; :func:`describe` turns one into
``FILE:LINE: message`` for the command line.
"""

import os

import ZConfig

__all__ = ['relocated', 'describe', 'at_directive', 'unexpected',
           'internal_error',
           'is_import_collision', 'IMPORT_COLLISION_HINT', 'quoted_key',
           'display_path']

IMPORT_COLLISION_HINT = (
    "'%import ZEO' and '%import zeoconf' cannot stand in the same "
    "configuration: both define the section types clientstorage and ssl. "
    "Remove '%import ZEO' (zeoconf accepts every key of ZEO's "
    "<clientstorage>)")

# Keys whose values are never shown (see values.Secret).
_SECRET_KEYS = frozenset({'password'})


def quoted_key(name):
    """A key name as messages quote it."""
    return name if len(name) <= 60 else name[:60] + '...'


def is_import_collision(error):
    message = str(getattr(error, 'message', None) or error)
    return ('cannot be redefined' in message
            and ('clientstorage' in message or "'ssl'" in message))


def _import_failure(error, package):
    """What a failed ``%import`` says: never the text of an exception the
    package's own code raised (it may hold a secret), only its type."""
    message = getattr(error, 'message', None) or ''
    if isinstance(error, ZConfig.ConfigurationError) and not (
            message.startswith('could not load package')):
        return message      # ZConfig's own words (not a package, ...)
    parts = package.split('.')
    for depth in range(len(parts), 0, -1):
        missing = '.'.join(parts[:depth])
        if f"No module named '{missing}'" in message:
            return f'could not load package {package}: no module named ' \
                   f'{missing!r}'
    if isinstance(error, SystemExit):
        raised = 'SystemExit (sys.exit() while it was imported)'
    elif isinstance(error, ZConfig.ConfigurationError):
        raised = 'ImportError'
    else:
        raised = type(error).__name__
    return (f'importing {package} raised {raised}; its text is not shown '
            f'(run python -c "import {package}" to see it)')


def at_directive(error, directive, lineno, url, package=None):
    """A ``ConfigurationError`` at the line of *directive* (``%import
    NAME`` of *package*, ``%include``) for *error*, whatever it raised."""
    if is_import_collision(error):
        message, directive = IMPORT_COLLISION_HINT, None
    elif package is not None:
        message = _import_failure(error, package)
    elif isinstance(error, ZConfig.ConfigurationError):
        message = error.message
    else:
        message = internal_error(error)
    if directive:
        message = f'{directive}: {message}'
    if not lineno:
        return ZConfig.ConfigurationError(message, url)
    return ZConfig.ConfigurationSyntaxError(message, url, lineno)


def internal_error(error):
    """What the tools say when zeoconf itself fails on a file: the
    exception's type, never its text (it may quote a value)."""
    return (f'zeoconf failed while reading this file ({type(error).__name__}'
            f'); this is a bug in zeoconf: please report it with the file')


def unexpected(error, url):
    """A ``ConfigurationError`` for an exception of another type that
    ZConfig let through while reading."""
    return ZConfig.ConfigurationError(internal_error(error), url)


def relocated(error, loader):
    """*error*, raised while *loader* read a file, with the best known
    position and without secrets."""
    section_error = loader.section_error
    if section_error is not None:
        if section_error.lineno is None:
            # No line for its key: the enclosing section's, if any.
            section_error.lineno = getattr(error, 'lineno', None)
            section_error.url = getattr(error, 'url', None)
        return section_error
    if isinstance(error, (ZConfig.SubstitutionReplacementError,
                          ZConfig.SubstitutionSyntaxError)):
        return _substitution(error, loader)
    return error


def _substitution(error, loader):
    """ZConfig replaces ``$name`` in every value before any datatype sees
    it, and its error for a name it cannot replace, or a malformed ``$``,
    quotes what follows the ``$``: in a password, a piece of it. For a
    secret key, and for a ``%define`` (whose value a password may use),
    the value is hidden; for other keys ZConfig's words are kept. It says
    how to write a literal ``$``, and finds the line ZConfig leaves out of
    its syntax errors."""
    from zeoconf.scanner import scan
    lineno, url = getattr(error, 'lineno', None), getattr(error, 'url', None)
    line = None
    if lineno:
        line = scan(loader.texts.get(url, '')).line(lineno)
    else:
        line, url = _bad_dollar(loader.texts)
    if line is None:
        return error
    if line.kind == 'directive' and line.name == 'define':
        what, hide = f'%define {line.value.split(None, 1)[0].lower()}', True
    elif line.kind == 'key':
        what, hide = line.name, line.name in _SECRET_KEYS
    elif line.kind == 'directive':
        what, hide = f'%{line.name}', False
    else:
        return error
    if hide:
        message = (f"{what}: its value holds a '$', which ZConfig reads as "
                   f"the start of a substitution, and the substitution "
                   f"failed (the value is not shown); write '$$' for a "
                   f"literal '$'")
    else:
        message = f"{what}: {error.message}; write '$$' for a literal '$'"
    return ZConfig.ConfigurationSyntaxError(message, url, line.number)


class _AnyName(dict):
    def get(self, name, default=None):
        return ''


def _bad_dollar(texts):
    """``(Line, url)`` of the first line whose ``$`` ZConfig cannot
    read, in the files read (the last one first: reading stopped there)."""
    from ZConfig.substitution import substitute

    from zeoconf.scanner import scan
    for url in reversed(list(texts)):
        for line in scan(texts[url]).lines:
            if '$' not in line.text:
                continue
            try:
                substitute(line.text, _AnyName())
            except ZConfig.SubstitutionSyntaxError:
                return line, url
            except ZConfig.ConfigurationError:
                continue
    return None, None


def display_path(url):
    """A file's URL as the command line shows it: relative to the working
    directory when inside it."""
    if not url:
        return None
    if url.startswith('file:'):
        from zeoconf.loader import file_of
        path = file_of(url)
        try:
            relative = os.path.relpath(path)
        except ValueError:  # pragma: no cover (another drive on Windows)
            return path
        return path if relative.startswith('..') else relative
    return url


def describe(error, filename=None):
    """``FILE:LINE: message`` for a ``ZConfig.ConfigurationError``.

    The message is ZConfig's own without the ``(line N, in URL)`` tail it
    adds, since the prefix says that.
    """
    message = getattr(error, 'message', None) or str(error)
    if is_import_collision(error):
        message = IMPORT_COLLISION_HINT
    lineno = getattr(error, 'lineno', None)
    where = display_path(getattr(error, 'url', None)) or filename or \
        '<config>'
    if lineno is not None and lineno > 0:
        return f'{where}:{lineno}: {message}'
    return f'{where}: {message}'
