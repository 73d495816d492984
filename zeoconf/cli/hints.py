"""Hints where ZConfig's words do not say what to do.

:func:`explain` looks at the line an error points to (with
:mod:`zeoconf.scanner`) and adds what a person needs: the missing
``%import zeoconf``, a ``<clientstorage>`` key written in ``<zodb>``, an
inline comment, ``<ssl></ssl>`` on one line, ZODB's ``cache-size``
given a size. zeoconf's own entry points (the command line,
``client_kwargs``) use it; a plain ``ZODB.config`` parse never does.
"""

import re

import ZConfig

from zeoconf import keys

__all__ = ['explain', 'not_one_clientstorage']

_UNKNOWN_TYPE = re.compile(r"unknown type name: '([^']*)'")
_UNKNOWN_KEY = re.compile(r"'([^']*)' is not a known key name")
_ENCLOSING = ('zodb', 'zodb_db')


def _with(error, hint):
    message = f'{getattr(error, "message", None) or error}; {hint}'
    lineno = getattr(error, 'lineno', None)
    url = getattr(error, 'url', None)
    if lineno:
        return ZConfig.ConfigurationSyntaxError(message, url, lineno)
    return ZConfig.ConfigurationError(message, url)


def _hint(error, texts):
    from zeoconf.scanner import scan
    message = str(getattr(error, 'message', None) or error)
    url, lineno = getattr(error, 'url', None), getattr(error, 'lineno', None)
    text = texts.get(url)
    if text is None and len(texts) == 1:
        text = next(iter(texts.values()))
    scanned = scan(text or '')
    line = scanned.line(lineno) if lineno else None

    found = _UNKNOWN_TYPE.search(message)
    if found:
        name = found.group(1)
        if '></' in name or (line is not None and '></' in line.text):
            return ('ZConfig wants the opening and the closing tag of a '
                    'section on lines of their own: write <ssl> and </ssl> '
                    'on two lines (or <ssl/> for an empty one)')
        if name in ('clientstorage', 'ssl') and not any(
                d.value.strip() == 'zeoconf'
                for d in scanned.directives('import')):
            return ('add %import zeoconf at the top of the file, which '
                    'defines <clientstorage> and <ssl>')
    if "unknown type name: 'zodb_db'" in message or (
            "'instancehome' is not a known key name" in message):
        return ("this reads like a zope.conf: read it with Zope's schema "
                "(zeoconf check --schema zope FILE, or Zope's own loader)")
    found = _UNKNOWN_KEY.search(message)
    if found and line is not None and line.section is not None:
        name = found.group(1).lower()
        if (line.section.type in _ENCLOSING
                and (name in keys.CLIENTSTORAGE_KEYS - {'name'}
                     or name in keys.SSL_KEYS)):
            return (f'{name} belongs inside the <clientstorage> section, '
                    f'not in <{line.section.type}>')
    elif found and line is not None and line.kind == 'key':
        name = found.group(1).lower()
        if name in keys.CLIENTSTORAGE_KEYS - {'name'}:
            return (f'{name} belongs inside a <clientstorage> section, '
                    f'which is missing around it')
    if line is not None and line.kind == 'key' and re.search(
            r'\s#', line.value):
        return ('ZConfig comments stand on lines of their own: the text '
                'from # on was read as part of the value')
    if (line is not None and line.kind == 'key' and line.name == 'cache-size'
            and line.section is not None and line.section.type in _ENCLOSING
            and 'invalid literal for int()' in message):
        return (f'cache-size of <{line.section.type}> counts objects; bound '
                f'the object cache in bytes with cache-size-bytes')
    return None


def explain(error, texts):
    """*error* with a hint added where one helps; *texts* maps the URLs
    of the files read to their text (``Loader.texts``)."""
    try:
        hint = _hint(error, texts)
    except Exception:   # a hint must never hide the error it explains
        hint = None
    return _with(error, hint) if hint else error


def not_one_clientstorage(error, text):
    """For ``client_kwargs``: *error* as it is; or, when *text* is a
    whole configuration file rather than one ``<clientstorage>``
    section, an error that says which function reads one."""
    from zeoconf.scanner import scan
    top = [s for s in scan(text).sections
           if s.parent is None and s.type != 'clientstorage']
    if top:
        return ZConfig.ConfigurationSyntaxError(
            f'client_kwargs() and parse_clientstorage() read one '
            f'<clientstorage> section, and this text has {top[0].header}; '
            f'for a whole configuration file use '
            f'zeoconf.loader.load_path(PATH).storages(), or '
            f'ZODB.config.databaseFromString() to open it',
            getattr(error, 'url', None), top[0].start)
    return error
