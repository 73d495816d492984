"""The datatypes and keytypes that ``component.xml`` names.

ZConfig hands a key's datatype the text of the value and nothing else,
and adds the line to its ``ValueError`` itself. So that every message
names the key as well, each key has a converter of its own here, built
from a conversion of :mod:`zeoconf.datatypes`.

Each section type also has a *keytype*: ZConfig calls it with every key
name it reads and reports its ``ValueError`` with the line. Ours accepts
exactly the names the section type defines and, for any other, says which
was meant (``cache_size``: did you mean ``cache-size``?).

:data:`OFFLINE` maps the converters that look at this machine to ones
that check the text only; :func:`zeoconf.loader.offline_registry` puts
them in place of the others when a configuration is reviewed for another
machine.
"""

from zeoconf import datatypes

__all__ = ['CLIENTSTORAGE_KEYS', 'SSL_KEYS', 'SECRET_KEYS', 'OFFLINE',
           'clientstorage_key', 'ssl_key', 'unknown_key']

# Characters str.splitlines() ends a line at and ZConfig does not.
_LINE_BREAKS = frozenset('\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029')

#: Keys whose values are never shown, nor the rest of a name that starts
#: with one (``password=S3CRET`` read as one key name).
SECRET_KEYS = ('password',)


def _for_key(key, convert, *args):
    """A converter for *key*: ``convert(text, *args)``, naming *key* in
    its errors."""

    def convert_key(text):
        try:
            return convert(text, *args)
        except ValueError as e:
            if not _LINE_BREAKS.isdisjoint(text):
                # A lone "\r" (or a form feed...) joined the next line to
                # this value, password lines included: not quoted.
                raise ValueError(
                    f'{key}: the value holds a line break that ZConfig does '
                    f'not end a line at (a lone carriage return, a form '
                    f'feed, ...), so what follows it, the next key '
                    f'perhaps, was read as part of the value (not shown); '
                    f'end each line with a new line') from None
            raise ValueError(f'{key}: {e}') from None

    convert_key.__name__ = key.replace('-', '_')
    convert_key.__qualname__ = convert_key.__name__
    convert_key.__doc__ = f'Value of {key}: see datatypes.{convert.__name__}.'
    # The conversion's name, for the reference and for formatting values.
    convert_key.datatype = convert.__name__
    return convert_key


def _callable(text):
    name = datatypes.dotted_name(text)
    return datatypes.NamedCallable(name, datatypes.dotted_callable(name))


def _callable_name(text):
    return datatypes.NamedCallable(datatypes.dotted_name(text), None)


def _secret(text):
    return datatypes.Secret(text.strip())


_callable.__name__ = _callable_name.__name__ = 'dotted_callable'
_secret.__name__ = 'secret'

_CACHE_FILE = 'a cache file'
_CERTIFICATE = 'a PEM certificate file'
_KEY = 'a PEM private key file'
_CA = 'a CA file or a directory of CA certificates'
_VAR = 'the directory for the cache file'

# <clientstorage>
server = _for_key('server', datatypes.server_addresses)
storage = _for_key('storage', datatypes.storage_name)
name = _for_key('name', datatypes.text)
cache_size = _for_key('cache-size', datatypes.size)
cache_path = _for_key('cache-path', datatypes.file_in_existing_directory,
                      _CACHE_FILE)
blob_dir = _for_key('blob-dir', datatypes.directory_path, 'a blob directory')
shared_blob_dir = _for_key('shared-blob-dir', datatypes.boolean)
blob_cache_size = _for_key('blob-cache-size', datatypes.size)
blob_cache_size_check = _for_key('blob-cache-size-check', datatypes.percent)
read_only = _for_key('read-only', datatypes.boolean)
read_only_fallback = _for_key('read-only-fallback', datatypes.boolean)
server_sync = _for_key('server-sync', datatypes.boolean)
wait_timeout = _for_key('wait-timeout', datatypes.positive_interval)
disconnect_poll = _for_key('disconnect-poll', datatypes.positive_interval)
client_label = _for_key('client-label', datatypes.text)
# ... and the keys of ZODB's <zeoclient>.
client = _for_key('client', datatypes.file_name_part)
var = _for_key('var', datatypes.existing_directory, _VAR)
wait = _for_key('wait', datatypes.boolean)
min_disconnect_poll = _for_key('min-disconnect-poll',
                               datatypes.positive_interval)
max_disconnect_poll = _for_key('max-disconnect-poll', datatypes.text)
drop_cache_rather_verify = _for_key('drop-cache-rather-verify',
                                    datatypes.text)
username = _for_key('username', datatypes.text)
password = _for_key('password', _secret)
realm = _for_key('realm', datatypes.text)

# <ssl>
certificate = _for_key('certificate', datatypes.existing_file, _CERTIFICATE)
key = _for_key('key', datatypes.existing_file, _KEY)
password_function = _for_key('password-function', _callable)
authenticate = _for_key('authenticate', datatypes.existing_path, _CA)
check_hostname = _for_key('check-hostname', datatypes.boolean)
server_hostname = _for_key('server-hostname', datatypes.host_name)

#: ``{datatype name in component.xml: converter}`` for an offline review:
#: the text of every value is checked, nothing on this machine is looked
#: at, and ``password-function`` is not imported.
OFFLINE = {
    'zeoconf.keys.cache_path': _for_key('cache-path', datatypes.path_text,
                                        _CACHE_FILE),
    'zeoconf.keys.var': _for_key('var', datatypes.path_text, _VAR),
    'zeoconf.keys.certificate': _for_key('certificate', datatypes.path_text,
                                         _CERTIFICATE),
    'zeoconf.keys.key': _for_key('key', datatypes.path_text, _KEY),
    'zeoconf.keys.password_function': _for_key('password-function',
                                               _callable_name),
    'zeoconf.keys.authenticate': _for_key('authenticate',
                                          datatypes.path_text, _CA),
}

# The key names each section type accepts; a test compares them with the
# schema.
CLIENTSTORAGE_KEYS = frozenset({
    'server', 'storage', 'name', 'cache-size', 'cache-path', 'blob-dir',
    'shared-blob-dir', 'blob-cache-size', 'blob-cache-size-check',
    'read-only', 'read-only-fallback', 'server-sync', 'wait-timeout',
    'disconnect-poll', 'client-label', 'client', 'var', 'wait',
    'min-disconnect-poll', 'max-disconnect-poll', 'drop-cache-rather-verify',
    'username', 'password', 'realm'})
SSL_KEYS = frozenset({'certificate', 'key', 'password-function',
                      'authenticate', 'check-hostname', 'server-hostname'})

# Names that belong to another section, with where they go.
_ELSEWHERE = {
    'cache-size-bytes': 'it belongs in the enclosing <zodb> section',
    'pool-size': 'it belongs in the enclosing <zodb> section',
    'mount-point': 'it belongs in the enclosing <zodb_db> section',
    'address': "the server address of a client is given with 'server'",
    'path': "a ZEO client has no storage file; use 'server' (or cache-path "
            "for a persistent cache)",
}
_SECTION_KEYS = {'clientstorage': CLIENTSTORAGE_KEYS, 'ssl': SSL_KEYS}
# A key name ZConfig reads runs to the first white space, so that
# "password=S3CRET" arrives as one name: it is quoted only up to here.
_NAME_END = '=:'


def clientstorage_key(key):
    """Keytype of ``<clientstorage>``: a known key name, in lower case."""
    name = key.lower()
    if name in CLIENTSTORAGE_KEYS:
        return name
    raise ValueError(unknown_key(key, 'clientstorage'))


def ssl_key(key):
    """Keytype of ``<ssl>``: a known key name, in lower case."""
    name = key.lower()
    if name in SSL_KEYS:
        return name
    raise ValueError(unknown_key(key, 'ssl'))


def _quoted_name(key):
    for stop in _NAME_END:
        key = key.split(stop, 1)[0]
    if len(key) > 40:
        key = key[:40] + '...'
    return key


def _suggestion(name, known):
    norm = name.replace('_', '-')
    if norm in known:
        return norm
    # Only for a name that is not a key: a parse without one does not load
    # difflib.
    import difflib
    candidates = sorted(known)
    close = difflib.get_close_matches(norm, candidates, n=1, cutoff=0.6)
    if close:
        return close[0]
    squashed = norm.replace('-', '')
    for candidate in candidates:
        flat = candidate.replace('-', '')
        if squashed and (flat.startswith(squashed)
                         or squashed.startswith(flat)):
            return candidate
    return None


def unknown_key(key, section):
    """The message for *key*, which is not a key of *section*
    (``'clientstorage'`` or ``'ssl'``). The name is quoted up to a ``=``
    or ``:`` (a mistyped ``password=...`` line would otherwise show the
    password)."""
    known = _SECTION_KEYS[section]
    lowered = key.lower()
    for secret in SECRET_KEYS:
        if lowered.startswith(secret) and lowered != secret:
            # "passwordS3CRET", "password;S3CRET": the rest may be it.
            return (f'a key that starts with {secret!r} is not a key of '
                    f'<{section}> (the rest of the name is not shown: it '
                    f'may be the password); write {secret}, a space, then '
                    f'the value')
    name = _quoted_name(key).lower()
    if len(name) < len(key) and key[len(name)] in _NAME_END:
        # "password=S3CRET": the name, and what follows it, unquoted.
        sign = key[len(name)]
        known_name = name if name in known else _suggestion(name, known)
        about = f' ({known_name!r})' if known_name else ''
        return (f'{name!r} followed by {sign!r} is not a key of '
                f'<{section}>: ZConfig reads a key, white space, then its '
                f'value; write the key{about}, a space, then the value '
                f'(not shown here)')
    message = f'{name!r} is not a key of <{section}>'
    if name in _ELSEWHERE:
        return f'{message}; {_ELSEWHERE[name]}'
    for other, other_keys in _SECTION_KEYS.items():
        if other != section and name.replace('_', '-') in other_keys:
            return f'{message}; it is a key of <{other}>, which belongs ' \
                   f'{"inside" if other == "ssl" else "around"} it'
    suggestion = _suggestion(name, known)
    if suggestion:
        return f'{message}; did you mean {suggestion!r}?'
    return f'{message}; the keys are ' + ', '.join(sorted(known))
