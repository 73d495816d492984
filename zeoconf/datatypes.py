"""Conversions from configuration text to Python values.

Each returns the value or raises ``ValueError`` saying what was expected;
:mod:`zeoconf.keys` adds the key name, ZConfig the file and line. Paths
are kept as written, ``~`` expanded, and looked at with ``stat`` only: a
FIFO or a device is refused by what it is, never opened.
"""

import importlib
import ipaddress
import os
import re
import stat
import string

#: The longest numeral of a size or duration: more than any real value
#: needs, and cheap to convert.
MAX_NUMERAL = 30
#: The largest size, 16 TiB: the largest file ext4 holds, so the largest
#: persistent cache ZEO could use.
MAX_SIZE = 16 << 40
#: The bounds of :func:`positive_interval`: below 1 ms a timeout or a poll
#: is a busy loop (or a typo), and more than a day means "never".
MIN_INTERVAL = 0.001
MAX_INTERVAL = 86400.0
#: The largest file zeoconf reads: far more than any configuration or
#: certificate needs, while /dev/zero would cost memory and time.
MAX_FILE_SIZE = 16 << 20

_SIZE_UNITS = {'': 1, 'b': 1, 'kb': 1 << 10, 'kib': 1 << 10, 'mb': 1 << 20,
               'mib': 1 << 20, 'gb': 1 << 30, 'gib': 1 << 30, 'tb': 1 << 40,
               'tib': 1 << 40}
_SIZE_EXPECTED = ('expected a number with an optional unit B, KB, MB, GB or TB'
                  ', e.g. 20MB, at most 16TB')
# Seconds in a unit, as (multiplier, divisor): 86400000ms is exactly a
# day, where multiplying by 0.001 would overshoot it.
_INTERVAL_UNITS = {'': (1, 1), 's': (1, 1), 'ms': (1, 1000), 'm': (60, 1),
                   'h': (3600, 1)}
_INTERVAL_EXPECTED = ('expected seconds, or a number with a unit ms, s, m or '
                      'h, e.g. 30, 2.5, 500ms, 2m')
_RANGE_EXPECTED = 'expected a duration from 1ms to 24h (one day)'
_ADDRESS_EXPECTED = ("expected PORT, HOST:PORT, [IPV6]:PORT or a socket path "
                     "containing '/'")
_LABEL_CHARACTERS = frozenset(string.ascii_letters + string.digits + '-_')
#: How a secret is shown, wherever one would be.
REDACTED = '<redacted>'
#: Characters str.splitlines() ends a line at and ZConfig does not: in a
#: value, what follows one was the next line, a password perhaps.
LINE_BREAKS = frozenset('\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029')
_BOOLEANS = {'true': True, 'yes': True, 'on': True, '1': True,
             'false': False, 'no': False, 'off': False, '0': False}


def _one_line(value):
    """*value*, which free text must be: ``ValueError`` for a line break
    (:mod:`zeoconf.keys` says what it means, without the value)."""
    # Every line break is unprintable: most values are looked at in C.
    if not value.isprintable() and not LINE_BREAKS.isdisjoint(value):
        raise ValueError('the value holds a line break')
    return value


def _quote(text):
    """*text* as ``repr`` shows it, only its start when it is long."""
    if len(text) <= 40:
        return repr(text)
    return f'{text[:20] + "..."!r} ({len(text)} characters)'


def _split_number(value):
    """``(numeral, unit)`` of *value*: ASCII digits with at most one point,
    one optional space, ASCII letters; None for any other shape."""
    rest = value.rstrip(string.ascii_letters)
    unit = value[len(rest):]
    if rest.endswith(' '):
        rest = rest[:-1]
    digits = rest.replace('.', '', 1)
    if digits and digits.isascii() and digits.isdigit():
        return rest, unit
    return None


def _number(text, what, units, expected):
    """``(numeral, factor of its unit in units)``, or ``ValueError``."""
    found = _split_number(text.strip())
    if found is None:
        if not text.isascii() and any(c.isdigit() for c in text):
            raise ValueError(f'{_quote(text)} is not {what}: write its '
                             f'digits as 0-9; {expected}')
        raise ValueError(f'{_quote(text)} is not {what}; {expected}')
    number, unit = found
    if len(number) > MAX_NUMERAL:
        # Before int() or float(): no work in proportion to its length,
        # and not Python's own words about its digit limit.
        raise ValueError(f'{_quote(text)} is not {what}: its number is '
                         f'{len(number)} characters long, more than '
                         f'{MAX_NUMERAL}; {expected}')
    factor = units.get(unit.lower())
    if factor is None:
        raise ValueError(f'{_quote(text)} is not {what}: unknown unit '
                         f'{_quote(unit)}; {expected}')
    return number, factor


def size(text):
    """A byte count: ``1048576``, ``20MB``, ``1.5GB``, ``512 mib``; units
    are powers of 1024, fractions of a byte are dropped."""
    number, multiplier = _number(text, 'a size', _SIZE_UNITS, _SIZE_EXPECTED)
    whole, _, fraction = number.partition('.')
    # Integer arithmetic: a float would make 1.1TB a byte off.
    value = int(whole + fraction) * multiplier // 10 ** len(fraction)
    if value > MAX_SIZE:
        raise ValueError(f'{_quote(text)} is more than 16TB ({MAX_SIZE} '
                         f'bytes), the largest file ext4 holds and the '
                         f'largest size accepted; expected a size up to '
                         f'16TB, e.g. 20MB')
    return value


def _is_host_name(host):
    """Whether *host* is a name as DNS and /etc/hosts allow it (or IPv4):
    labels of 1 to 63 letters, digits, ``_`` and ``-`` (not at either
    end), joined by dots, 253 characters at most, a final dot allowed."""
    if not 0 < len(host) <= 253:
        return False
    for label in host.removesuffix('.').split('.'):
        if (not 0 < len(label) <= 63 or label[0] == '-' or label[-1] == '-'
                or not _LABEL_CHARACTERS.issuperset(label)):
            return False
    return True


def _port(text, whole):
    if not text.isdigit() or not text.isascii():
        raise ValueError(f'{whole!r} is not an address: the port {text!r} '
                         f'is not a number; {_ADDRESS_EXPECTED}')
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f'{whole!r} is not an address: port {port} is out '
                         f'of range 1-65535')
    return port


def _readings(value):
    """``HOST:PORT`` readings of *value* that lost its colon:
    ``zeo18100`` is ``zeo1:8100`` or ``zeo:18100``."""
    found = []
    for digits in (4, 5):
        host, port = value[:-digits], value[-digits:]
        if (host and not host.endswith('.') and _is_host_name(host)
                and port.isascii() and port.isdigit() and port[0] != '0'
                and int(port) <= 65535):
            found.append(f'{host}:{port}')
    return found


def server_address(text):
    """A ZEO server address as ``ClientStorage`` takes it: ``8100`` is
    ``('127.0.0.1', 8100)``, ``[::1]:8100`` is ``('::1', 8100)``, and a
    path containing ``/`` (a Unix socket) stays a string."""
    value = text.strip()
    if not value:
        raise ValueError(f'no address given; {_ADDRESS_EXPECTED}')
    if '://' in value:
        raise ValueError(f'{value!r} is a URL, not a server address; write '
                         f'HOST:PORT (as zeo.example.com:8100) or the path '
                         f'of a Unix socket')
    if '/' in value:
        if value.rstrip('/') == '':
            raise ValueError(f'{value!r} is a directory, not a Unix socket; '
                             f'{_ADDRESS_EXPECTED}')
        return path_text(value, 'a Unix socket')
    if value.isdigit():
        return ('127.0.0.1', _port(value, value))
    if value.startswith('['):
        host, sep, port = value[1:].partition(']:')
        if not sep:
            raise ValueError(f'{value!r} is not an address: an IPv6 address '
                             f'needs a port, as [{host.rstrip("]")}]:8100')
        try:
            ipaddress.IPv6Address(host.split('%', 1)[0])
        except ValueError:
            raise ValueError(f'{value!r} is not an address: {host!r} is not '
                             f'an IPv6 address') from None
        return (host, _port(port, value))
    host, sep, port = value.rpartition(':')
    if not sep:
        readings = _readings(value)
        hint = (f' (did you mean {" or ".join(readings)}?)' if readings
                else '')
        raise ValueError(f'{value!r} is not an address: no port{hint}; '
                         f'{_ADDRESS_EXPECTED}')
    if ':' in host:
        raise ValueError(f'{value!r} is not an address: write an IPv6 '
                         f'address in brackets, as [::1]:8100')
    if not _is_host_name(host):
        raise ValueError(f'{value!r} is not an address: {host!r} is not a '
                         f'host name; {_ADDRESS_EXPECTED}')
    return (host, _port(port, value))


def server_addresses(text):
    """One or more :func:`server_address` values separated by white space,
    in order: ``server $(ZEO_ADDRESS)`` takes a list."""
    words = text.split()
    if not words:
        raise ValueError(f'no address given; {_ADDRESS_EXPECTED}')
    if ',' in text and '/' not in text:
        raise ValueError(f'{text.strip()!r}: separate server addresses with '
                         f'white space, or repeat server, not with commas')
    if (len(words) == 2 and words[1].isdigit() and ':' not in words[0]
            and _is_host_name(words[0])):
        raise ValueError(f'{text.strip()!r} is not an address: write '
                         f'HOST:PORT, as {words[0]}:{words[1]}')
    return [server_address(word) for word in words]


def format_address(address):
    """The configuration spelling of a value from :func:`server_address`."""
    if isinstance(address, str):
        return address
    host, port = address
    return f'[{host}]:{port}' if ':' in host else f'{host}:{port}'


def boolean(text):
    """``true/false``, ``yes/no``, ``on/off`` or ``1/0``, in any case."""
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise ValueError(f'{text!r} is not a boolean; expected true or false '
                         f'(also yes/no, on/off, 1/0)') from None


def interval(text):
    """Seconds (a finite float): ``30``, ``2.5``, ``500ms``, ``2m``."""
    number, (multiplier, divisor) = _number(text, 'a duration',
                                            _INTERVAL_UNITS,
                                            _INTERVAL_EXPECTED)
    return float(number) * multiplier / divisor


def positive_interval(text):
    """Like :func:`interval`, from :data:`MIN_INTERVAL` to
    :data:`MAX_INTERVAL`: ZEO reads a zero ``wait_timeout`` as 30 seconds
    and a zero poll as a busy loop, not what a person writing 0 means."""
    seconds = interval(text)
    if seconds <= 0:
        raise ValueError(f'{_quote(text)} must be more than zero; '
                         f'{_RANGE_EXPECTED}, e.g. 30, 2.5, 500ms, 2m')
    if seconds < MIN_INTERVAL:
        raise ValueError(f'{_quote(text)} is shorter than 1 ms; '
                         f'{_RANGE_EXPECTED}')
    if seconds > MAX_INTERVAL:
        raise ValueError(f'{_quote(text)} is longer than one day; '
                         f'{_RANGE_EXPECTED}')
    return seconds


def percent(text):
    """A whole percentage from 1 to 99, with or without ``%``."""
    value = text.strip()
    digits = value[:-1].rstrip() if value.endswith('%') else value
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f'{text!r} is not a percentage; expected a whole '
                         f'number from 1 to 99, e.g. 10 or 10%')
    number = int(digits)
    if not 1 <= number <= 99:
        raise ValueError(f'{text!r} is out of range; expected a whole number'
                         f' from 1 to 99')
    return number


def path_text(text, what):
    """A path as written, ``~`` expanded: not empty, no NUL. A relative
    path stays relative to the working directory of the process that opens
    the storage, as in ZEO's and ZODB's own components."""
    value = text.strip()
    if not value:
        raise ValueError(f'no path given; expected the path of {what}')
    if '\0' in value:
        raise ValueError(f'{text!r} holds a NUL character; expected the '
                         f'path of {what}')
    if value[0] == '~':
        value = os.path.expanduser(value)
    return _one_line(value)


def directory_path(text, what='a directory'):
    """The path of a directory that may not exist yet (ZEO creates it)."""
    return path_text(text, what)


def dotted_name(text):
    """A dotted name, ``package.module.function``; nothing is imported."""
    name = text.strip()
    if not re.fullmatch(r'[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+', name, re.ASCII):
        raise ValueError(f'{text!r} is not a dotted name; expected '
                         f'module.function, e.g. mypackage.secrets.zeo_key')
    return name


def host_name(text):
    """A host name or IP address to check a certificate against."""
    value = text.strip()
    if value.startswith('[') and value.endswith(']'):
        value = value[1:-1]
    if _is_host_name(value):
        return value
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        raise ValueError(f'{text!r} is not a host name; expected a name such '
                         f'as zeo.example.com or an IP address') from None
    return value


def text(value):
    """Text as written, surrounding white space removed."""
    return _one_line(value.strip())


def secret(text):
    """Text that is never shown: a :class:`Secret`."""
    return Secret(_one_line(text.strip()))


def storage_name(text):
    """The name of a storage on the server: not empty."""
    value = text.strip()
    expected = 'expected the name the server gives the storage, e.g. 1 or main'
    if not value:
        raise ValueError(f'no storage name given; {expected}')
    if '\0' in value:
        raise ValueError(f'{text!r} holds a NUL character; {expected}')
    return _one_line(value)


def file_name_part(text):
    """Text that becomes part of a file name: no directory in it."""
    value = text.strip()
    if not value or value in ('.', '..') or '/' in value or os.sep in value \
            or '\0' in value:
        raise ValueError(f'{text!r} cannot be part of a file name; expected '
                         f'a name without {os.sep!r}, e.g. web1')
    return _one_line(value)


# Values that name something on this machine.

_KINDS = ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a FIFO'),
          (stat.S_ISCHR, 'a character device'),
          (stat.S_ISBLK, 'a block device'), (stat.S_ISSOCK, 'a socket'))


def file_kind(mode):
    """What a file of ``st_mode`` *mode*, not a regular one, is."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return 'a special file'


def _checked(text, what, wanted):
    """``(path, st_mode or None)`` of *text*, refused unless nothing or a
    *wanted* (``'file'``, ``'directory'``, ``'file or directory'``) is
    there. What stops the look (a link loop, a directory this process may
    not enter) is said as it is, not as "no such file"."""
    path = path_text(text, what)
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return path, None
    except OSError as e:
        raise ValueError(f'{text!r} cannot be looked at: '
                         f'{e.strerror.lower()}; expected {what}') from None
    if stat.S_ISDIR(mode):
        if wanted == 'file':
            raise ValueError(f'{text!r} is a directory; expected {what}')
    elif wanted == 'directory':
        raise ValueError(f'{text!r} is not a directory; expected {what}')
    elif not stat.S_ISREG(mode):
        other = '' if wanted == 'file' else ' or a directory'
        raise ValueError(f'{text!r} is {file_kind(mode)}, not a regular '
                         f'file{other}; expected {what}')
    return path, mode


def _readable(text, what, wanted):
    path, mode = _checked(text, what, wanted)
    if mode is None:
        raise ValueError(f'{text!r}: no such {wanted}; expected {what}')
    if not os.access(path, os.R_OK | (os.X_OK if stat.S_ISDIR(mode) else 0)):
        raise ValueError(f'{text!r} cannot be read (permission denied); '
                         f'expected {what} this process can read')
    return path


def existing_file(text, what='a file'):
    """The path of a regular file that exists and can be read."""
    return _readable(text, what, 'file')


def existing_directory(text, what='a directory'):
    """The path of a directory that exists and can be read."""
    return _readable(text, what, 'directory')


def existing_path(text, what='a file or directory'):
    """The path of a readable regular file or directory."""
    return _readable(text, what, 'file or directory')


def file_in_existing_directory(text, what='a file'):
    """The path of a file, if any a regular one, in an existing directory."""
    path, mode = _checked(text, what, 'file')
    parent = os.path.dirname(path) or os.curdir
    if mode is None and not os.path.isdir(parent):
        raise ValueError(f'{text!r}: the directory {parent!r} does not exist;'
                         f' expected {what} in an existing directory')
    return path


def check_directory(path, what='a directory'):
    """Whether a directory is at *path*: False when nothing is (ZEO creates
    it), ``ValueError`` when something else is."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if not stat.S_ISDIR(mode):
        raise ValueError(f'{path!r} exists and is not a directory; '
                         f'expected {what}')
    return True


def regular_file(path, what):
    """``os.stat_result`` of *path*, a regular file of at most
    :data:`MAX_FILE_SIZE` bytes: else ``ValueError`` saying what it is, or
    ``OSError`` when it cannot be looked at."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f'{path} is {file_kind(st.st_mode)}, not a regular '
                         f'file; expected {what}')
    if st.st_size > MAX_FILE_SIZE:
        raise ValueError(f'{path} is {st.st_size} bytes; expected {what} of '
                         f'at most {MAX_FILE_SIZE >> 20} MB')
    return st


def dotted_callable(text):
    """The callable ``package.module.name`` names, imported. Whatever the
    import raises, even ``SystemExit``, is named by its type only: the
    text of a secrets module's exception may hold the secret."""
    name = dotted_name(text)
    module_name, _, attr = name.rpartition('.')
    try:
        module = importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        missing = getattr(e, 'name', None)
        if (type(e) is ModuleNotFoundError and isinstance(missing, str)
                and f'{module_name}.'.startswith(f'{missing}.')):
            raise ValueError(f'{name!r} cannot be imported: no module named '
                             f'{missing!r}; expected module.function of a '
                             f'module on sys.path') from None
        raise ValueError(f'{name!r}: importing {module_name} failed with '
                         f'{type(e).__name__}') from None
    try:
        function = getattr(module, attr)
    except AttributeError:
        raise ValueError(f'{name!r}: module {module_name} has no '
                         f'{attr!r}') from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:      # a module's own __getattr__
        raise ValueError(f'{name!r}: looking up {attr!r} in {module_name} '
                         f'failed with {type(e).__name__}') from None
    if not callable(function):
        raise ValueError(f'{name!r} is not callable; expected a function '
                         f'returning the password')
    return function


# Value types, and the way back to configuration text.

class Secret:
    """A value that ``str`` and ``repr`` never show; :meth:`reveal` does."""

    __slots__ = ('_value',)

    def __init__(self, value):
        self._value = value

    def reveal(self):
        return self._value

    def __repr__(self):
        return REDACTED

    __str__ = __repr__


class NamedCallable:
    """A callable named in a configuration, shown and compared by its
    dotted name; ``function`` is None in an offline review."""

    __slots__ = ('name', 'function')

    def __init__(self, name, function):
        self.name, self.function = name, function

    def __call__(self):
        return self.function()

    def __eq__(self, other):
        return (isinstance(other, NamedCallable) and other.name == self.name
                and other.function is self.function)

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return self.name

    __str__ = __repr__


_UNITS = (('TB', 1 << 40), ('GB', 1 << 30), ('MB', 1 << 20), ('KB', 1 << 10))


def format_value(value, datatype=None):
    """A converted value as people write it in a configuration; secrets
    as ``<redacted>``. *datatype* is the name of the conversion that made
    it (``size``, ``positive_interval``, ...), which numbers need."""
    if value is None:
        return '-'
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, list):
        return ', '.join(format_value(v, datatype) for v in value)
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, tuple):
        return format_address(value)
    if datatype == 'size' and isinstance(value, int):
        for unit, factor in _UNITS:
            if value and value % factor == 0:
                return f'{value // factor}{unit}'
        return f'{value}B'
    if datatype in ('interval', 'positive_interval'):
        return f'{value:g}s'
    if datatype == 'percent':
        return f'{value}%'
    if value == '':
        return '""'
    return str(value)
