"""zeoconf.cli.words: each pattern over another library's words, against
the message the installed ZConfig (or CPython) gives for a real parse.

A new wording then fails the test named after its pattern, instead of
silently turning off a hint or changing what ``check`` reports.
"""

import io

import pytest
import ZConfig
import ZODB.config

from zeoconf.cli import words

ZEOCONF = '%import zeoconf\n'
STORAGE = '  <clientstorage>\n    server zeo:8100\n  </clientstorage>\n'
UNKNOWN_KEY = '<zodb>\n  bogus 1\n</zodb>\n'


def zconfig_error(text, schema=None):
    """The error of a plain ZConfig parse of *text* (ZODB's schema)."""
    with pytest.raises(ZConfig.ConfigurationError) as info:
        ZConfig.loadConfigFile(schema or ZODB.config.getDbSchema(),
                               io.StringIO(text))
    return info.value


def test_unknown_type():
    error = zconfig_error(f'<zodb>\n{STORAGE}</zodb>\n')
    assert words.unknown_type(error) == 'clientstorage'
    assert words.unknown_type(zconfig_error(UNKNOWN_KEY)) is None


def test_unknown_directive():
    error = zconfig_error('%definePW=S3CRET\n')
    assert words.unknown_directive(error) == 'definePW=S3CRET'
    assert words.unknown_directive(zconfig_error(UNKNOWN_KEY)) is None


def test_unknown_key():
    error = zconfig_error(f'{ZEOCONF}<zodb>\n  blob-dir /b\n{STORAGE}'
                          f'</zodb>\n')
    assert words.unknown_key(error) == 'blob-dir'
    assert words.unknown_key(zconfig_error('<zodb>\n')) is None


def test_unclosed_section():
    error = zconfig_error(f'{ZEOCONF}<zodb>\n  <clientstorage>\n'
                          f'    server zeo:8100\n')
    assert words.unclosed_section(error)
    assert not words.unclosed_section(zconfig_error(UNKNOWN_KEY))


def test_import_collision():
    error = zconfig_error(f'%import ZEO\n{ZEOCONF}<zodb>\n{STORAGE}'
                          f'</zodb>\n')
    assert words.import_collision(error)
    assert not words.import_collision(zconfig_error('%import nowhere_x\n'))


def test_not_an_integer():
    # ZODB's cache-size counts objects: CPython's int() refuses a size.
    error = zconfig_error(f'{ZEOCONF}<zodb>\n  cache-size 1000MB\n'
                          f'{STORAGE}</zodb>\n')
    assert words.not_an_integer(error)
    with pytest.raises(ValueError) as info:
        int('1000MB')
    assert words.not_an_integer(info.value)


def test_quoted_names():
    error = zconfig_error(f'{ZEOCONF}<zodb>\n  <clientstorage>\n'
                          f'  </clientstorage>\n</zodb>\n')
    assert 'server' in words.quoted_names(error)


def test_not_a_line():
    error = zconfig_error('-----BEGIN PRIVATE KEY-----\n')
    assert words.not_a_line(error)
    assert not words.not_a_line(zconfig_error(UNKNOWN_KEY))


def test_no_replacement():
    error = zconfig_error(f'{ZEOCONF}%define ZEO zeo1\n<zodb>\n'
                          f'  <clientstorage>\n    server $ZEO8100\n'
                          f'  </clientstorage>\n</zodb>\n')
    assert words.no_replacement(error) == 'ZEO8100'


def test_too_many_sections():
    error = zconfig_error(f'{ZEOCONF}<zodb>\n{STORAGE}{STORAGE}</zodb>\n')
    assert words.too_many_sections(error) == 'zodb.storage'


def test_missing_section():
    assert words.missing_section(zconfig_error('')) == 'zodb.database'
    assert words.missing_section(zconfig_error('<zodb>\n')) is None


def test_no_matching_section():
    error = zconfig_error(f'{ZEOCONF}<clientstorage>\n  server zeo:8100\n'
                          f'</clientstorage>\n')
    assert words.no_matching_section(error) == 'clientstorage'
    assert words.no_matching_section(zconfig_error('%define A b\n')) is None
