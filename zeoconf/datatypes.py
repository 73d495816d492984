"""Conversions from configuration text to Python values.

Each function takes the text of one value and returns the converted value,
or raises ``ValueError`` with a message that says what was expected. They
know nothing about key names or positions: :mod:`zeoconf.keys` adds the key
name and ZConfig adds the file and line.

The functions are on the parse path of every process start, so they avoid
heavy imports (``ipaddress`` only loads when needed); the conversions
that look at this machine (files, directories, importable callables) are
in :mod:`zeoconf.lookups`, loaded when a configuration names one.
"""

import math
import os
import re

__all__ = [
    'size', 'server_address', 'boolean', 'interval', 'positive_interval',
    'percent', 'directory_path', 'path_text', 'dotted_name', 'host_name',
    'text',
    'storage_name', 'file_name_part', 'format_address',
    'PortOnly', 'MAX_SIZE', 'MAX_NUMERAL', 'MIN_INTERVAL', 'MAX_INTERVAL',
]

# The shape of every size and duration: one number, whole or decimal, in
# ASCII digits (str.isdigit() alone would take Arabic-Indic or full-width
# digits too), then one optional space and a unit of ASCII letters. Read
# with str methods: a compiled pattern would cost every process start
# more than all the conversions of a configuration.
_ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'


def _split_number(value):
    """``(numeral, unit)`` of *value*, or None when it is not of that
    shape."""
    rest = value.rstrip(_ASCII_LETTERS)
    unit = value[len(rest):]
    if rest.endswith(' '):
        rest = rest[:-1]
    digits = rest.replace('.', '', 1)
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return rest, unit

#: Longest numeral (digits and point) a size or duration may have: more
#: than any real value needs, and short enough that converting it is cheap.
MAX_NUMERAL = 30

# A value quoted in full up to this length; longer ones by their start only.
_QUOTE_LIMIT = 40
_QUOTE_START = 20


def _quote(text):
    """*text* as ``repr`` shows it, but only its start when it is long."""
    if len(text) <= _QUOTE_LIMIT:
        return repr(text)
    return f'{text[:_QUOTE_START] + "..."!r} ({len(text)} characters)'


def _number(text, what, expected):
    """``(numeral, unit)`` of *text*, or ``ValueError`` naming *what*."""
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
    return number, unit


_SIZE_UNITS = {
    '': 1, 'b': 1,
    'kb': 1 << 10, 'kib': 1 << 10,
    'mb': 1 << 20, 'mib': 1 << 20,
    'gb': 1 << 30, 'gib': 1 << 30,
    'tb': 1 << 40, 'tib': 1 << 40,
}

#: The largest size accepted, 16 TiB: the largest file ext4 holds (with
#: 4 KiB blocks). ZEO's persistent cache is one file, so a larger
#: ``cache-size`` could never be used; no blob cache needs more either.
MAX_SIZE = 16 << 40
_SIZE_EXPECTED = ('expected a number with an optional unit B, KB, MB, GB or TB'
                  ', e.g. 20MB, at most 16TB')


def size(text):
    """A byte count: ``1048576``, ``20MB``, ``1.5GB``, ``512 mib``.

    Units are powers of 1024, case does not matter, and one space may stand
    before the unit. Fractions of a byte are dropped. At most
    :data:`MAX_SIZE` (16 TiB), with at most :data:`MAX_NUMERAL` characters
    of ASCII digits and point.
    """
    number, unit = _number(text, 'a size', _SIZE_EXPECTED)
    multiplier = _SIZE_UNITS.get(unit.lower())
    if multiplier is None:
        raise ValueError(f'{_quote(text)} is not a size: unknown unit '
                         f'{_quote(unit)}; {_SIZE_EXPECTED}')
    if '.' not in number:
        value = int(number) * multiplier
    else:
        whole, _, fraction = number.partition('.')
        fraction = fraction or '0'
        # Integer arithmetic: float would round 1.1TB to a wrong byte.
        value = ((int(whole or '0') * 10 ** len(fraction) + int(fraction))
                 * multiplier // 10 ** len(fraction))
    if value > MAX_SIZE:
        raise ValueError(f'{_quote(text)} is more than 16TB ({MAX_SIZE} '
                         f'bytes), the largest file ext4 holds and the '
                         f'largest size accepted; expected a size up to '
                         f'16TB, e.g. 20MB')
    return value


_ADDRESS_EXPECTED = ("expected PORT, HOST:PORT, [IPV6]:PORT or a socket path "
                     "containing '/'")
# Host names as DNS (and /etc/hosts) allow them, plus IPv4 literals:
# labels of 1 to 63 letters, digits, '-' (not first or last) and '_',
# joined by dots, 253 characters at most, a final dot allowed.
_LABEL_CHARACTERS = frozenset(_ASCII_LETTERS + '0123456789-_')


def _is_host_name(host):
    if not 0 < len(host) <= 253:
        return False
    for label in (host[:-1] if host[-1] == '.' else host).split('.'):
        if (not 0 < len(label) <= 63 or label[0] == '-' or label[-1] == '-'
                or not _LABEL_CHARACTERS.issuperset(label)):
            return False
    return True

# Patterns only needed for a mistake or a rare key are compiled on first
# use (re caches them): compiling costs a fresh process ~0.1 ms each.
_TRAILING_DIGITS = r'(.*[A-Za-z.])(\d{2,5})'


def _port(text, whole):
    if not text.isdigit() or not text.isascii():
        raise ValueError(f'{whole!r} is not an address: the port {text!r} '
                         f'is not a number; {_ADDRESS_EXPECTED}')
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f'{whole!r} is not an address: port {port} is out '
                         f'of range 1-65535')
    return port


class PortOnly(tuple):
    """``('127.0.0.1', port)`` written as a bare port: no host was named."""

    __slots__ = ()


def server_address(text):
    """A ZEO server address, as ``ClientStorage`` takes it.

    ``8100`` gives ``('127.0.0.1', 8100)``, ``zeo:8100`` gives
    ``('zeo', 8100)``, ``[::1]:8100`` gives ``('::1', 8100)`` and a path
    containing ``/`` is returned as a string (a Unix socket).
    """
    value = text.strip()
    if not value:
        raise ValueError(f'no address given; {_ADDRESS_EXPECTED}')
    if '/' in value:
        if '\0' in value:
            raise ValueError(f'{text!r} holds a NUL character; expected the '
                             f'path of a Unix socket')
        return os.path.expanduser(value)
    if value.isdigit():
        return PortOnly(('127.0.0.1', _port(value, value)))
    if value.startswith('['):
        host, sep, port = value[1:].partition(']:')
        if not sep:
            raise ValueError(f'{value!r} is not an address: an IPv6 address '
                             f'needs a port, as [{host.rstrip("]")}]:8100')
        import ipaddress
        try:
            ipaddress.IPv6Address(host.split('%', 1)[0])
        except ValueError:
            raise ValueError(f'{value!r} is not an address: {host!r} is not '
                             f'an IPv6 address') from None
        return (host, _port(port, value))
    host, sep, port = value.rpartition(':')
    if not sep:
        hint = ''
        m = re.fullmatch(_TRAILING_DIGITS, value)
        if m:
            hint = f' (did you mean {m.group(1)}:{m.group(2)}?)'
        raise ValueError(f'{value!r} is not an address: no port{hint}; '
                         f'{_ADDRESS_EXPECTED}')
    if ':' in host:
        raise ValueError(f'{value!r} is not an address: write an IPv6 '
                         f'address in brackets, as [::1]:8100')
    if not _is_host_name(host):
        raise ValueError(f'{value!r} is not an address: {host!r} is not a '
                         f'host name; {_ADDRESS_EXPECTED}')
    return (host, _port(port, value))


def format_address(address):
    """The configuration spelling of a value from :func:`server_address`."""
    if isinstance(address, str):
        return address
    host, port = address
    return f'[{host}]:{port}' if ':' in host else f'{host}:{port}'


_BOOLEANS = {
    'true': True, 'yes': True, 'on': True, '1': True,
    'false': False, 'no': False, 'off': False, '0': False,
}


def boolean(text):
    """``true/false``, ``yes/no``, ``on/off`` or ``1/0``, in any case."""
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise ValueError(f'{text!r} is not a boolean; expected true or false '
                         f'(also yes/no, on/off, 1/0)') from None


# Seconds in a unit, as (multiplier, divisor): 86400000ms is exactly a
# day, where multiplying by 0.001 would overshoot it.
_INTERVAL_UNITS = {'': (1, 1), 's': (1, 1), 'ms': (1, 1000), 'm': (60, 1),
                   'h': (3600, 1)}
_INTERVAL_EXPECTED = ('expected seconds, or a number with a unit ms, s, m or '
                      'h, e.g. 30, 2.5, 500ms, 2m')

#: The shortest duration :func:`positive_interval` accepts: 1 ms. Below it
#: a timeout or poll interval is a busy loop (or, as 1e-22 s, a typo).
MIN_INTERVAL = 0.001
#: The longest duration :func:`positive_interval` accepts: one day. A
#: longer ``wait-timeout`` or ``disconnect-poll`` means "never" to a
#: person waiting for a ZEO server.
MAX_INTERVAL = 86400.0
_RANGE_EXPECTED = 'expected a duration from 1ms to 24h (one day)'


def interval(text):
    """A duration in seconds (float): ``30``, ``2.5``, ``500ms``, ``2m``.

    Always finite: at most :data:`MAX_NUMERAL` characters of ASCII digits
    and point.
    """
    number, unit = _number(text, 'a duration', _INTERVAL_EXPECTED)
    factor = _INTERVAL_UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(f'{_quote(text)} is not a duration: unknown unit '
                         f'{_quote(unit)}; {_INTERVAL_EXPECTED}')
    multiplier, divisor = factor
    seconds = float(number) * multiplier / divisor
    if not math.isfinite(seconds):  # not with MAX_NUMERAL: kept as a guard
        raise ValueError(f'{_quote(text)} is not a finite duration; '
                         f'{_INTERVAL_EXPECTED}')
    return seconds


def positive_interval(text):
    """Like :func:`interval`, from :data:`MIN_INTERVAL` (1 ms) to
    :data:`MAX_INTERVAL` (one day).

    ZEO reads a zero ``wait_timeout`` as "the default, 30 seconds" and a zero
    poll as a busy loop; neither is what a person writing 0 means.
    """
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
    """A path as written (``~`` expanded): not empty, no NUL. Nothing on
    disk is looked at (see :mod:`zeoconf.lookups`)."""
    value = text.strip()
    if not value:
        raise ValueError(f'no path given; expected the path of {what}')
    if '\0' in value:
        # The OS takes no such path ("embedded null byte", no value).
        raise ValueError(f'{text!r} holds a NUL character; expected the '
                         f'path of {what}')
    # Kept as written, as ZEO's and ZODB's own components keep them: a
    # relative path is relative to the working directory of the process
    # when it opens the storage (zeoconf show says where it leads).
    if value[0] == '~':
        value = os.path.expanduser(value)
    return value


def directory_path(text, what='a directory'):
    """The path of a directory that may not exist yet.

    The disk is not looked at here: ZEO creates the directory when the
    storage opens, and ``lookups.check_directory`` tells then whether what
    is there can serve (see ``ClientStorageOpener``).
    """
    return path_text(text, what)


_DOTTED = r'[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+'


def dotted_name(text):
    """A dotted name, ``package.module.function``, as text: nothing is
    imported (``lookups.dotted_callable`` does that)."""
    name = text.strip()
    if not re.fullmatch(_DOTTED, name, re.ASCII):
        raise ValueError(f'{text!r} is not a dotted name; expected '
                         f'module.function, e.g. mypackage.secrets.zeo_key')
    return name


def host_name(text):
    """A host name or IP address to check a certificate against."""
    value = text.strip()
    if value.startswith('[') and value.endswith(']'):
        value = value[1:-1]
    if _is_host_name(value) or (':' in value and _is_ipv6(value)):
        return value
    raise ValueError(f'{text!r} is not a host name; expected a name such as '
                     f'zeo.example.com or an IP address')


def _is_ipv6(value):
    import ipaddress
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def text(value):
    """Text as written, surrounding white space removed."""
    return value.strip()


def storage_name(text):
    """The name of a storage on the server: not empty."""
    value = text.strip()
    expected = 'expected the name the server gives the storage, e.g. 1 or main'
    if not value:
        raise ValueError(f'no storage name given; {expected}')
    if '\0' in value:
        raise ValueError(f'{text!r} holds a NUL character; {expected}')
    return value


def file_name_part(text):
    """Text that becomes part of a file name: no directory in it."""
    value = text.strip()
    if not value or value in ('.', '..') or '/' in value or os.sep in value \
            or '\0' in value:
        raise ValueError(f'{text!r} cannot be part of a file name; expected '
                         f'a name without {os.sep!r}, e.g. web1')
    return value
