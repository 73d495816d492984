"""The converters and keytypes named in ``component.xml``.

ZConfig hands a datatype the text of a value and nothing else, and adds
the line to its ``ValueError`` itself. So that every message names the
key as well, each key gets a converter of its own here, built from the
generic conversions of :mod:`zeoconf.datatypes`.

Each section type also has a *keytype*: ZConfig calls it with every key
name it reads and reports its ``ValueError`` with the line. Ours accepts
exactly the names the section type defines (:data:`CLIENTSTORAGE_KEYS`,
:data:`SSL_KEYS`; a test compares them with the schema) and, for any
other name, suggests the right one (``cache_size``: did you mean
``cache-size``?).

The keys of ZODB's ``<zeoclient>`` that ``<clientstorage>`` accepts for
compatibility share its one "+" entry, whose datatype keeps the text
(:func:`zeoclient_value`); the opener converts each by its name
(:data:`ZEOCLIENT_KEYS`, :func:`zeoclient_keys`). A section type that
extends ``clientstorage`` with keys of its own must name its own keytype.
"""

import threading

from zeoconf import datatypes

__all__ = ['CLIENTSTORAGE_KEYS', 'SSL_KEYS', 'ZEOCLIENT_KEYS',
           'reading', 'current_loader',
           'clientstorage_key', 'ssl_key', 'zeoclient_value',
           'zeoclient_keys', 'zeoclient_default']


# What this thread is reading, for the tools: ``reading.loader`` is
# zeoconf's own loader (zeoconf.loader) while it reads a file. Through it
# the openers learn each key's line, and an offline review (zeoconf check
# --offline) keeps the converters off the file system. A plain
# ZODB.config parse never sets it. (A plain threading.local: a subclass
# of it costs every process start more than all of this module.)
reading = threading.local()


def current_loader():
    """zeoconf's loader reading a file in this thread, or None."""
    return getattr(reading, 'loader', None)


def __getattr__(name):
    # Secret and NamedCallable, here in zeoconf 0.1, live in
    # zeoconf.values: a process whose configuration needs neither does
    # not create them.
    if name in ('Secret', 'NamedCallable'):
        from zeoconf import values
        return getattr(values, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def _offline():
    loader = current_loader()
    return loader is not None and loader.offline


# Characters str.splitlines() ends a line at and ZConfig does not.
_LINE_BREAKS = frozenset('\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029')


def _for_key(key, convert):
    """A converter for *key* that names it in its errors."""

    def convert_key(text):
        try:
            return convert(text)
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

    convert_key.__name__ = convert_key.__qualname__ = key.replace('-', '_')
    convert_key.__doc__ = f'Value of {key}: see datatypes.{convert.__name__}.'
    # The generic datatype's name, for the reference and ``show``.
    convert_key.datatype = convert.__name__
    return convert_key


def _described(convert, what):
    def with_what(text):
        return convert(text, what)
    with_what.__name__ = convert.__name__
    return with_what


def _on_disk(name, what):
    """The conversion *name* of :mod:`zeoconf.lookups` (imported when first
    used), described by *what*; in an offline review only the path's text
    is checked."""
    def on_disk(text):
        if _offline():
            return datatypes.path_text(text, what)
        from zeoconf import lookups
        return getattr(lookups, name)(text, what)
    on_disk.__name__ = name
    return on_disk


def _importing(text):
    """The callable a dotted name names (``lookups.dotted_callable``); in
    an offline review the name only, not imported."""
    from zeoconf.values import NamedCallable
    name = datatypes.dotted_name(text)
    if _offline():
        return NamedCallable(name, None)
    from zeoconf import lookups
    return NamedCallable(name, lookups.dotted_callable(name))


_importing.__name__ = 'dotted_callable'


def password(text):
    """Value of password: kept, but never shown."""
    from zeoconf.values import Secret
    return Secret(text.strip())


password.datatype = 'secret'


server = _for_key('server', datatypes.server_address)
storage = _for_key('storage', datatypes.storage_name)
name = _for_key('name', datatypes.text)
cache_size = _for_key('cache-size', datatypes.size)
cache_path = _for_key('cache-path', _on_disk(
    'file_in_existing_directory', 'a cache file'))
blob_dir = _for_key('blob-dir', _described(
    datatypes.directory_path, 'a blob directory'))
shared_blob_dir = _for_key('shared-blob-dir', datatypes.boolean)
blob_cache_size = _for_key('blob-cache-size', datatypes.size)
blob_cache_size_check = _for_key('blob-cache-size-check', datatypes.percent)
read_only = _for_key('read-only', datatypes.boolean)
read_only_fallback = _for_key('read-only-fallback', datatypes.boolean)
server_sync = _for_key('server-sync', datatypes.boolean)
wait_timeout = _for_key('wait-timeout', datatypes.positive_interval)
disconnect_poll = _for_key('disconnect-poll', datatypes.positive_interval)
client_label = _for_key('client-label', datatypes.text)

certificate_file = _for_key('certificate', _on_disk(
    'existing_file', 'a PEM certificate file'))
key_file = _for_key('key', _on_disk(
    'existing_file', 'a PEM private key file'))
password_function = _for_key('password-function', _importing)
ca_location = _for_key('authenticate', _on_disk(
    'existing_path', 'a CA file or a directory of CA certificates'))
check_hostname = _for_key('check-hostname', datatypes.boolean)
server_hostname = _for_key('server-hostname', datatypes.host_name)


# Keys of ZODB's <zeoclient> section, accepted by <clientstorage> through
# its "+" entry: name -> (converter, default text or None). The "+"
# entry's description in component.xml names each with its default.
ZEOCLIENT_KEYS = {
    'client': (_for_key('client', datatypes.file_name_part), None),
    'var': (_for_key('var', _on_disk(
        'existing_directory', 'the directory for the cache file')),
        None),
    'wait': (_for_key('wait', datatypes.boolean), 'true'),
    'min-disconnect-poll': (_for_key('min-disconnect-poll',
                                     datatypes.positive_interval), None),
    'max-disconnect-poll': (_for_key('max-disconnect-poll', datatypes.text),
                            None),
    'drop-cache-rather-verify': (_for_key('drop-cache-rather-verify',
                                          datatypes.text), None),
    'username': (_for_key('username', datatypes.text), None),
    'password': (password, None),
    'realm': (_for_key('realm', datatypes.text), None),
}

# The key names each section type accepts (its keytype's set).
CLIENTSTORAGE_KEYS = frozenset({
    'server', 'cache-size', 'cache-path', 'blob-dir', 'shared-blob-dir',
    'blob-cache-size', 'blob-cache-size-check', 'read-only',
    'read-only-fallback', 'server-sync', 'wait-timeout', 'disconnect-poll',
    'client-label', 'storage', 'name', *ZEOCLIENT_KEYS})
SSL_KEYS = frozenset({'certificate', 'key', 'password-function',
                      'authenticate', 'check-hostname', 'server-hostname'})

def clientstorage_key(key):
    """Keytype of ``<clientstorage>``: a known key name, in lower case."""
    name = key.lower()
    if name in CLIENTSTORAGE_KEYS:
        return name
    from zeoconf.wording import unknown_key
    raise ValueError(unknown_key(key, 'clientstorage', CLIENTSTORAGE_KEYS))


def ssl_key(key):
    """Keytype of ``<ssl>``: a known key name, in lower case."""
    name = key.lower()
    if name in SSL_KEYS:
        return name
    from zeoconf.wording import unknown_key
    raise ValueError(unknown_key(key, 'ssl', SSL_KEYS))


def zeoclient_value(text):
    """Datatype of the "+" entry of ``<clientstorage>``: the text, kept
    as a :class:`zeoconf.values.Secret` (one of these keys is a password,
    and ZConfig's own ``str()`` of a section shows every value)."""
    from zeoconf.values import Secret
    return Secret(text)


zeoclient_value.datatype = 'zeoclient'


def zeoclient_keys(section):
    """``{key: value}`` of the ``<zeoclient>`` keys given in *section*
    (the ``SectionValue``), each converted by its own converter; raises
    ``ValueError`` naming the key. Defaults are not included."""
    from zeoconf.values import Secret
    converted = {}
    for key, value in section.zeoclient_keys.items():
        if key not in ZEOCLIENT_KEYS:
            # Only where a section type extending clientstorage named a
            # keytype that lets any name through.
            from zeoconf.wording import unknown_key
            raise ValueError(unknown_key(key, 'clientstorage',
                                         CLIENTSTORAGE_KEYS))
        text = value.reveal() if isinstance(value, Secret) else value
        converted[key] = ZEOCLIENT_KEYS[key][0](text)
    return converted


def zeoclient_default(key):
    """The converted default of ``<zeoclient>`` key *key* (or None)."""
    convert, default = ZEOCLIENT_KEYS[key]
    return None if default is None else convert(default)
