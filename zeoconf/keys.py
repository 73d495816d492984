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
its only caller while a configuration is read, or more cheaply from the
parser's ``handle_key_value`` that calls it for a line of a file. That is
ZConfig's internal structure, not its API: :func:`positions_available`
says whether it holds for the installed ZConfig, and a test pins it down.
Without it everything still works, only without those line numbers.
"""

import sys

from zeoconf import datatypes

__all__ = ['clientstorage_key', 'ssl_key', 'positions', 'Position']


class Position(tuple):
    """Where a key was given: ``Position((lineno, url))``."""

    __slots__ = ()

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


def _handle_key_value_code():
    try:
        from ZConfig.cfgparser import ZConfigParser
        return ZConfigParser.handle_key_value.__code__
    except (ImportError, AttributeError):  # pragma: no cover
        return None


_ADDVALUE_CODE = _addvalue_code()
# addValue(self, key, value, position) is called by the parser's
# handle_key_value(self, section, rest) as
# section.addValue(key, value, (self.lineno, None, self.url)).
_HANDLE_KEY_VALUE_CODE = _handle_key_value_code()
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

_KEYS_ATTR = '_zeoconf_keys'


def _keys_of(section_type):
    """``{key name: is it a multikey}``, cached on the section type.

    The first time, the defaults of the type's keys are also made cheap to
    hand out (see :func:`_share_default`).
    """
    keys = getattr(section_type, _KEYS_ATTR, None)
    if keys is None:
        keys = {}
        for name, info in section_type:
            if name and not info.issection():
                keys[name] = info.ismulti()
                _share_default(info)
        setattr(section_type, _KEYS_ATTR, keys)
    return keys


try:
    from ZConfig.info import ValueInfo as _ValueInfo
except ImportError:  # pragma: no cover
    _ValueInfo = None


def _share_default(info):
    # For every section, ZConfig asks each key it was not given for its
    # default through getdefault(), which returns copy.copy() of the
    # default: a ValueInfo (a copy costs more than the rest of the key's
    # handling) or None. With a score of keys with defaults that made
    # parsing slower than ZEO's smaller component. A ValueInfo is never
    # changed after it is made (ZConfig only reads .value and .position),
    # so the default itself can be handed out. Multikeys keep their
    # copied list. Pinned by tests/test_invariants.py.
    if _ValueInfo is None or info.ismulti():
        return
    default = getattr(info, '_default', _share_default)   # marker: none
    if default is None or type(default) is _ValueInfo:
        info.getdefault = lambda: default


def _suggestion(key, known):
    import difflib
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


def _unknown_key(key, section, known):
    name = key.lower()
    message = f'{key!r} is not a key of <{section}>'
    if name in _ELSEWHERE:
        return f'{message}; {_ELSEWHERE[name]}'
    suggestion = _suggestion(name, known)
    if suggestion:
        return f'{message}; did you mean {suggestion!r}?'
    return f'{message}; the keys are ' + ', '.join(sorted(known))


def _keytype(section):
    """The keytype function of section type *section*."""
    getframe = sys._getframe

    def keytype(key):
        name = key.lower()
        frame = getframe(1)
        if frame.f_code is not _ADDVALUE_CODE:
            # Called while the schema itself is read, or by a ZConfig whose
            # structure we do not know: plain normalisation only.
            return name
        caller = frame.f_back
        if caller is not None and caller.f_code is _HANDLE_KEY_VALUE_CODE:
            # Reading f_locals costs about 100 ns per local not yet bound,
            # and addValue has ten of them when it calls us; its caller
            # has one. Same matcher, same position.
            local = caller.f_locals
            matcher = local['section']
            parser = local['self']
            lineno, url = parser.lineno, parser.url
        else:
            local = frame.f_locals
            matcher = local['self']
            lineno, _, url = local['position']
        known = getattr(matcher.type, _KEYS_ATTR, None) or _keys_of(
            matcher.type)
        multi = known.get(name)
        if multi is None:
            raise ValueError(_unknown_key(key, section, known))
        # getattr/setattr, not matcher.__dict__: asking for __dict__ turns
        # the matcher's inline attribute values into a real dict, and
        # every later read of its attributes in ZConfig gets slower.
        found = getattr(matcher, _POSITIONS_ATTR, None)
        if found is None:
            found = {}
            setattr(matcher, _POSITIONS_ATTR, found)
        if name in found:
            if not multi:
                raise ValueError(f'{name} is given twice (first on line '
                                 f'{found[name][0].lineno}); keep one')
            found[name].append(Position((lineno, url)))
        else:
            found[name] = [Position((lineno, url))]
        return name

    keytype.__name__ = keytype.__qualname__ = f'{section}_key'
    keytype.__doc__ = f'Keytype of <{section}>: see the module docstring.'
    return keytype


clientstorage_key = _keytype('clientstorage')
ssl_key = _keytype('ssl')


def positions(section):
    """``{key: [Position, ...]}`` for the keys given in a parsed section.

    Empty when the installed ZConfig does not let us see positions.
    """
    matcher = getattr(section, '_matcher', None)
    return getattr(matcher, _POSITIONS_ATTR, None) or {}


def positions_available():
    """Whether key positions can be recorded with the installed ZConfig."""
    return _ADDVALUE_CODE is not None


def _for_key(key, convert, pure=False):
    """A converter for *key* that names it in its errors.

    A *pure* converter depends on the text alone: its results are kept,
    since configurations repeat the same few values in every section and
    ZConfig converts every default again for every section.
    """
    if pure:
        results = {}

        def convert_key(text):
            try:
                return results[text]
            except KeyError:
                pass
            try:
                value = convert(text)
            except ValueError as e:
                raise ValueError(f'{key}: {e}') from None
            if len(results) > 256:
                results.clear()
            results[text] = value
            return value
    else:
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


server = _for_key('server', datatypes.server_address, pure=True)
storage = _for_key('storage', datatypes.text, pure=True)
name = _for_key('name', datatypes.text, pure=True)
cache_size = _for_key('cache-size', datatypes.size, pure=True)
cache_path = _for_key('cache-path', _described(
    datatypes.file_in_existing_directory, 'a cache file path'))
blob_dir = _for_key('blob-dir', _described(
    datatypes.directory_path, 'a blob directory'))
shared_blob_dir = _for_key('shared-blob-dir', datatypes.boolean, True)
blob_cache_size = _for_key('blob-cache-size', datatypes.size, True)
blob_cache_size_check = _for_key('blob-cache-size-check', datatypes.percent,
                                 True)
read_only = _for_key('read-only', datatypes.boolean, True)
read_only_fallback = _for_key('read-only-fallback', datatypes.boolean, True)
server_sync = _for_key('server-sync', datatypes.boolean, True)
wait_timeout = _for_key('wait-timeout', datatypes.positive_interval, True)
disconnect_poll = _for_key('disconnect-poll', datatypes.positive_interval,
                           True)
client_label = _for_key('client-label', datatypes.text, True)

client = _for_key('client', datatypes.text, True)
var = _for_key('var', _described(
    datatypes.existing_directory, 'the directory for the cache file'))
wait = _for_key('wait', datatypes.boolean, True)
min_disconnect_poll = _for_key('min-disconnect-poll',
                               datatypes.positive_interval, True)
max_disconnect_poll = _for_key('max-disconnect-poll', datatypes.text, True)
drop_cache_rather_verify = _for_key('drop-cache-rather-verify',
                                    datatypes.text, True)
username = _for_key('username', datatypes.text, True)
realm = _for_key('realm', datatypes.text, True)

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
check_hostname = _for_key('check-hostname', datatypes.boolean, True)
server_hostname = _for_key('server-hostname', datatypes.host_name,
                           True)
