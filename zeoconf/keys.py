"""The converters named in ``component.xml``, one per key, and key checks.

ZConfig gives a datatype only the value's text, and adds the line itself.
To name the key in every message, each key gets its own converter here,
built from the generic ones in :mod:`zeoconf.datatypes`.

Each section type also has a *keytype*: ZConfig calls it with every key
name as it reads it, and reports its ``ValueError`` with the line. Ours
accepts the names the section type defines and, for any other name,
suggests the right one (``cache_size``: did you mean ``cache-size``?).
A known name costs a lower-casing and a set lookup, as ZConfig's own
``basic-key`` would.

ZConfig gives the checks across keys, which run in the section's
datatype, no position at all. Inside :func:`recording` (zeoconf's own
entry points: ``parse_clientstorage``, the command line) we learn where
each key was given, once per section, from the first key ZConfig converts
in it: ``server`` in ``<clientstorage>`` (required, declared first), any
given key in ``<ssl>``. Its converter looks up into ZConfig's
``BaseMatcher.constuct``, whose ``values`` still hold every given value
with its position, and keeps a shallow copy on the section's matcher;
:func:`positions` reads it. That is ZConfig's internal structure, not its
API: :func:`positions_available` says whether it holds for the installed
ZConfig, and a test pins it down. Outside :func:`recording` (a plain
``ZODB.config`` parse at process start) nothing is recorded: keeping the
copies alive costs every section more than the rest of our own work. A
message that needs a line then finds it again in the text of the file
being read (:func:`_positions_from_source`), when the section stands in
that file inside another section; otherwise (a top-level section, keys
from an ``%include``) it names the keys without their lines. The one
rule across keys that depends on whether a key was written at all
(``min-disconnect-poll`` beside ``disconnect-poll``) has the keytype note
those keys in every parse (:data:`_NOTED`, :func:`given`).

Key defaults: for every section, ZConfig asks each key it was not given
for its default, a ``copy.copy()`` of a ``ValueInfo`` that it then
converts again, and asks every entry ``ismulti()`` and ``issection()``.
At a section type's second section (once per configuration that has
two) we hand ZConfig a shared default instead, already converted, and
constant answers (:func:`share_defaults`, :func:`_prepare`).

The ``<zeoclient>`` compatibility keys share one "+" entry of
``<clientstorage>`` (:data:`ZEOCLIENT_KEYS`, :func:`zeoclient_value`).
"""

import contextlib
import itertools
import sys
import threading
import types

from zeoconf import datatypes

__all__ = ['clientstorage_key', 'ssl_key', 'positions', 'Position', 'keys_of',
           'recording', 'is_recording', 'share_defaults', 'ZEOCLIENT_KEYS',
           'zeoclient_keys']


class Position(tuple):
    """Where a key was given: ``Position((lineno, url))``."""

    __slots__ = ()

    lineno = property(lambda self: self[0])
    url = property(lambda self: self[1])

    def __str__(self):
        return f'line {self[0]}'


def _zconfig_internals():
    try:
        from ZConfig.info import ValueInfo
        from ZConfig.matcher import BaseMatcher
        code = BaseMatcher.constuct.__code__
    except (ImportError, AttributeError):  # pragma: no cover
        return None, None, None
    if code.co_varnames[:1] != ('self',) or 'values' not in code.co_varnames:
        return None, None, ValueInfo   # pragma: no cover
    return code, BaseMatcher.addValue.__code__, ValueInfo


_CONSTUCT_CODE, _ADDVALUE_CODE, _ValueInfo = _zconfig_internals()
_VALUES_ATTR = '_zeoconf_values'        # on a matcher: what constuct saw
_POSITIONS_ATTR = '_zeoconf_positions'  # on a matcher: positions, built
_TYPE_ATTR = '_zeoconf_ready'           # on a section type: defaults shared

# Keys that belong to a neighbouring section, with where they go.
_ELSEWHERE = {
    'cache-size-bytes': 'it belongs in the enclosing <zodb> section',
    'pool-size': 'it belongs in the enclosing <zodb> section',
    'mount-point': 'it belongs in the enclosing <zodb_db> section',
    'address': "the server address of a client is given with 'server'",
    'path': "a ZEO client has no storage file; use 'server' (or cache-path "
            "for a persistent cache)",
}


def keys_of(section_type):
    """``(name, info)`` for every key of *section_type* in schema order,
    sections left out; the ``<zeoclient>`` keys in place of the "+" entry
    that holds them, with ``info`` None (see :data:`ZEOCLIENT_KEYS`)."""
    for name, info in section_type:
        if name == '+':
            for key in ZEOCLIENT_KEYS:
                yield key, None
        elif name and not info.issection():
            yield name, info


def _key_names(section_type):
    """The key names *section_type* accepts."""
    return {name for name, _ in keys_of(section_type)}


def _suggestion(key, known):
    import difflib
    norm = key.replace('_', '-').replace(' ', '-')
    if norm in known:
        return norm
    candidates = sorted(known)
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


# Keys whose presence a rule across keys needs in every parse, recorded
# or not (min-disconnect-poll beside disconnect-poll is a contradiction):
# the keytype notes them on the section's matcher. They are rare in
# configurations, so the frame read this takes is too.
_NOTED = frozenset({'disconnect-poll'})
_GIVEN_ATTR = '_zeoconf_given'      # on a matcher: the _NOTED keys given


def _keytype(section):
    """The keytype function of section type *section*."""
    # {name: whether it is one of _NOTED}: the key names of the section
    # types that use this keytype, once one of them was seen.
    known = {}

    def keytype(key):
        name = key.lower()
        noted = known.get(name)
        if noted is None:
            # A name not seen yet: the schema itself being read (ZConfig
            # runs every key name it defines through the keytype), the
            # first key of this process, or a mistake.
            frame = sys._getframe(1)
            if frame.f_code is not _ADDVALUE_CODE:
                return name
            defined = _key_names(frame.f_locals['self'].type)
            known.update((n, n in _NOTED) for n in defined)
            noted = known.get(name)
            if noted is None:
                raise ValueError(_unknown_key(key, section, defined))
        if noted:
            _note_given(name)
        return name

    keytype.__name__ = keytype.__qualname__ = f'{section}_key'
    keytype.__doc__ = f'Keytype of <{section}>: see the module docstring.'
    return keytype


def _note_given(name):
    frame = sys._getframe(2)        # keytype's caller
    if frame.f_code is not _ADDVALUE_CODE:
        return
    matcher = frame.f_locals['self']
    given = getattr(matcher, _GIVEN_ATTR, None)
    if given is None:
        setattr(matcher, _GIVEN_ATTR, {name})
    else:
        given.add(name)


def given(section, key):
    """Whether *key* (one of ``_NOTED``) was written in *section* (a
    ``SectionValue``); None when the installed ZConfig does not let us
    know."""
    if _ADDVALUE_CODE is None:  # pragma: no cover
        return None
    return key in getattr(section.getSectionMatcher(), _GIVEN_ATTR, ())


clientstorage_key = _keytype('clientstorage')
ssl_key = _keytype('ssl')


_recording = 0
_recording_lock = threading.Lock()


@contextlib.contextmanager
def recording():
    """Learn where keys are given while parsing inside this block.

    zeoconf's own entry points (``parse_clientstorage``, the command line)
    parse in it; elsewhere, as under ``ZODB.config`` at every process
    start, keys are not located and parsing stays cheaper than ZEO's own
    component. Nests; a parse in another thread meanwhile records too.
    """
    global _recording
    with _recording_lock:
        _recording += 1
    try:
        yield
    finally:
        with _recording_lock:
            _recording -= 1


def is_recording():
    """Whether a parse now is one of zeoconf's own (see :func:`recording`)."""
    return _recording > 0


def _remember_values():
    """Called by the converter of a section's first key while recording:
    see the module docstring. Keeps what ``constuct`` converts on its
    matcher, once per section."""
    frame = sys._getframe(2)
    for _ in range(3):       # convert, then a list comprehension, if any
        if frame is None:
            return
        if frame.f_code is _CONSTUCT_CODE:
            break
        frame = frame.f_back
    else:
        return
    local = frame.f_locals
    matcher = local['self']
    if getattr(matcher, _VALUES_ATTR, None) is None:
        # The "+" entry's dict is converted in place later: copy it too.
        setattr(matcher, _VALUES_ATTR, {
            attr: dict(value) if type(value) is dict else value
            for attr, value in local['values'].items()})


def share_defaults(section):
    """Prepare *section*'s type for cheaper parsing from now on (see
    :func:`_prepare`). Openers call it for every section; the type is
    prepared at its second section, which is once per configuration that
    has two or more (the first section is parsed already, and a
    configuration with one gains nothing from it)."""
    section_type = section.getSectionDefinition()
    state = getattr(section_type, _TYPE_ATTR, None)
    if state is None:
        setattr(section_type, _TYPE_ATTR, False)    # one section seen
    elif state is False:
        _prepare(section_type)


class _Converted(_ValueInfo or object):
    """A key's default, converted once and handed out for every section."""

    __slots__ = ('converted',)

    def convert(self, datatype):
        return self.converted


def _constant(value):
    # A callable that returns *value* without a Python frame:
    # repeat().__next__ is C code. ZConfig makes these calls for every
    # entry of the section type, in every section.
    return itertools.repeat(value).__next__


# bool() is False, and the cheapest call there is: a type's vectorcall.
_TRUE, _FALSE = _constant(True), bool
_PLAIN_METHODS = {}     # {info class: whether _prepare may replace them}


def _answers_are_methods(info):
    # Only where ZConfig's answers are plain methods (as in ZConfig 3 and
    # 4): an instance attribute then takes their place. Pinned by
    # tests/test_invariants.py.
    cls = type(info)
    plain = _PLAIN_METHODS.get(cls)
    if plain is None:
        plain = _PLAIN_METHODS[cls] = all(
            type(getattr(cls, name, None)) is types.FunctionType
            for name in ('ismulti', 'issection', 'getdefault'))
    return plain


def _prepare(section_type):
    """Make ZConfig's per-section walk over *section_type* cheaper.

    For every section, ZConfig walks every entry of the section type three
    times and asks each ``ismulti()`` and ``issection()`` (Python calls
    whose answers never change once the schema is read), and asks each key
    it was not given for its default, a ``copy.copy()`` of a ``ValueInfo``
    that it then converts again. A ValueInfo is never changed after it is
    made (ZConfig reads .value and .position), and our converters for keys
    with defaults depend on the text alone, so the default is converted
    once and handed out as it is; multikeys keep their copied list. Each
    answer becomes a constant that costs no Python frame.
    """
    setattr(section_type, _TYPE_ATTR, True)
    if _ValueInfo is None:  # pragma: no cover
        return
    for name, info in section_type:
        if not _answers_are_methods(info):   # pragma: no cover
            continue
        multi, section = info.ismulti(), info.issection()
        info.ismulti = _TRUE if multi else _FALSE
        info.issection = _TRUE if section else _FALSE
        if not name or section or multi:
            continue
        default = getattr(info, '_default', _prepare)   # marker: none
        if default is None or (isinstance(default, dict) and not default):
            shared = default     # none; the "+" entry's empty dict
        elif type(default) is not _ValueInfo:
            continue
        elif getattr(info.datatype, 'first', False) or not getattr(
                info.datatype, 'pure', False):
            shared = default     # its converter must still run
        else:
            shared = _Converted(default.value, default.position)
            shared.converted = info.datatype(default.value)
        info.getdefault = _constant(shared)


def positions(section):
    """``{key: [Position, ...]}`` for the keys given in a parsed section.

    Empty when the installed ZConfig does not let us see positions.
    """
    matcher = getattr(section, '_matcher', None)
    found = getattr(matcher, _POSITIONS_ATTR, None)
    if found is not None:
        return found
    values = getattr(matcher, _VALUES_ATTR, None)
    if values is None:
        found = _positions_from_source(section, matcher)
        if found:
            setattr(matcher, _POSITIONS_ATTR, found)
        return found
    found = {}
    for name, info in matcher.type:
        if name == '+':
            for key, value in (values.get(info.attribute) or {}).items():
                if isinstance(value, _ValueInfo) and value.position:
                    found[key] = [Position((value.position[0],
                                            value.position[2]))]
            continue
        if not name or info.issection():
            continue
        given = values.get(info.attribute)
        if not isinstance(given, list):
            given = [given]
        default = getattr(info, '_default', None)
        where = [Position((v.position[0], v.position[2])) for v in given
                 if isinstance(v, _ValueInfo) and v.position
                 and v.position is not getattr(default, 'position', None)]
        if where:
            found[name] = where
    setattr(matcher, _POSITIONS_ATTR, found)
    return found


def _end_section_code():
    try:
        from ZConfig.cfgparser import ZConfigParser
        return ZConfigParser.end_section.__code__
    except (ImportError, AttributeError):  # pragma: no cover
        return None


_END_SECTION_CODE = _end_section_code()
_END_SECTION_DEPTH = 16


def _positions_from_source(section, matcher):
    """Positions of a section's keys, found again in the configuration text.

    For a parse that did not record them (see :func:`recording`), when a
    message needs them, which is rare: while the section's datatype runs,
    ZConfig's parser is closing the enclosing section, one of our callers.
    Its text is read back from that closing line to the enclosing section's
    opening line, and the keys of the one child section of our type and
    name are located. Gives up (empty) when there is no such parser, no
    text, or not exactly one such section.
    """
    # The opener runs a few frames below the parser that closes the
    # enclosing section; no further, or a parse that is itself inside
    # another one (a datatype that reads a configuration) would read the
    # other file.
    frame = sys._getframe(2)
    for _ in range(_END_SECTION_DEPTH):
        if frame is None or frame.f_code is _END_SECTION_CODE:
            break
        frame = frame.f_back
    if frame is None or frame.f_code is not _END_SECTION_CODE:
        return {}
    parser = frame.f_locals.get('self')
    from zeoconf.errors import source_lines
    file, url = getattr(parser, 'file', None), getattr(parser, 'url', None)
    # The text parsed when it was given as a string, else the file read
    # back from disk.
    lines = source_lines(getattr(file, 'getvalue', lambda: None)(), url, url)
    if lines is None:
        return {}
    lines = lines[:parser.lineno]
    type_name = matcher.type.name
    name = section.getSectionName()
    blocks, depth, end = [], 0, None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if line.startswith('</'):
            depth += 1
            end = index if depth == 2 else end
        elif line.startswith('<') and not line.endswith('/>'):
            depth -= 1
            if depth <= 0:
                break               # the enclosing section's opening line
            if depth == 1 and end is not None:
                header = line[1:-1].lower().split()
                if header[:1] == [type_name] and header[1:2] == (
                        [name] if name else []):
                    blocks.append((index, end))
    if len(blocks) != 1:
        return {}
    start, end = blocks[0]
    found, depth = {}, 0
    for index in range(start + 1, end):
        line = lines[index].strip()
        if line.startswith('</'):
            depth -= 1
        elif line.startswith('<'):
            depth += 0 if line.endswith('/>') else 1
        elif depth == 0 and line and line[0] not in '#%':
            key = line.split(None, 1)[0].lower()
            found.setdefault(key, []).append(Position((index + 1, url)))
    return found


def positions_available():
    """Whether key positions can be learned with the installed ZConfig."""
    return _CONSTUCT_CODE is not None


# Results kept per key: more distinct values than a large deployment
# gives one key. Once full, further values are converted every time; the
# kept ones are never dropped, so that a configuration with more distinct
# values than this does not empty the cache at every turn (when it was
# cleared on filling up, 1000 storages with 350 distinct servers parsed 5%
# slower).
RESULTS_KEPT = 1024
_MISSING = object()


def _for_key(key, convert, pure=False, first=False):
    """A converter for *key* that names it in its errors.

    A *pure* converter depends on the text alone: its results are kept,
    since configurations repeat the same few values in every section, up
    to :data:`RESULTS_KEPT` of them. The converter of the *first* key
    ZConfig converts in a section also learns where the section's keys
    were given (see the module docstring).
    """
    results = {}

    def convert_key(text):
        if first and _recording:
            _remember_values()
        if pure:
            value = results.get(text, _MISSING)     # a miss raises nothing
            if value is not _MISSING:
                return value
        try:
            value = convert(text)
        except ValueError as e:
            raise ValueError(f'{key}: {e}') from None
        if pure and len(results) < RESULTS_KEPT:
            results[text] = value
        return value

    convert_key.__name__ = key.replace('-', '_')
    convert_key.__qualname__ = convert_key.__name__
    convert_key.__doc__ = f'Value of {key}: see datatypes.{convert.__name__}.'
    # The generic datatype's name, for the generated reference.
    convert_key.datatype = convert.__name__
    convert_key.pure = pure
    convert_key.first = first
    return convert_key


def _described(convert, what):
    def with_what(text):
        return convert(text, what)
    with_what.__name__ = convert.__name__
    return with_what


server = _for_key('server', datatypes.server_address, pure=True,
                  first=True)
storage = _for_key('storage', datatypes.storage_name, pure=True)
name = _for_key('name', datatypes.text, pure=True)
cache_size = _for_key('cache-size', datatypes.size, pure=True)
cache_path = _for_key('cache-path', _described(
    datatypes.file_in_existing_directory, 'a cache file'))
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


# Keys of ZODB's <zeoclient> section, accepted by <clientstorage> through
# its "+" entry (see component.xml): name -> (converter, default text).
ZEOCLIENT_KEYS = {
    'client': (_for_key('client', datatypes.file_name_part, True), None),
    'var': (_for_key('var', _described(
        datatypes.existing_directory, 'the directory for the cache file')),
        None),
    'wait': (_for_key('wait', datatypes.boolean, True), 'true'),
    'min-disconnect-poll': (_for_key('min-disconnect-poll',
                                     datatypes.positive_interval, True), None),
    'max-disconnect-poll': (_for_key('max-disconnect-poll', datatypes.text,
                                     True), None),
    'drop-cache-rather-verify': (_for_key('drop-cache-rather-verify',
                                          datatypes.text, True), None),
    'username': (_for_key('username', datatypes.text, True), None),
    'password': (password, None),
    'realm': (_for_key('realm', datatypes.text, True), None),
}


class Unconverted(str):
    """A ``<zeoclient>`` key's text that could not be converted when read
    (see :func:`zeoclient_value`); :func:`zeoclient_keys` converts it."""

    __slots__ = ()

    def __repr__(self):
        return '<unconverted>'     # it may be a password


def zeoclient_value(text):
    """Datatype of the "+" entry of <clientstorage>: a ``<zeoclient>`` key.

    ZConfig gives a "+" datatype the value only; the key's name is the
    loop variable of ``BaseMatcher.constuct`` that calls it, one frame up,
    so the value is converted here, with the key's own converter, and a
    mistake gets the value's line. With a ZConfig of another structure the
    value is kept as text and converted when the section is resolved.
    """
    frame = sys._getframe(2)
    if frame.f_code is _CONSTUCT_CODE:
        key = frame.f_locals.get('key')
        if key in ZEOCLIENT_KEYS:
            return ZEOCLIENT_KEYS[key][0](text)
        if isinstance(key, str):
            # A name the keytype let through for another section type
            # that shares it (one that extends clientstorage).
            raise ValueError(_unknown_key(
                key, 'clientstorage', _key_names(frame.f_locals['self'].type)))
    return Unconverted(text)


zeoclient_value.datatype = 'zeoclient'


def zeoclient_keys(section):
    """``{key: value}`` of the ``<zeoclient>`` keys given in *section*
    (the ``SectionValue``), converted; defaults are not included."""
    given = section.zeoclient_keys
    if not given:
        return {}
    converted = {}
    for key, value in given.items():
        if key not in ZEOCLIENT_KEYS:
            raise ValueError(_unknown_key(
                key, 'clientstorage', _key_names(
                    section.getSectionDefinition())))
        # str(): the plain text, which a message may quote (a password's
        # converter never does).
        converted[key] = (ZEOCLIENT_KEYS[key][0](str(value))
                          if type(value) is Unconverted else value)
    return converted


def zeoclient_default(key):
    """The converted default of ``<zeoclient>`` key *key* (or None)."""
    convert, default = ZEOCLIENT_KEYS[key]
    return None if default is None else convert(default)




# Every key of <ssl> may be the first one converted: none is required.
certificate_file = _for_key('certificate', _described(
    datatypes.existing_file, 'a PEM certificate file'), first=True)
key_file = _for_key('key', _described(
    datatypes.existing_file, 'a PEM private key file'), first=True)
password_function = _for_key('password-function', datatypes.dotted_callable,
                             first=True)
ca_location = _for_key('authenticate', _described(
    datatypes.existing_path, 'a CA file or a directory of CA certificates'),
    first=True)
check_hostname = _for_key('check-hostname', datatypes.boolean, True,
                          first=True)
server_hostname = _for_key('server-hostname', datatypes.host_name,
                           True, first=True)
