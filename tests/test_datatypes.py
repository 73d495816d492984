"""zeoconf.datatypes: good values convert, bad ones say what was expected."""

import builtins
import io
import math
import os
import re
import socket
import sys
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeoconf import datatypes as dt


@pytest.mark.parametrize('text, expected', [
    ('0', 0),
    ('1048576', 1048576),
    ('20MB', 20 << 20),
    ('20mb', 20 << 20),
    ('512 MiB', 512 << 20),
    ('512 mib', 512 << 20),
    ('1.5GB', 3 << 29),
    ('1.5 gib', 3 << 29),
    ('10KB', 10240),
    ('2TB', 2 << 40),
    ('100B', 100),
    ('1.1TB', 1209462790553),
    ('0.5b', 0),
    ('.5KB', 512),
    (' 7kb ', 7168),
])
def test_size_accepts_numbers_with_binary_units(text, expected):
    assert dt.size(text) == expected


@pytest.mark.parametrize('text, words', [
    ('20XB', ['unknown unit', "'XB'", 'KB, MB, GB or TB']),
    ('-5MB', ['not a size', 'e.g. 20MB']),
    ('', ['not a size']),
    ('MB', ['not a size']),
    ('1,5GB', ['not a size']),
    ('1e6', ['not a size']),
    ('20  MB', ['not a size']),
])
def test_size_refuses_with_expectation(text, words):
    with pytest.raises(ValueError) as e:
        dt.size(text)
    for word in words:
        assert word in str(e.value)


@pytest.mark.parametrize('text, expected', [
    ('8100', ('127.0.0.1', 8100)),
    ('zeo.example.com:8100', ('zeo.example.com', 8100)),
    ('localhost:1', ('localhost', 1)),
    ('10.0.0.5:65535', ('10.0.0.5', 65535)),
    ('[::1]:8100', ('::1', 8100)),
    ('[fe80::1%eth0]:8100', ('fe80::1%eth0', 8100)),
    ('zeo_1.internal:8100', ('zeo_1.internal', 8100)),
    ('/var/run/zeo.sock', '/var/run/zeo.sock'),
    ('./zeo.sock', './zeo.sock'),
])
def test_server_address_forms(text, expected):
    assert dt.server_address(text) == expected


@pytest.mark.parametrize('text, expected', [
    ('zeo1:8100', [('zeo1', 8100)]),
    ('zeo1:8100 zeo2:8100', [('zeo1', 8100), ('zeo2', 8100)]),
    ('  zeo1:8100\tzeo2:8101   8102 ',
     [('zeo1', 8100), ('zeo2', 8101), ('127.0.0.1', 8102)]),
    ('[::1]:8100 /run/zeo.sock', [('::1', 8100), '/run/zeo.sock']),
])
def test_server_addresses_takes_white_space_separated_addresses_in_order(
        text, expected):
    assert dt.server_addresses(text) == expected


@pytest.mark.parametrize('text, words', [
    ('zeo1:8100,zeo2:8100', ['with white space', 'not with commas']),
    ('zeo1:8100, zeo2:8100', ['not with commas']),
    ('zeo 8100', ['write HOST:PORT, as zeo:8100']),
    ('zeo.example.com 8100', ['write HOST:PORT, as zeo.example.com:8100']),
    ('zeo://zeo1:8100', ['is a URL', 'write HOST:PORT']),
    ('zeo1:8100 tcp://zeo2:8100', ["'tcp://zeo2:8100' is a URL"]),
    ('/', ['is a directory, not a Unix socket']),
    ('zeo1:8100 /', ['is a directory, not a Unix socket']),
    ('', ['no address given']),
])
def test_server_addresses_refuses_other_separators_and_forms_with_a_hint(
        text, words):
    with pytest.raises(ValueError) as e:
        dt.server_addresses(text)
    for word in words:
        assert word in str(e.value)


@pytest.mark.parametrize('text, readings', [
    ('zeo18100', ['zeo1:8100', 'zeo:18100']),
    ('10.0.0.58100', ['10.0.0.5:8100']),
    ('zeo.example.com8200', ['zeo.example.com:8200']),
])
def test_a_lost_colon_is_answered_with_every_valid_reading(text, readings):
    with pytest.raises(ValueError) as e:
        dt.server_address(text)
    assert f"did you mean {' or '.join(readings)}?" in str(e.value)


def test_socket_path_expands_home():
    assert dt.server_address('~/zeo.sock') == os.path.expanduser(
        '~/zeo.sock')


@pytest.mark.parametrize('text, words', [
    ('zeo.example.com8200', ['no port', 'did you mean zeo.example.com:8200',
                             'HOST:PORT']),
    ('99999', ['out of range 1-65535']),
    ('0', ['out of range']),
    ('host:', ["port ''", 'not a number']),
    ('host:http', ["'http' is not a number"]),
    ('zeo.example.com', ['no port']),
    ('::1:8100', ['IPv6 address in brackets']),
    ('[::1]', ['needs a port']),
    ('[zzz]:8100', ['not an IPv6 address']),
    ('bad host:8100', ['not a host name']),
    ('-lead:8100', ['not a host name']),
    ('', ['no address given']),
    ('localhost:８１００', ['not a number']),
])
def test_server_address_refuses_with_expectation(text, words):
    with pytest.raises(ValueError) as e:
        dt.server_address(text)
    for word in words:
        assert word in str(e.value)


@pytest.mark.parametrize('address, text', [
    (('zeo', 8100), 'zeo:8100'),
    (('::1', 8100), '[::1]:8100'),
    ('/run/zeo.sock', '/run/zeo.sock'),
])
def test_format_address_round_trips(address, text):
    assert dt.format_address(address) == text
    assert dt.server_address(text) == address


@pytest.mark.parametrize('text', ['true', 'TRUE', 'yes', 'On', '1'])
def test_boolean_true(text):
    assert dt.boolean(text) is True


@pytest.mark.parametrize('text', ['false', 'No', 'OFF', '0'])
def test_boolean_false(text):
    assert dt.boolean(text) is False


@pytest.mark.parametrize('text', ['maybe', '', 'tru', '2', 'y'])
def test_boolean_refuses(text):
    with pytest.raises(ValueError, match='expected true or false'):
        dt.boolean(text)


@pytest.mark.parametrize('text, seconds', [
    ('30', 30.0), ('2.5', 2.5), ('500ms', 0.5), ('2m', 120.0),
    ('1h', 3600.0), ('10s', 10.0), ('0', 0.0), ('1.5 M', 90.0),
])
def test_interval(text, seconds):
    assert dt.interval(text) == pytest.approx(seconds)


@pytest.mark.parametrize('text, words', [
    ('fast', ['not a duration', 'ms, s, m or h']),
    ('-1', ['not a duration']),
    ('10d', ['unknown unit', "'d'"]),
])
def test_interval_refuses(text, words):
    with pytest.raises(ValueError) as e:
        dt.interval(text)
    for word in words:
        assert word in str(e.value)


@pytest.mark.parametrize('text', ['0', '0s', '0.0', '0ms'])
def test_positive_interval_refuses_zero(text):
    with pytest.raises(ValueError, match='more than zero'):
        dt.positive_interval(text)


@pytest.mark.parametrize('text, value', [('10', 10), ('10%', 10),
                                         ('1', 1), ('99 %', 99)])
def test_percent(text, value):
    assert dt.percent(text) == value


@pytest.mark.parametrize('text', ['0', '100', '10.5', 'ten', '%', '-3'])
def test_percent_refuses(text):
    with pytest.raises(ValueError, match='1 to 99|from 1 to 99'):
        dt.percent(text)


def test_existing_file(tmp_path):
    path = tmp_path / 'cert.pem'
    path.write_text('x')
    assert dt.existing_file(str(path)) == str(path)
    with pytest.raises(ValueError, match='no such file'):
        dt.existing_file(str(tmp_path / 'missing.pem'), 'a certificate')
    with pytest.raises(ValueError, match='is a directory'):
        dt.existing_file(str(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason='root reads every file')
def test_existing_file_unreadable(tmp_path):
    path = tmp_path / 'secret.pem'
    path.write_text('x')
    path.chmod(0)
    with pytest.raises(ValueError, match='permission denied'):
        dt.existing_file(str(path))


def test_paths_expand_home(monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    (tmp_path / 'ca.pem').write_text('x')
    assert dt.existing_file('~/ca.pem') == str(tmp_path / 'ca.pem')
    assert dt.existing_directory('~') == str(tmp_path)


def test_existing_directory(tmp_path):
    assert dt.existing_directory(str(tmp_path)) == str(tmp_path)
    with pytest.raises(ValueError, match='no such directory'):
        dt.existing_directory(str(tmp_path / 'nope'))
    (tmp_path / 'f').write_text('x')
    with pytest.raises(ValueError, match='is not a directory'):
        dt.existing_directory(str(tmp_path / 'f'))


def test_directory_path_does_not_look_at_the_disk(tmp_path):
    assert dt.directory_path(str(tmp_path / 'new')) == str(tmp_path / 'new')
    (tmp_path / 'f').write_text('x')
    assert dt.directory_path(str(tmp_path / 'f')) == str(tmp_path / 'f')


def test_check_directory_accepts_nothing_or_a_directory_only(tmp_path):
    dt.check_directory(str(tmp_path / 'new'))
    dt.check_directory(str(tmp_path))
    (tmp_path / 'f').write_text('x')
    with pytest.raises(ValueError, match="'.*f' exists and is not a "
                                         "directory; expected blobs"):
        dt.check_directory(str(tmp_path / 'f'), 'blobs')


def test_file_in_existing_directory(tmp_path):
    target = tmp_path / 'cache.zec'
    assert dt.file_in_existing_directory(str(target)) == str(target)
    with pytest.raises(ValueError, match='does not exist'):
        dt.file_in_existing_directory(str(tmp_path / 'no' / 'cache.zec'))
    with pytest.raises(ValueError, match='is a directory'):
        dt.file_in_existing_directory(str(tmp_path))


def test_relative_paths_are_kept_as_written_and_checked_from_here(
        tmp_path, monkeypatch):
    # As ZEO's and ZODB's components keep them: relative to the working
    # directory of the process when the storage opens.
    monkeypatch.chdir(tmp_path)
    assert dt.directory_path('blobs') == 'blobs'
    assert dt.directory_path('~/blobs') == os.path.expanduser('~/blobs')
    (tmp_path / 'ca.pem').write_text('x')
    assert dt.existing_file('ca.pem') == 'ca.pem'
    with pytest.raises(ValueError, match='no such file'):
        dt.existing_file('missing.pem')


def test_dotted_callable_imports():
    assert dt.dotted_callable('os.path.join') is os.path.join


@pytest.mark.parametrize('text, words', [
    ('nodots', ['not a dotted name']),
    ('no_such_module_zeoconf.fn', ['cannot be imported']),
    ('os.no_such_function', ["has no 'no_such_function'"]),
    ('os.sep', ['not callable']),
    ('1bad.name', ['not a dotted name']),
])
def test_dotted_callable_refuses(text, words):
    with pytest.raises(ValueError) as e:
        dt.dotted_callable(text)
    for word in words:
        assert word in str(e.value)


@pytest.mark.parametrize('text, value', [
    ('zeo.example.com', 'zeo.example.com'), ('127.0.0.1', '127.0.0.1'),
    ('::1', '::1'), ('[::1]', '::1')])
def test_host_name(text, value):
    assert dt.host_name(text) == value


@pytest.mark.parametrize('text', ['bad host', 'zeo:8100', '', '::zz'])
def test_host_name_refuses(text):
    with pytest.raises(ValueError, match='not a host name'):
        dt.host_name(text)


# Property-based: whatever the text, a converter returns a value of its type
# or raises ValueError, and nothing else.

_CONVERTERS = [
    (dt.size, int), (dt.server_address, (tuple, str)), (dt.boolean, bool),
    (dt.interval, float), (dt.positive_interval, float), (dt.percent, int),
    (dt.host_name, str), (dt.text, str), (dt.storage_name, str),
    (dt.file_name_part, str),
]


@settings(max_examples=3000, deadline=None)
@given(text=st.text())
def test_every_datatype_raises_only_valueerror_on_arbitrary_text(text):
    for convert, kind in _CONVERTERS:
        try:
            value = convert(text)
        except ValueError:
            continue
        assert isinstance(value, kind), (convert, text, value)


_ADDRESSY = st.text(alphabet='0123456789abcdefz.:[]-_/% ', max_size=30)


@settings(max_examples=3000, deadline=None)
@given(text=_ADDRESSY)
def test_server_address_on_address_like_text(text):
    try:
        value = dt.server_address(text)
    except ValueError as e:
        assert str(e)
        return
    if isinstance(value, tuple):
        host, port = value
        assert 1 <= port <= 65535 and host
    else:
        assert '/' in value


@settings(max_examples=2000, deadline=None)
@given(number=st.integers(min_value=0, max_value=10**6),
       unit=st.sampled_from(['', 'B', 'KB', 'mb', 'GiB', 'tb']),
       space=st.booleans())
def test_size_is_number_times_unit_up_to_the_bound(number, unit, space):
    factor = {'': 1, 'b': 1, 'kb': 1024, 'mb': 1024 ** 2, 'gib': 1024 ** 3,
              'tb': 1024 ** 4}[unit.lower()]
    text = f'{number}{" " if space and unit else ""}{unit}'
    if number * factor <= dt.MAX_SIZE:
        assert dt.size(text) == number * factor
    else:
        with pytest.raises(ValueError, match='more than 16TB'):
            dt.size(text)


@settings(max_examples=500, deadline=None)
@given(path=st.text(min_size=1))
def test_path_converters_raise_only_valueerror(path):
    for convert in (dt.existing_file, dt.existing_directory,
                    dt.directory_path, dt.file_in_existing_directory,
                    dt.existing_path):
        try:
            assert isinstance(convert(path), str)
        except ValueError:
            pass


def test_a_path_with_a_nul_character_is_refused_with_its_value():
    with pytest.raises(ValueError, match=r"'/tmp/a\\x00b' holds a NUL "
                                         r"character; expected the path of "
                                         r"a key"):
        dt.existing_file('/tmp/a\0b', 'a key')
    with pytest.raises(ValueError, match='NUL'):
        dt.directory_path('blobs\0')


def test_storage_name_must_not_be_empty():
    assert dt.storage_name(' main ') == 'main'
    with pytest.raises(ValueError, match='no storage name given'):
        dt.storage_name('  ')
    with pytest.raises(ValueError, match=r"'a\\x00b' holds a NUL"):
        dt.storage_name('a\0b')


def test_a_socket_path_with_a_nul_character_is_refused():
    with pytest.raises(ValueError, match=r"'/tmp/a\\x00b.sock' holds a NUL "
                                         r"character; expected the path of a "
                                         r"Unix socket"):
        dt.server_address('/tmp/a\0b.sock')


@pytest.mark.parametrize('bad', ['', 'a/b', '.', '..', 'x\0'])
def test_file_name_part_holds_no_directory(bad):
    with pytest.raises(ValueError, match='cannot be part of a file name'):
        dt.file_name_part(bad)


def test_file_name_part_keeps_a_plain_name():
    assert dt.file_name_part(' web-1.a ') == 'web-1.a'



# Hostile values: digits of other scripts, numbers no storage can use,
# numerals too long to convert, special files, secrets in import errors.

@pytest.mark.parametrize('text', ['٣٠MB', '３０MB', '٣٠', '1٣s', '३०'])
def test_sizes_and_intervals_take_ascii_digits_only(text):
    for convert, what in ((dt.size, 'not a size'),
                          (dt.interval, 'not a duration')):
        with pytest.raises(ValueError) as e:
            convert(text)
        assert what in str(e.value)
        assert 'write its digits as 0-9' in str(e.value)


def test_size_accepts_16_terabytes_and_no_more():
    assert dt.MAX_SIZE == 16 << 40
    assert dt.size('16TB') == 16 << 40
    assert dt.size('16384 GiB') == 16 << 40
    assert dt.size(str(16 << 40)) == 16 << 40


@pytest.mark.parametrize('text', ['100000TB', '17TB', '16.000001TB',
                                  str((16 << 40) + 1),
                                  '9' * 30])
def test_size_beyond_16_terabytes_is_refused_saying_the_bound(text):
    with pytest.raises(ValueError) as e:
        dt.size(text)
    message = str(e.value)
    assert message.startswith(f'{text!r} is more than 16TB (17592186044416 '
                              f'bytes), the largest file ext4 holds')
    assert 'expected a size up to 16TB' in message


@pytest.mark.parametrize('convert', [dt.size, dt.interval,
                                     dt.positive_interval])
@pytest.mark.parametrize('text', ['1' * 41, '7' * 400, '7' * 100_000,
                                  '0.' + '0' * 400 + '1',
                                  '3' * 100_000 + 'ms'])
def test_an_over_long_numeral_gets_a_short_message_quoting_its_start(
        convert, text):
    with pytest.raises(ValueError) as e:
        convert(text)
    message = str(e.value)
    assert message.startswith(f'{text[:20] + "..."!r} ({len(text)} '
                              f'characters) is not a ')
    assert f'its number is {len(text.rstrip("ms"))} characters long, ' \
           f'more than 30' in message
    assert 'expected' in message
    assert len(message) < 250
    assert 'int_max_str_digits' not in message
    assert 'Exceeds the limit' not in message


def test_a_numeral_of_30_characters_is_converted_and_31_refused():
    assert dt.size('0' * 29 + '1') == 1
    assert dt.interval('0' * 28 + '10') == 10.0
    with pytest.raises(ValueError) as e:
        dt.size('0' * 30 + '1')
    assert str(e.value).startswith(f"{'0' * 30 + '1'!r} is not a size: its "
                                   f"number is 31 characters long, more "
                                   f"than 30; expected a number")


def test_an_over_long_numeral_is_refused_before_any_conversion(monkeypatch):
    """No int() or float() of the numeral: that work grows with its
    length (and int() has its own digit limit)."""
    converted = []

    def no_int(*args):
        converted.append(args)
        raise AssertionError('int() called')

    monkeypatch.setattr(dt, 'int', no_int, raising=False)
    monkeypatch.setattr(dt, 'float', no_int, raising=False)
    for convert in (dt.size, dt.interval):
        with pytest.raises(ValueError, match='more than 30'):
            convert('5' * 5000)
    assert converted == []
    # The patch is in effect: a short numeral does reach int()/float().
    with pytest.raises(AssertionError):
        dt.size('5')


def test_an_unknown_unit_of_any_length_is_quoted_by_its_start():
    with pytest.raises(ValueError) as e:
        dt.size('5' + 'x' * 10_000)
    assert "unknown unit 'xxxxxxxxxxxxxxxxxxxx...' (10000 characters)" \
        in str(e.value)
    assert len(str(e.value)) < 300


@pytest.mark.parametrize('text', ['0.0000000000000000001ms', '0.5ms',
                                  '0.0009', '0.00001s'])
def test_positive_interval_refuses_less_than_a_millisecond(text):
    with pytest.raises(ValueError) as e:
        dt.positive_interval(text)
    assert str(e.value) == (f'{text!r} is shorter than 1 ms; expected a '
                            f'duration from 1ms to 24h (one day)')


@pytest.mark.parametrize('text', ['86401', '24.01h', '1441m', '2' * 30,
                                  '86400001ms'])
def test_positive_interval_refuses_more_than_a_day(text):
    with pytest.raises(ValueError) as e:
        dt.positive_interval(text)
    assert str(e.value) == (f'{text!r} is longer than one day; expected a '
                            f'duration from 1ms to 24h (one day)')


@pytest.mark.parametrize('text, seconds', [
    ('1ms', 0.001), ('0.001', 0.001), ('24h', 86400.0), ('1440m', 86400.0),
    ('86400', 86400.0), ('86400000ms', 86400.0)])
def test_positive_interval_accepts_its_bounds(text, seconds):
    assert dt.positive_interval(text) == seconds
    assert dt.MIN_INTERVAL <= seconds <= dt.MAX_INTERVAL


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet='0123456789.', min_size=1, max_size=60),
       unit=st.sampled_from(['', 'ms', 's', 'm', 'h']))
def test_an_interval_is_always_finite(text, unit):
    try:
        seconds = dt.interval(text + unit)
    except ValueError:
        return
    assert math.isfinite(seconds)


# Files of the wrong kind: refused by what they are, never opened.

@pytest.fixture
def no_open(monkeypatch):
    """Make any open() from Python fail: a check that opened a FIFO would
    block forever instead of failing."""
    def refuse(*args, **kwargs):
        raise AssertionError(f'opened {args[0]!r}')
    monkeypatch.setattr(builtins, 'open', refuse)
    monkeypatch.setattr(io, 'open', refuse)
    monkeypatch.setattr(os, 'open', refuse)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / 'f'
    os.mkfifo(path)
    return str(path)


def test_existing_file_refuses_a_fifo_without_opening_it(fifo, no_open):
    with pytest.raises(ValueError) as e:
        dt.existing_file(fifo, 'a PEM certificate file')
    assert str(e.value) == (f'{fifo!r} is a FIFO, not a regular file; '
                            f'expected a PEM certificate file')


@pytest.mark.parametrize('device', ['/dev/null', '/dev/zero'])
def test_existing_file_refuses_a_device(device, no_open):
    if not os.path.exists(device):
        pytest.skip(f'no {device}')
    with pytest.raises(ValueError) as e:
        dt.existing_file(device, 'a PEM private key file')
    assert str(e.value) == (f'{device!r} is a character device, not a '
                            f'regular file; expected a PEM private key file')


def test_existing_file_refuses_a_socket(no_open):
    directory = tempfile.mkdtemp(prefix='zc', dir='/tmp')
    path = os.path.join(directory, 's')
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(path)
        with pytest.raises(ValueError, match=r"is a socket, not a regular "
                                             r"file; expected a key"):
            dt.existing_file(path, 'a key')
    finally:
        sock.close()
        os.remove(path)
        os.rmdir(directory)


def test_existing_file_follows_a_link_to_a_fifo(fifo, tmp_path, no_open):
    link = tmp_path / 'cert.pem'
    link.symlink_to(fifo)
    with pytest.raises(ValueError, match='is a FIFO, not a regular file'):
        dt.existing_file(str(link))


def test_existing_path_takes_a_file_or_a_directory_only(fifo, tmp_path,
                                                        no_open):
    what = 'a CA file or a directory of CA certificates'
    assert dt.existing_path(str(tmp_path), what) == str(tmp_path)
    with pytest.raises(ValueError) as e:
        dt.existing_path(fifo, what)
    assert str(e.value) == (f'{fifo!r} is a FIFO, not a regular file or a '
                            f'directory; expected {what}')
    with pytest.raises(ValueError, match="'/dev/null' is a character device"):
        dt.existing_path('/dev/null', what)
    with pytest.raises(ValueError, match='no such file or directory'):
        dt.existing_path(str(tmp_path / 'none'), what)


def test_existing_path_keeps_regular_files(tmp_path):
    (tmp_path / 'ca.pem').write_text('x')
    assert dt.existing_path(str(tmp_path / 'ca.pem')) == \
        str(tmp_path / 'ca.pem')


def test_cache_file_that_exists_must_be_a_regular_file(fifo, tmp_path,
                                                       no_open):
    with pytest.raises(ValueError) as e:
        dt.file_in_existing_directory(fifo, 'a cache file')
    assert str(e.value) == (f'{fifo!r} is a FIFO, not a regular file; '
                            f'expected a cache file')
    with pytest.raises(ValueError, match="'/dev/zero' is a character device, "
                                         "not a regular file"):
        dt.file_in_existing_directory('/dev/zero', 'a cache file')


def test_cache_file_may_be_absent_or_a_regular_file(tmp_path):
    (tmp_path / 'old.zec').write_bytes(b'')
    for name in ('old.zec', 'new.zec'):
        path = str(tmp_path / name)
        assert dt.file_in_existing_directory(path) == path


# Import errors of a password-function module.

@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def write(name, source):
        (tmp_path / f'{name}.py').write_text(source)
        names.append(name)
    yield write
    for name in names:
        sys.modules.pop(name, None)


@pytest.mark.parametrize('source', [
    'raise ImportError("vault token S3CRET rejected")\n',
    'raise ModuleNotFoundError("vault token S3CRET rejected", '
    'name="hvac")\n',
    'from zc_dt_none_such import S3CRET\n',
])
def test_an_import_error_inside_the_module_is_named_by_type_only(
        module_dir, source):
    module_dir('zc_dt_vault', source)
    with pytest.raises(ValueError) as e:
        dt.dotted_callable('zc_dt_vault.password')
    kind = 'ImportError' if source.startswith('raise ImportError') else \
        'ModuleNotFoundError'
    assert str(e.value) == (f"'zc_dt_vault.password': importing zc_dt_vault "
                            f"failed with {kind}")
    assert 'S3CRET' not in str(e.value)


def test_a_module_not_found_error_naming_the_module_is_in_our_words(
        module_dir):
    module_dir('zc_dt_self', 'raise ModuleNotFoundError("token S3CRET", '
                             'name=__name__)\n')
    with pytest.raises(ValueError) as e:
        dt.dotted_callable('zc_dt_self.password')
    assert str(e.value) == ("'zc_dt_self.password' cannot be imported: no "
                            "module named 'zc_dt_self'; expected "
                            "module.function of a module on sys.path")


@pytest.mark.parametrize('text, missing', [
    ('zc_dt_nowhere.password', 'zc_dt_nowhere'),
    ('zc_dt_nowhere.secrets.password', 'zc_dt_nowhere'),
    ('os.zc_dt_nowhere.password', 'os.zc_dt_nowhere'),
])
def test_a_missing_module_or_package_is_named(text, missing):
    with pytest.raises(ValueError) as e:
        dt.dotted_callable(text)
    assert str(e.value).startswith(
        f"{text!r} cannot be imported: no module named {missing!r}")


# The number and host-name shapes are read with str methods (a compiled
# pattern costs every process start more than a configuration's
# conversions); these patterns are the reference they must agree with.
_NUMBER_SHAPE = re.compile(r'([0-9]+(?:\.[0-9]*)?|\.[0-9]+) ?([a-zA-Z]*)')
_HOST_SHAPE = re.compile(
    r'(?=.{1,253}\Z)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
    r'(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?')
_SHAPE_ALPHABET = st.sampled_from(list('0123456789.. kKmMbBgGtTiIsShH-_a:٣２'))


@given(st.text(_SHAPE_ALPHABET, max_size=12))
def test_number_shape_agrees_with_its_pattern(text):
    from zeoconf.datatypes import _split_number
    found = _NUMBER_SHAPE.fullmatch(text)
    assert _split_number(text) == (found.groups() if found else None)


@given(st.one_of(st.text(st.sampled_from(list('ab0_-.')), max_size=70),
                 st.from_regex(_HOST_SHAPE, fullmatch=True)))
def test_host_name_shape_agrees_with_its_pattern(text):
    from zeoconf.datatypes import _is_host_name
    assert _is_host_name(text) == bool(_HOST_SHAPE.fullmatch(text))


def test_a_bare_cache_file_name_is_in_the_working_directory(tmp_path,
                                                            monkeypatch):
    # As in ZEO's own configuration tests: "cache-path test".
    monkeypatch.chdir(tmp_path)
    assert dt.file_in_existing_directory('test') == 'test'
    import zeoconf
    kwargs = zeoconf.client_kwargs('<clientstorage>\nserver zeo:1\n'
                                   'cache-path cache.zec\n</clientstorage>\n')
    assert kwargs['cache'] == 'cache.zec'


@pytest.mark.parametrize('text', ['é.f', 'a..b', 'nodots', '1a.b'])
def test_offline_and_online_refuse_the_same_dotted_names(text):
    # One check of the name's shape, whether it is imported or not.
    with pytest.raises(ValueError, match='not a dotted name'):
        dt.dotted_name(text)
    with pytest.raises(ValueError, match='not a dotted name'):
        dt.dotted_callable(text)


@pytest.mark.parametrize('convert', [
    dt.existing_file, dt.existing_directory, dt.existing_path,
    dt.file_in_existing_directory])
def test_a_symlink_loop_is_called_a_loop_not_a_missing_file(convert,
                                                             tmp_path):
    loop = tmp_path / 'loop'
    loop.symlink_to(loop)
    with pytest.raises(ValueError) as e:
        convert(str(loop), 'a CA file')
    message = str(e.value)
    assert 'no such' not in message
    assert 'symbolic links' in message and str(loop) in message
    assert 'expected a CA file' in message


def test_every_line_break_is_unprintable():
    # _one_line looks for one only in text that is not all printable; the
    # set is every character but "\n" that str.splitlines() ends a line at.
    breaks = dt.LINE_BREAKS
    assert not any(c.isprintable() for c in breaks)
    assert {c for c in map(chr, range(0x3000))
            if len(f'a{c}b'.splitlines()) > 1} - {'\n'} == breaks
