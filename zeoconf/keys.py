"""The datatypes and keytypes that ``component.xml`` names.

ZConfig gives a datatype the value's text only and adds the line to its
``ValueError``: a converter per key names the key too. A keytype sees
every key name, and says what was meant by one the section lacks.
"""

from zeoconf import datatypes

#: Keys whose values are never shown, nor the rest of a name that starts
#: with one (``password=S3CRET`` read as one key name).
SECRET_KEYS = ('password',)


def secret_key(name):
    """The key of :data:`SECRET_KEYS` that *name* is or starts with, or
    None: the one rule for what is never quoted. A longer name of its own
    (``password-function``, ``password_file``) is not a secret key."""
    lowered = name.lower()
    for key in SECRET_KEYS:
        if lowered.startswith(key) and lowered[len(key):len(key) + 1] not in (
                '-', '_'):
            return key
    return None


def _for_key(key, convert, *args, datatype=None):
    """``convert(text, *args)``, naming *key* in its errors."""

    def convert_key(text):
        try:
            return convert(text, *args)
        except ValueError as e:
            if not datatypes.LINE_BREAKS.isdisjoint(text):
                # A lone "\r" joined the next line, a password perhaps, to
                # this value (free text refuses it too): not quoted.
                raise ValueError(
                    f'{key}: the value holds a line break that ZConfig does '
                    f'not end a line at (a lone carriage return, a form '
                    f'feed, ...), so what follows it, the next key '
                    f'perhaps, was read as part of the value (not shown); '
                    f'end each line with a new line') from None
            raise ValueError(f'{key}: {e}') from None

    # The conversion's name, for the reference and for formatting values.
    convert_key.datatype = datatype or convert.__name__
    return convert_key


def _callable(text):
    name = datatypes.dotted_name(text)
    return datatypes.NamedCallable(name, datatypes.dotted_callable(name))


def _callable_name(text):
    return datatypes.NamedCallable(datatypes.dotted_name(text), None)


#: ``{datatype name in component.xml: converter}`` for an offline review:
#: the text is checked, nothing on this machine is looked at, and
#: ``password-function`` is not imported.
OFFLINE = {'zeoconf.keys.password_function': _for_key(
    'password-function', _callable_name, datatype='dotted_callable')}


def _on_disk(key, convert, what):
    """A converter for *key*, which names *what* on this machine; its twin
    that checks the text only goes into :data:`OFFLINE`."""
    name = f'zeoconf.keys.{key.replace("-", "_")}'
    OFFLINE[name] = _for_key(key, datatypes.path_text, what)
    return _for_key(key, convert, what)


# <clientstorage>
server = _for_key('server', datatypes.server_addresses)
storage = _for_key('storage', datatypes.storage_name)
name = _for_key('name', datatypes.text)
cache_size = _for_key('cache-size', datatypes.size)
cache_path = _on_disk('cache-path', datatypes.file_in_existing_directory,
                      'a cache file')
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
var = _on_disk('var', datatypes.existing_directory,
               'the directory for the cache file')
wait = _for_key('wait', datatypes.boolean)
min_disconnect_poll = _for_key('min-disconnect-poll',
                               datatypes.positive_interval)
max_disconnect_poll = _for_key('max-disconnect-poll', datatypes.text)
drop_cache_rather_verify = _for_key('drop-cache-rather-verify',
                                    datatypes.text)
username = _for_key('username', datatypes.text)
password = _for_key('password', datatypes.secret)
realm = _for_key('realm', datatypes.text)

# <ssl>
certificate = _on_disk('certificate', datatypes.existing_file,
                       'a PEM certificate file')
key = _on_disk('key', datatypes.existing_file, 'a PEM private key file')
password_function = _for_key('password-function', _callable,
                             datatype='dotted_callable')
authenticate = _on_disk('authenticate', datatypes.existing_path,
                        'a CA file or a directory of CA certificates')
check_hostname = _for_key('check-hostname', datatypes.boolean)
server_hostname = _for_key('server-hostname', datatypes.host_name)

# The key names of each section type; a test compares them with the
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
_SECTION_KEYS = {'clientstorage': CLIENTSTORAGE_KEYS, 'ssl': SSL_KEYS}

# Names that belong to another section, with where they go.
_ELSEWHERE = {
    'cache-size-bytes': 'it belongs in the enclosing <zodb> section',
    'pool-size': 'it belongs in the enclosing <zodb> section',
    'mount-point': 'it belongs in the enclosing <zodb_db> section',
    'address': "the server address of a client is given with 'server'",
    'path': "a ZEO client has no storage file; use 'server' (or cache-path "
            "for a persistent cache)",
}


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


def _suggestion(name, known):
    norm = name.replace('_', '-')
    if norm in known:
        return norm
    # Imported only for a name that is not a key: importing difflib costs
    # a fresh process two thirds of what ZEO's whole component does.
    import difflib
    candidates = sorted(known)
    close = difflib.get_close_matches(norm, candidates, n=1, cutoff=0.6)
    if close:
        return close[0]
    # A name run into its value, as "serverlocalhost".
    squashed = norm.replace('-', '')
    for candidate in candidates:
        flat = candidate.replace('-', '')
        if squashed and (flat.startswith(squashed)
                         or squashed.startswith(flat)):
            return candidate
    return None


def unknown_key(key, section):
    """The message for *key*, not a key of *section* (``'clientstorage'``
    or ``'ssl'``). ZConfig reads a name up to white space, so that
    ``password=S3CRET`` is one: it is quoted up to a ``=`` or ``:`` only,
    and not at all after a secret key's name."""
    known = _SECTION_KEYS[section]
    lowered = key.lower()
    secret = secret_key(key)
    if secret is not None and lowered != secret:
        return (f'a key that starts with {secret!r} is not a key of '
                f'<{section}> (the rest of the name is not shown: it may '
                f'be the password); write {secret}, a space, then the '
                f'value')
    head = key.split('=', 1)[0].split(':', 1)[0]
    name = head.lower() if len(head) <= 40 else head[:40].lower() + '...'
    if len(head) < len(key):
        sign = key[len(head)]
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
            where = 'inside' if other == 'ssl' else 'around'
            return (f'{message}; it is a key of <{other}>, which belongs '
                    f'{where} it')
    suggestion = _suggestion(name, known)
    if suggestion:
        return f'{message}; did you mean {suggestion!r}?'
    return f'{message}; the keys are ' + ', '.join(sorted(known))
