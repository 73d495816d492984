"""The converters named in ``component.xml``, one per key, and key checks.

ZConfig gives a datatype only the value's text, and adds the line itself.
To name the key in every message, each key gets its own converter here,
built from the generic ones in :mod:`zeoconf.datatypes`.

Each section type also has a *keytype*: ZConfig calls it with every key
name as it reads it, and reports its ``ValueError`` with the line. It does
three things ZConfig cannot do by itself:

- suggests the right name for a misspelt key (``cache_size``);
- names the first line of a key that is given twice;
- remembers on which line each key was given (:func:`positions`), so that
  checks across keys, which ZConfig runs without any position, can still
  say where the keys are, and ``zeoconf show`` can say where a value came
  from.

The keytype learns the position from ZConfig's ``BaseMatcher.addValue``,
its only caller while a configuration is read. That is ZConfig's internal
structure, not its API: :func:`positions_available` says whether it holds
for the installed ZConfig, and a test pins it down. Without it everything
still works, only without those line numbers.
"""

import difflib
import sys
import weakref

from zeoconf import datatypes

__all__ = ['clientstorage_key', 'ssl_key', 'positions', 'Position']


class Position(tuple):
    """Where a key was given: ``(lineno, url)``."""

    __slots__ = ()

    def __new__(cls, lineno, url):
        return tuple.__new__(cls, (lineno, url))

    lineno = property(lambda self: self[0])
    url = property(lambda self: self[1])

    def __str__(self):
        return f'line {self[0]}'


def _addvalue_code():
    try:
        from ZConfig.matcher import BaseMatcher
        return BaseMatcher.addValue.__code__
    except (ImportError, AttributeError):  # pragma: no cover
        return None


_ADDVALUE_CODE = _addvalue_code()
_POSITIONS_ATTR = '_zeoconf_positions'

# Keys that belong to a neighbouring section, with where they go.
_ELSEWHERE = {
    'cache-size-bytes': 'it belongs in the enclosing <zodb> section',
    'pool-size': 'it belongs in the enclosing <zodb> section',
    'mount-point': 'it belongs in the enclosing <zodb_db> section',
    'address': "the server address of a client is given with 'server'",
    'path': "a ZEO client has no storage file; use 'server' (or cache-path "
            "for a persistent cache)",
}

# Per section type object: {key name: is it a multikey}.
_known_keys = weakref.WeakKeyDictionary()


def _keys_of(section_type):
    keys = _known_keys.get(section_type)
    if keys is None:
        keys = {name: info.ismulti() for name, info in section_type
                if name and not info.issection()}
        _known_keys[section_type] = keys
    return keys


def _suggestion(key, known):
    norm = key.replace('_', '-').replace(' ', '-')
    if norm in known:
        return norm
    candidates = list(known)
    close = difflib.get_close_matches(norm, candidates, n=1, cutoff=0.6)
    if close:
        return close[0]
    squashed = norm.replace('-', '')
    for candidate in candidates:
        flat = candidate.replace('-', '')
        if flat.startswith(squashed) or squashed.startswith(flat):
            return candidate
    return None


def _check_key(key, section):
    name = key.lower()
    frame = sys._getframe(2)
    if frame.f_code is not _ADDVALUE_CODE:
        # Called while the schema itself is read, or by a ZConfig whose
        # structure we do not know: plain normalisation only.
        return name
    local = frame.f_locals
    matcher = local['self']
    known = _keys_of(matcher.type)
    multi = known.get(name)
    if multi is None:
        message = f'{key!r} is not a key of <{section}>'
        if name in _ELSEWHERE:
            message += f'; {_ELSEWHERE[name]}'
        else:
            suggestion = _suggestion(name, known)
            if suggestion:
                message += f'; did you mean {suggestion!r}?'
            else:
                message += '; the keys are ' + ', '.join(sorted(known))
        raise ValueError(message)
    found = matcher.__dict__.setdefault(_POSITIONS_ATTR, {})
    lineno, _, url = local['position']
    if name in found and not multi:
        raise ValueError(f'{name} is given twice (first on line '
                         f'{found[name][0].lineno}); keep one')
    found.setdefault(name, []).append(Position(lineno, url))
    return name


def clientstorage_key(key):
    """Keytype of ``<clientstorage>``: see the module docstring."""
    return _check_key(key, 'clientstorage')


def ssl_key(key):
    """Keytype of ``<ssl>``: see the module docstring."""
    return _check_key(key, 'ssl')


def positions(section):
    """``{key: [Position, ...]}`` for the keys given in a parsed section.

    Empty when the installed ZConfig does not let us see positions.
    """
    matcher = getattr(section, '_matcher', None)
    return getattr(matcher, _POSITIONS_ATTR, None) or {}


def positions_available():
    """Whether key positions can be recorded with the installed ZConfig."""
    return _ADDVALUE_CODE is not None


def _for_key(key, convert):
    def convert_key(text):
        try:
            return convert(text)
        except ValueError as e:
            raise ValueError(f'{key}: {e}') from None
    convert_key.__name__ = key.replace('-', '_')
    convert_key.__qualname__ = convert_key.__name__
    convert_key.__doc__ = f'Value of {key}: see datatypes.{convert.__name__}.'
    # The generic datatype's name, for the generated reference.
    convert_key.datatype = convert.__name__
    return convert_key


def _described(convert, what):
    def with_what(text):
        return convert(text, what)
    with_what.__name__ = convert.__name__
    return with_what


server = _for_key('server', datatypes.server_address)
storage = _for_key('storage', datatypes.text)
name = _for_key('name', datatypes.text)
cache_size = _for_key('cache-size', datatypes.size)
cache_path = _for_key('cache-path', _described(
    datatypes.file_in_existing_directory, 'a cache file path'))
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

client = _for_key('client', datatypes.text)
var = _for_key('var', _described(
    datatypes.existing_directory, 'the directory for the cache file'))
wait = _for_key('wait', datatypes.boolean)
min_disconnect_poll = _for_key('min-disconnect-poll',
                               datatypes.positive_interval)
max_disconnect_poll = _for_key('max-disconnect-poll', datatypes.text)
drop_cache_rather_verify = _for_key('drop-cache-rather-verify',
                                    datatypes.text)
username = _for_key('username', datatypes.text)
realm = _for_key('realm', datatypes.text)


class Secret:
    """A value that ``str`` and ``repr`` never show; :meth:`reveal` does."""

    __slots__ = ('_value',)

    def __init__(self, value):
        self._value = value

    def reveal(self):
        return self._value

    def __repr__(self):
        return '<redacted>'

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self):
        return hash(self._value)


def password(text):
    """Value of password: kept, but never shown."""
    return Secret(text)


password.datatype = 'secret'



certificate_file = _for_key('certificate', _described(
    datatypes.existing_file, 'a PEM certificate file'))
key_file = _for_key('key', _described(
    datatypes.existing_file, 'a PEM private key file'))
password_function = _for_key('password-function', datatypes.dotted_callable)
ca_location = _for_key('authenticate', _described(
    datatypes.existing_path, 'a CA file or a directory of CA certificates'))
check_hostname = _for_key('check-hostname', datatypes.boolean)
server_hostname = _for_key('server-hostname', datatypes.host_name)
