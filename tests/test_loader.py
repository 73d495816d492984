"""zeoconf.loader: every mistake is a ZConfig.ConfigurationError that says
where and what, and ZODB's own loading works with the component.

The table holds malformed configurations, each written to a real file and
parsed with ZODB's own schema, by zeoconf's loader and by a plain one.
Each asserts the exception type, the file and line of the error
(``e.url``, ``e.lineno``: what ``zeoconf check`` prints) and the words
that make the message useful. A line marked ``@`` in a case is the line
the error must point at.
"""

import io
import logging
import os
import pathlib
import re
import signal
import string
import sys
import unittest.mock

import pytest
import ZConfig
import ZODB.config
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from persistent.mapping import PersistentMapping
from ZODB.serialize import get_refs
from ZODB.utils import z64

import zeoconf
from zeoconf import datatypes, loader, openers
from zeoconf.loader import load_path, load_text

SECRET = 'Sw0rdf1sh-do-not-show'

# A schema of one <clientstorage>, as client_kwargs() reads it.
CLIENTSTORAGE_SCHEMA = """\
<schema>
  <import package="zeoconf"/>
  <section type="clientstorage" name="*" attribute="storage"/>
</schema>
"""


def _clientstorage_schema(offline=False):
    return loader.schema_loader(offline).loadFile(
        io.StringIO(CLIENTSTORAGE_SCHEMA))


def describe(error):
    """``FILE:LINE: message``, as ``zeoconf check`` prints an error."""
    url, lineno = getattr(error, 'url', None), getattr(error, 'lineno', None)
    where = os.path.basename(loader.file_of(url)) if url else '<config>'
    if lineno:
        where += f':{lineno}'
    return f'{where}: {error.message}'

CASES = {
    # Values of clientstorage keys.
    'size-unit': ('server zeo:8100\n@cache-size 20XB',
                  ['cache-size', "'20XB'", 'KB, MB, GB or TB', 'e.g. 20MB']),
    'typo-address': ('@server zeo.example.com8200',
                     ['server', "'zeo.example.com8200'", 'HOST:PORT',
                      'did you mean zeo.example.com:8200']),
    'port-range': ('@server 99999', ['server', '99999', '1-65535']),
    'empty-port': ('@server host:', ['server', "'host:'", 'not a number']),
    'ipv6-brackets': ('@server ::1:8100', ['server', 'brackets']),
    'no-address': ('@server', ['server', 'no address given']),
    'bad-host': ('@server bad!host:8100', ['server', 'not a host name']),
    'boolean': ('server zeo:8100\n@read-only maybe',
                ['read-only', "'maybe'", 'true or false']),
    'boolean-shared': ('server zeo:8100\n@shared-blob-dir perhaps',
                       ['shared-blob-dir', "'perhaps'"]),
    'boolean-sync': ('server zeo:8100\n@server-sync sometimes',
                     ['server-sync', 'true or false']),
    'boolean-wait': ('server zeo:8100\n@wait later', ['wait', "'later'"]),
    'zero-timeout': ('server zeo:8100\n@wait-timeout 0',
                     ['wait-timeout', 'more than zero']),
    'word-timeout': ('server zeo:8100\n@wait-timeout soon',
                     ['wait-timeout', "'soon'", 'ms, s, m or h']),
    'zero-poll': ('server zeo:8100\n@disconnect-poll 0',
                  ['disconnect-poll', 'more than zero']),
    'negative-poll': ('server zeo:8100\n@disconnect-poll -1',
                      ['disconnect-poll', "'-1'"]),
    'percent-range': ('server zeo:8100\n@blob-cache-size-check 100',
                      ['blob-cache-size-check', '1 to 99']),
    'percent-fraction': ('server zeo:8100\n@blob-cache-size-check 5.5',
                         ['blob-cache-size-check', 'whole number']),
    'blob-size': ('server zeo:8100\nblob-dir {tmp}\n@blob-cache-size lots',
                  ['blob-cache-size', "'lots'", 'not a size']),
    'min-poll': ('server zeo:8100\n@min-disconnect-poll fast',
                 ['min-disconnect-poll', "'fast'"]),
    # Key names.
    'underscore': ('server zeo:8100\n@cache_size 5MB',
                   ["'cache_size'", "did you mean 'cache-size'"]),
    'short-key': ('server zeo:8100\n@blob-cache 1GB',
                  ["'blob-cache'", "did you mean 'blob-cache-size'"]),
    'readonly': ('server zeo:8100\n@readonly true',
                 ["'readonly'", "did you mean 'read-only'"]),
    'zodb-key': ('server zeo:8100\n@cache-size-bytes 1GB',
                 ["'cache-size-bytes'", 'enclosing <zodb>']),
    'server-key': ('@address zeo:8100', ["'address'", "'server'"]),
    'unknown-key': ('server zeo:8100\n@frobnicate yes',
                    ["'frobnicate'", 'the keys are', 'blob-dir']),
    'twice': ('server zeo:8100\ncache-size 1MB\n@cache-size 2MB',
              ['cache-size is given twice', 'first on line 5']),
    # Paths.
    'path-nul': ('server zeo:8100\n@cache-path {tmp}/c\0.zec',
                 ['cache-path', "c\\x00.zec'", 'NUL character',
                  'expected the path of a cache file']),
    'empty-storage': ('server zeo:8100\n@storage',
                      ['storage', 'no storage name given']),
    'storage-in-cache-name': ('server zeo:8100\nclient web\n'
                              '@storage main/1',
                              ['<clientstorage> for zeo:8100',
                               'storage names the cache file with client: '
                               "'main/1' cannot be part of a file name",
                               '(client: line 5)']),
    'client-with-slash': ('server zeo:8100\n@client web/1',
                          ['client', "'web/1' cannot be part of a file name",
                           "without '/'"]),
    'cache-path-dir': ('server zeo:8100\n@cache-path {tmp}/no/such/c.zec',
                       ['cache-path', 'does not exist']),
    'var-missing': ('server zeo:8100\nclient web\n@var {tmp}/absent',
                    ['var', 'no such directory']),
    # Rules across keys.
    'blob-cache-needs-dir': ('server zeo:8100\n@blob-cache-size 1GB',
                             ['<clientstorage> for zeo:8100',
                              'blob-cache-size 1GB needs blob-dir']),
    'shared-needs-dir': ('server zeo:8100\n@shared-blob-dir true',
                         ['shared-blob-dir true needs blob-dir']),
    'shared-dir-absent': ('server zeo:8100\n@blob-dir {tmp}/nope\n'
                          'shared-blob-dir true',
                          ['blob-dir', 'does not exist',
                           "server's blob directory",
                           '(shared-blob-dir: line 6)']),
    'poll-twice': ('server zeo:8100\ndisconnect-poll 2\n'
                   '@min-disconnect-poll 3',
                   ['min-disconnect-poll 3s and disconnect-poll 2s both',
                    '(disconnect-poll: line 5)', 'keep disconnect-poll']),
    'named-storage': ('server zeo:8100\nname main\n@blob-cache-size 1GB',
                      ['<clientstorage> (name main)', 'blob-cache-size']),
    # The <ssl> section: files.
    'cert-missing': ('server zeo:8100\n<ssl>\n@certificate {tmp}/none.pem\n'
                     '</ssl>', ['certificate', 'no such file']),
    'key-missing': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                    '@key {tmp}/none.key\n</ssl>', ['key', 'no such file']),
    'ca-missing': ('server zeo:8100\n<ssl>\n@authenticate {tmp}/ca.pem\n'
                   '</ssl>', ['authenticate', 'no such file']),
    'cert-not-pem': ('server zeo:8100\n<ssl>\n@certificate {junk}\n'
                     'key {key}\n</ssl>',
                     ['certificate', 'holds no PEM certificate']),
    'key-not-pem': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                    '@key {junk}\n</ssl>', ['key', 'no PEM private key']),
    'cert-without-key': ('server zeo:8100\n<ssl>\n@certificate {cert}\n'
                         '</ssl>', ['certificate', 'holds no private key',
                                    'add key']),
    'key-mismatch': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                     '@key {server_key}\n</ssl>',
                     ['key', 'does not match the certificate']),
    'encrypted-no-function': ('server zeo:8100\n<ssl>\n'
                              'certificate {cert}\n@key {enc}\n</ssl>',
                              ['key', 'encrypted', 'no password-function']),
    'wrong-password': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                       'key {enc}\n@password-function {pw}.wrong\n</ssl>',
                       ['password-function', 'does not decrypt']),
    'function-raises': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                        'key {enc}\n@password-function {pw}.broken\n</ssl>',
                        ['password-function', 'failed: KeyError']),
    'function-number': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                        'key {enc}\n@password-function {pw}.number\n</ssl>',
                        ['password-function', 'returned int']),
    'function-import': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                        '@password-function nosuchmod_zc.pw\n</ssl>',
                        ['password-function', 'cannot be imported']),
    'function-exits': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                       '@password-function zc_err_exits.anything\n</ssl>',
                       ['password-function', 'importing zc_err_exits failed '
                        'with SystemExit']),
    'function-getattr-raises': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                                '@password-function zc_err_lazy.anything\n'
                                '</ssl>',
                                ['password-function', "looking up 'anything'",
                                 'failed with RuntimeError']),
    'function-generator-exit': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                                'key {enc}\n@password-function {pw}.closing'
                                '\n</ssl>',
                                ['password-function',
                                 'failed: GeneratorExit']),
    'function-calls-exit': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                            'key {enc}\n@password-function {pw}.leave\n'
                            '</ssl>',
                            ['password-function', 'failed: SystemExit']),
    'function-callable': ('server zeo:8100\n<ssl>\ncertificate {cert}\n'
                          '@password-function os.sep\n</ssl>',
                          ['password-function', 'not callable']),
    'ca-not-pem': ('server zeo:8100\n<ssl>\n@authenticate {junk}\n</ssl>',
                   ['authenticate', 'no PEM CA certificate']),
    'ca-dir-unhashed': ('server zeo:8100\n<ssl>\n@authenticate {tmp}\n'
                        '</ssl>', ['authenticate', 'openssl rehash']),
    # The <ssl> section: settings.
    'key-needs-cert': ('server zeo:8100\n<ssl>\n@key {key}\n</ssl>',
                       ['<ssl>', 'key', 'needs certificate']),
    'function-needs-cert': ('server zeo:8100\n<ssl>\n'
                            '@password-function {pw}.right\n</ssl>',
                            ['password-function', 'has no key']),
    'hostname-contradiction': ('server zeo:8100\n<ssl>\n'
                               '@check-hostname false\n'
                               'server-hostname zeo\n</ssl>',
                               ['check-hostname is false but '
                                'server-hostname zeo',
                                '(server-hostname: line 7)']),
    'check-hostname-value': ('server zeo:8100\n<ssl>\n'
                             '@check-hostname perhaps\n</ssl>',
                             ['check-hostname', 'true or false']),
    'server-hostname-value': ('server zeo:8100\n<ssl>\n'
                              '@server-hostname zeo:8100\n</ssl>',
                              ['server-hostname', 'not a host name']),
    'ssl-typo': ('server zeo:8100\n<ssl>\n@certificat {cert}\n</ssl>',
                 ["'certificat'", "did you mean 'certificate'"]),
    'ssl-unknown': ('server zeo:8100\n<ssl>\n@cafile {cert}\n</ssl>',
                    ["'cafile' is not a key of <ssl>", 'authenticate']),
    'socket-tls': ('@server /run/zeo.sock\n<ssl>\n'
                   'check-hostname false\n</ssl>',
                   ['Unix socket', 'cannot use TLS']),
    # Several servers.
    'same-server-twice': ('server zeo:8100\nserver zeo2:8100\n'
                          '@server ZEO:8100',
                          ['server ZEO:8100 is given twice',
                           'give each server once']),
    'same-server-on-one-line': ('@server zeo:8100 zeo.:8100',
                                ['server zeo.:8100 is given twice']),
    'same-server-on-one-line-of-two': ('@server zeo:8100 ZEO:8100\n'
                                       'server zeo2:8100',
                                       ['server ZEO:8100 is given twice']),
    'socket-tls-second-line': ('server zeo:8100 zeo2:8100\n'
                               '@server /run/zeo.sock\n<ssl>\n</ssl>',
                               ['Unix socket', 'cannot use TLS']),
    'comma-separated': ('@server zeo1:8100,zeo2:8100',
                        ['server', 'not with commas']),
    'host-space-port': ('@server zeo 8100',
                        ['server', 'write HOST:PORT, as zeo:8100']),
    'url': ('@server zeo://zeo:8100', ['server', 'is a URL']),
    'slash': ('@server /', ['server', 'is a directory, not a Unix socket']),
    'lost-colon': ('@server zeo18100',
                   ['server', 'did you mean zeo1:8100 or zeo:18100?']),
}


@pytest.fixture
def paths(certs, tmp_path, monkeypatch):
    junk = tmp_path / 'junk.pem'
    junk.write_text('this is not PEM\n')
    module = tmp_path / 'zc_err_passwords.py'
    module.write_text(
        f'def right():\n    return {certs.password!r}\n'
        f'def wrong():\n    return {SECRET!r}\n'
        f'def broken():\n    raise KeyError({SECRET!r})\n'
        f'def number():\n    return 42\n'
        f'def leave():\n    raise SystemExit({SECRET!r})\n'
        f'def closing():\n    raise GeneratorExit({SECRET!r})\n')
    (tmp_path / 'zc_err_exits.py').write_text(
        f'raise SystemExit({SECRET!r})\n')
    (tmp_path / 'zc_err_lazy.py').write_text(
        f'def __getattr__(name):\n    raise RuntimeError({SECRET!r})\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    yield {'tmp': str(tmp_path), 'junk': str(junk), 'cert': certs.client_cert,
           'key': certs.client_key, 'server_key': certs.server_key,
           'enc': certs.encrypted_key, 'pw': 'zc_err_passwords'}
    for module in ('zc_err_passwords', 'zc_err_exits', 'zc_err_lazy'):
        sys.modules.pop(module, None)


def _write_case(body, paths, directory):
    lines = ['%import zeoconf', '<zodb>', '<clientstorage>']
    expected = None
    for line in body.format(**paths).splitlines():
        if line.startswith('@'):
            line = line[1:]
            expected = len(lines) + 1
        lines.append(line)
    lines += ['</clientstorage>', '</zodb>', '']
    path = os.path.join(directory, 'zodb.conf')
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    return path, expected


def _parse_file(path):
    """What zeoconf's own tools do: ``zeoconf check``, ``client_kwargs``."""
    return load_path(path, ZODB.config.getDbSchema())


def test_table_is_large():
    assert len(CASES) >= 40


@pytest.mark.parametrize('name', sorted(CASES))
def test_malformed_configuration(name, paths, tmp_path, monkeypatch):
    body, words = CASES[name]
    monkeypatch.chdir(tmp_path)
    path, line = _write_case(body, paths, str(tmp_path))
    with pytest.raises(ZConfig.ConfigurationError) as e:
        _parse_file(path)
    message = describe(e.value)
    assert message.startswith(f'zodb.conf:{line}: '), message
    for word in words:
        assert word in message, (word, message)
    assert SECRET not in message and SECRET not in str(e.value)


# What ZConfig itself says for a key given twice, where zeoconf's loader
# says "given twice" with both lines.
_PLAIN_WORDS = {'twice': ["'cache-size' does not support multiple values"]}


@pytest.mark.parametrize('name', sorted(CASES))
def test_malformed_configuration_under_a_plain_zodb_config_parse(
        name, paths, tmp_path, monkeypatch):
    """Under ZODB.config (no zeoconf loader): the same words without the
    lines of the keys; the line is the key's where ZConfig knows it, else
    that of the enclosing section's end, never a made-up one."""
    body, words = CASES[name]
    monkeypatch.chdir(tmp_path)
    path, line = _write_case(body, paths, str(tmp_path))
    with pytest.raises(ZConfig.ConfigurationError) as e:
        ZConfig.loadConfig(ZODB.config.getDbSchema(), path)
    message = describe(e.value)
    lines = open(path).read().splitlines()
    if e.value.lineno != line:
        # A rule across keys: ZConfig's line of the enclosing section's end.
        assert lines[e.value.lineno - 1].startswith('</'), message
        assert 'zeoconf check FILE gives the line of each key' in message
    for word in _PLAIN_WORDS.get(name, words):
        if re.fullmatch(r'\(\S+: line \d+\)', word):
            continue    # a key's line, which only zeoconf's loader knows
        assert word in message, (word, message)
    assert not re.search(r'line -1|column -1|\(-1, -1\)|line \?|line None',
                         str(e.value)), str(e.value)
    assert SECRET not in message and SECRET not in str(e.value)


def _blob_dir_on_a_file(tmp_path):
    junk = tmp_path / 'junk'
    junk.write_text('not a directory\n')
    section = (f'<clientstorage>\nserver zeo:1\nblob-dir {junk}\n'
               f'wait false\n</clientstorage>\n')
    return f'%import zeoconf\n<zodb>\n{section}</zodb>\n', section, str(junk)


def test_blob_dir_on_a_file_is_refused_by_zeoconfs_own_parse_with_its_line(
        tmp_path):
    _, section, junk = _blob_dir_on_a_file(tmp_path)
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('\n\n' + section)
    assert e.value.lineno == 5
    assert e.value.message == (
        f"<clientstorage> for zeo:1: blob-dir: {junk!r} exists and is not a "
        f"directory; expected a blob directory")


def test_blob_dir_on_a_file_is_refused_under_zodb_config_at_parse_time(
        tmp_path):
    """Under a plain loader too: the section's end line and the pointer
    to zeoconf check, before ZEO is asked."""
    text, _, junk = _blob_dir_on_a_file(tmp_path)
    with pytest.raises(ZConfig.ConfigurationError) as e:
        ZODB.config.databaseFromString(text)
    assert e.value.message == (
        f"<clientstorage> for zeo:1: blob-dir: {junk!r} exists and is not "
        f"a directory; expected a blob directory (zeoconf check FILE gives "
        f"the line of each key)")
    assert e.value.lineno == 8


def test_missing_server_names_the_key(tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n<zodb>\n<clientstorage>\n'
                    'cache-size 1MB\n</clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        _parse_file(str(path))
    assert "'server'" in str(e.value)
    assert e.value.lineno == 5


def test_cross_key_error_through_zodb_config_names_keys_values_and_check():
    """A plain ZODB.config parse knows no key positions: the message names
    the section by its server, the keys and values, and points at zeoconf
    check; ZConfig gives the line of the enclosing section's end. A
    ConfigurationError, not a ValueError (which ZConfig would number
    "(line 7, -1)")."""
    text = ('%import zeoconf\n<zodb>\n<clientstorage>\nserver zeo:1\n'
            'blob-cache-size 1GB\n</clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        ZODB.config.databaseFromString(text)
    assert not isinstance(e.value, ValueError)
    assert str(e.value) == (
        '<clientstorage> for zeo:1: blob-cache-size 1GB needs blob-dir; add '
        'blob-dir (the blob directory) (zeoconf check FILE gives the line '
        'of each key) (line 7)')
    assert e.value.lineno == 7


def test_client_kwargs_locates_a_top_level_section_error():
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('<clientstorage>\nserver zeo:1\n'
                              'shared-blob-dir yes\n</clientstorage>\n')
    assert e.value.lineno == 3
    assert '(line 3)' in str(e.value)


def test_zeoconfs_loader_knows_where_every_key_was_given():
    """The loader's hooks (ZConfig's public ConfigLoader API) see each key
    with its position, in included files too."""
    loaded = load_text(
        '<clientstorage>\n  server a:1\n  server b:2\n\n'
        '  cache-size 1MB\n</clientstorage>\n',
        _clientstorage_schema(), 'file:///etc/zodb.conf')
    found = loaded.loader.positions(loaded.config.storage.config)
    assert found['server'] == [(2, 'file:///etc/zodb.conf'),
                               (3, 'file:///etc/zodb.conf')]
    assert found['cache-size'] == [(5, 'file:///etc/zodb.conf')]
    assert 'read-only' not in found


# Secrets never show.

def test_password_key_never_shows(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    opener = zeoconf.parse_clientstorage(
        f'<clientstorage>\nserver zeo:1\nusername admin\npassword {SECRET}\n'
        f'</clientstorage>\n')
    given = opener.config.password
    assert type(given) is datatypes.Secret
    assert given.reveal() == SECRET     # kept, not shown
    shown = [repr(given), str(given), str(opener.config),
             repr(opener.kwargs()), caplog.text]
    for text in shown:
        assert SECRET not in text
    assert 'password' not in opener.kwargs()


def test_zodb_config_errors_across_keys_name_the_right_one_of_several():
    """Under ZODB.config, of several storages the message names the one at
    fault by its server, and ZConfig's line is the end of its <zodb>."""
    text = ('%import zeoconf\n'
            '<zodb first>\n  <clientstorage>\n    server zeo:1\n'
            '  </clientstorage>\n</zodb>\n'
            '<zodb second>\n  <clientstorage>\n    server zeo:2\n'
            '    # a comment\n    shared-blob-dir true\n'
            '  </clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        ZODB.config.databaseFromString(text)
    assert ('<clientstorage> for zeo:2: shared-blob-dir true needs '
            'blob-dir' in str(e.value))
    assert e.value.lineno == 13


def _disconnect_polls(dp=None):
    lines = ['server zeo:1', 'min-disconnect-poll 2']
    if dp is not None:
        lines.append(f'disconnect-poll {dp}')
    return '<clientstorage>\n' + ''.join(f'{line}\n' for line in lines) + \
        '</clientstorage>\n'


@pytest.mark.parametrize('dp', ['1', '1s', '3'])
def test_min_disconnect_poll_beside_disconnect_poll_is_refused_everywhere(
        dp, tmp_path):
    """Also where no key positions are known: a top-level section
    (storageFromString, zodburi) and keys from an %include; even when the
    value written is the default."""
    expected = 'min-disconnect-poll'
    with pytest.raises(ZConfig.ConfigurationError, match=expected) as e:
        ZODB.config.storageFromString('%import zeoconf\n' +
                                      _disconnect_polls(dp))
    assert 'both set the retry delay' in str(e.value)
    (tmp_path / 'polls.conf').write_text(
        f'min-disconnect-poll 2\ndisconnect-poll {dp}\n')
    text = ('%import zeoconf\n<zodb>\n<clientstorage>\nserver zeo:1\n'
            f'%include {tmp_path}/polls.conf\n</clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError, match=expected):
        ZODB.config.databaseFromString(text)


def test_min_disconnect_poll_alone_sets_the_poll_everywhere():
    storage = ZConfig.loadConfigFile(
        ZODB.config.getDbSchema(), io.StringIO(
            '%import zeoconf\n<zodb>\n' + _disconnect_polls() + '</zodb>\n')
    )[0].database[0].config.storage
    assert storage.kwargs()['disconnect_poll'] == 2
    assert zeoconf.client_kwargs(_disconnect_polls())['disconnect_poll'] == 2


def test_a_rule_across_keys_names_them_where_no_line_is_known(tmp_path):
    # Top level (ZODB.config.storageFromString), where ZConfig gives no
    # line, and a section read from an included file: the keys and values
    # are named, and zeoconf check is where their lines are.
    with pytest.raises(ZConfig.ConfigurationError) as e:
        ZODB.config.storageFromString(
            '%import zeoconf\n<clientstorage>\nserver zeo:1\n'
            'blob-cache-size 1GB\n</clientstorage>\n')
    assert str(e.value) == (
        '<clientstorage> for zeo:1: blob-cache-size 1GB needs blob-dir; add '
        'blob-dir (the blob directory) (zeoconf check FILE gives the line '
        'of each key)')
    assert getattr(e.value, 'lineno', None) is None
    (tmp_path / 'storage.conf').write_text(
        '<clientstorage>\nserver zeo:1\nshared-blob-dir true\n'
        '</clientstorage>\n')
    text = (f'%import zeoconf\n<zodb>\n%include {tmp_path}/storage.conf\n'
            f'</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        ZODB.config.databaseFromString(text)
    assert 'shared-blob-dir true needs blob-dir' in str(e.value)
    # zeoconf's own loader: the key's line in the included file.
    from zeoconf.loader import load_text
    with pytest.raises(ZConfig.ConfigurationError) as e:
        load_text(text, ZODB.config.getDbSchema())
    assert e.value.lineno == 3
    assert e.value.url.endswith('/storage.conf')
    assert e.value.message.startswith(
        '<clientstorage> for zeo:1: shared-blob-dir true needs blob-dir')


@pytest.mark.parametrize('body, key, first, second', [
    ('cache-size 1MB\n<ssl>\n</ssl>\ncache-size 2MB\n', 'cache-size', 3, 6),
    ('wait false\n# again\nwait true\n', 'wait', 3, 5),
    ('username a\npassword x\npassword y\n', 'password', 4, 5),
])
def test_a_key_given_twice_names_both_lines(body, key, first, second):
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs(f'<clientstorage>\nserver zeo:1\n{body}'
                              f'</clientstorage>\n')
    assert e.value.lineno == second
    assert str(e.value).startswith(
        f'{key} is given twice (first on line {first}); keep one')
    assert 'x' not in str(e.value).split(';')[0].replace(key, '')


def test_zeoclient_keys_are_ordinary_keys_with_their_line():
    opener = zeoconf.parse_clientstorage(
        f'<clientstorage>\nserver zeo:1\nwait off\npassword {SECRET}\n'
        f'</clientstorage>\n')
    assert opener.kwargs()['wait'] is False
    assert opener.config.password.reveal() == SECRET
    assert SECRET not in str(opener.config)
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.parse_clientstorage(
            '<clientstorage>\nserver zeo:1\nwait sometimes\n'
            '</clientstorage>\n')
    assert e.value.lineno == 3
    assert e.value.message.startswith("wait: 'sometimes' is not a boolean")


def test_an_unset_environment_variable_in_a_password_is_named_alone():
    # $(NAME) names a variable of the environment, which is configuration,
    # not the secret: the rest of the value is not shown.
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('<clientstorage>\nserver zeo:1\n'
                              'password Sw0rd$(FISH_NOT_SET)\n'
                              '</clientstorage>\n')
    assert e.value.lineno == 3
    assert e.value.message == (
        "password: the environment variable 'FISH_NOT_SET' is not set; set "
        "it, or write $$ for a literal $")


@pytest.mark.parametrize('written', [
    'Sw0rd$fish',            # a name ZConfig cannot replace
    'Sw0rd${fish',           # a '${' without its '}'
    'Sw0rdfish$',            # a lone '$' at the end
])
def test_a_dollar_in_a_password_never_shows_a_piece_of_it(written):
    """ZConfig's own message quotes what follows the '$'; zeoconf's entry
    points name the key and its line instead."""
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs(f'<clientstorage>\nserver zeo:1\n'
                              f'password {written}\n</clientstorage>\n')
    assert e.value.lineno == 3
    message = str(e.value)
    assert message.startswith("password: its value holds a '$'")
    assert "write '$$' for a literal '$'" in message
    assert 'fish' not in message.lower() and 'FISH' not in message
    # '$$' is a literal '$', as the message says.
    kwargs_text = ('<clientstorage>\nserver zeo:1\npassword '
                   f'{written.replace("$", "$$")}\n</clientstorage>\n')
    opener = zeoconf.parse_clientstorage(kwargs_text)
    assert opener.config.password.reveal() == written


class _Asked(dict):
    """A mapping for ZConfig's substitute() that notes the names asked."""

    def get(self, name):
        self[name] = None
        return ''


# Whole references, their pieces and other text.
_DOLLARS = st.sampled_from(['$', '$$', '$a', '${a}', '$(B_1)', '$(a', '${',
                            '}', '(', ')', '{', 'a', 'B_1', ' ', '9'])


@settings(max_examples=300, deadline=None)
@given(st.lists(_DOLLARS, max_size=8).map(''.join))
def test_references_read_dollars_as_zconfig_does(value):
    defines, variables, readable = loader.references(value)
    # Each environment variable ZConfig asks for is set, in turn, to a
    # marker that shows in the result where it was substituted.
    environment = {}
    while True:
        asked = _Asked()
        with unittest.mock.patch.dict(os.environ, environment):
            try:
                result = ZConfig.substitution.substitute(value, asked)
                break
            except ZConfig.SubstitutionReplacementError as e:
                environment[e.name] = f'<env {e.name}>'
            except ZConfig.SubstitutionSyntaxError:
                assert not readable
                return
    assert readable
    looked_up = dict.fromkeys(re.findall(r'<env (\w+)>', result))
    assert (defines, variables) == (list(asked), list(looked_up))


def test_a_dollar_in_a_define_never_shows_a_piece_of_its_value():
    # The value a %define names may be a password used further down.
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('%define PW Sw0rd$fish\n<clientstorage>\n'
                              'server zeo:1\npassword $PW\n'
                              '</clientstorage>\n')
    assert e.value.lineno == 1
    assert str(e.value).startswith("%define: its value holds a '$'")
    assert 'fish' not in str(e.value)


def test_a_dollar_in_another_key_is_explained_at_its_line():
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('<clientstorage>\nserver zeo:1\n'
                              'client-label web${1\n</clientstorage>\n')
    assert e.value.lineno == 3        # ZConfig's own error has no line
    assert str(e.value).startswith(
        "client-label: '${' not followed by name; write '$$' for a "
        "literal '$'")


def test_password_function_result_never_shows(paths, certs, caplog):
    caplog.set_level(logging.DEBUG)
    opener = zeoconf.parse_clientstorage(
        f'<clientstorage>\nserver zeo:1\n<ssl>\n'
        f'certificate {certs.client_cert}\nkey {certs.encrypted_key}\n'
        f'password-function zc_err_passwords.right\n</ssl>\n'
        f'</clientstorage>\n')
    assert opener.kwargs()['ssl'] is not None
    shown = [str(opener.config), repr(opener.kwargs()), caplog.text,
             str(opener.ssl.config), repr(opener.ssl.password_function)]
    for text in shown:
        assert certs.password not in text


# Fuzzing whole configurations.

def _valid_configs(certs):
    return [
        '%import zeoconf\n<zodb>\n  cache-size-bytes 1GB\n'
        '  <clientstorage>\n    server zeo1.example.com:8100\n'
        '    server zeo2.example.com:8100\n    cache-size 512MB\n'
        '    read-only-fallback true\n    wait-timeout 2m\n'
        '  </clientstorage>\n</zodb>\n',
        '%import zeoconf\n<zodb main>\n  <clientstorage>\n'
        '    server [::1]:8100\n    blob-dir /tmp/zc-fuzz-blobs\n'
        '    blob-cache-size 1GB\n    blob-cache-size-check 20%\n'
        '    client web\n    var /tmp\n    disconnect-poll 500ms\n'
        '    password hush\n  </clientstorage>\n</zodb>\n',
        f'%import zeoconf\n<zodb>\n  <clientstorage>\n'
        f'    server localhost:8100\n    <ssl>\n'
        f'      authenticate {certs.ca}\n'
        f'      certificate {certs.client_cert}\n'
        f'      key {certs.client_key}\n'
        f'      server-hostname zeo.example.com\n    </ssl>\n'
        f'  </clientstorage>\n</zodb>\n',
    ]


# Text for insertions: what configurations are made of, plus anything.
_PIECES = st.one_of(
    st.sampled_from([' ', '\n', ':', '<', '>', '</', '/', '%', '$', '#',
                     'true', 'ssl', 'server', '0', '-1', '99999', 'MB',
                     '<ssl>', '</ssl>', '<clientstorage>',
                     '</clientstorage>', 'cache-size', '[', ']', '%import',
                     '%define', '$(HOME)', '\t', '=']),
    st.text(alphabet=string.printable, max_size=12),
    st.text(max_size=4),
)


@st.composite
def _mutated(draw, bases):
    text = draw(st.sampled_from(bases))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(['insert', 'delete', 'replace-line',
                                     'duplicate-line', 'drop-line']))
        lines = text.split('\n')
        if kind == 'insert':
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(_PIECES) + text[at:]
        elif kind == 'delete' and text:
            at = draw(st.integers(0, len(text) - 1))
            size = draw(st.integers(1, 8))
            text = text[:at] + text[at + size:]
        else:
            at = draw(st.integers(0, len(lines) - 1))
            if kind == 'replace-line':
                words = lines[at].split(None, 1)
                lines[at] = (words[0] if words else '') + ' ' + draw(_PIECES)
            elif kind == 'duplicate-line':
                lines.insert(at, lines[at])
            else:
                del lines[at]
            text = '\n'.join(lines)
    return text


def test_fuzzed_configurations_raise_only_configuration_errors(certs):
    bases = _valid_configs(certs)
    schema = ZODB.config.getDbSchema()
    for base in bases:
        # The bases themselves are valid.
        ZConfig.loadConfigFile(schema, io.StringIO(base))

    @settings(max_examples=2500, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(text=_mutated(bases))
    def parse(text):
        # ZConfig's own directives are ZConfig's: '%import /' escapes from
        # it as ValueError (see test_zconfig_directive_errors_are_wrapped).
        assume(all(line.strip() == '%import zeoconf'
                   for line in text.splitlines()
                   if line.strip().startswith('%')))
        try:
            ZConfig.loadConfigFile(schema, io.StringIO(text))
        except ZConfig.ConfigurationError as e:
            assert describe(e)

    parse()


@pytest.mark.parametrize('directive', ['%import /', '%import zeoconf.nope',
                                       '%include /no/such/file.conf'])
def test_zconfig_directive_errors_are_wrapped(directive):
    """Whatever ZConfig raises for a bad directive, our entry points turn
    into a ConfigurationError (ZODB.config itself lets some escape)."""
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs(f'{directive}\n<clientstorage>\nserver zeo:1\n'
                              f'</clientstorage>\n')
    assert describe(e.value).startswith('<config>:1: ')


def test_a_section_error_is_a_configuration_error_not_a_value_error():
    # ZConfig prints a ValueError from a section's datatype as
    # "(line N, -1)"; a ConfigurationError keeps its words.
    assert issubclass(openers.SectionError, ZConfig.ConfigurationError)
    assert not issubclass(openers.SectionError, ValueError)

def test_an_import_that_exits_is_a_configuration_error(tmp_path,
                                                       monkeypatch):
    (tmp_path / 'zc_exits.py').write_text('import sys\nsys.exit(4)\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('%import zc_exits\n<clientstorage>\n'
                              'server zeo:1\n</clientstorage>\n')
    assert 'SystemExit' in describe(e.value)


def test_load_path_gives_the_configuration_its_loader_and_url(tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n<zodb main>\n<clientstorage>\n'
                    'server zeo:1\n</clientstorage>\n</zodb>\n')
    loaded = load_path(str(path), ZODB.config.getDbSchema())
    opener = loaded.config.database[0].config.storage
    assert opener.kwargs()['addr'] == [('zeo', 1)]
    assert loaded.url == path.as_uri()
    assert loaded.loader.positions(opener.config)['server'] == [
        (4, loaded.url)]
    with pytest.raises(ZConfig.ConfigurationError,
                       match='cannot read: No such file'):
        load_path(str(tmp_path / 'none.conf'), ZODB.config.getDbSchema())


def test_lines_of_keys_in_an_included_file_name_that_file(tmp_path):
    (tmp_path / 'poll.conf').write_text('disconnect-poll 3\n')
    (tmp_path / 'name.conf').write_text('name b\n')
    main = tmp_path / 'zodb.conf'
    main.write_text('%import zeoconf\n<zodb>\n<clientstorage>\n'
                    'server zeo:1\nmin-disconnect-poll 2\n%include poll.conf\n'
                    '</clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        load_path(str(main), ZODB.config.getDbSchema())
    assert e.value.lineno == 5
    assert e.value.message == (
        f'<clientstorage> for zeo:1: min-disconnect-poll 2s and '
        f'disconnect-poll 3s both set the retry delay; keep disconnect-poll '
        f'(disconnect-poll: {tmp_path}/poll.conf:1)')
    main.write_text('%import zeoconf\n<zodb>\n<clientstorage>\n'
                    'server zeo:1\nname a\n%include name.conf\n'
                    '</clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        load_path(str(main), ZODB.config.getDbSchema())
    assert (e.value.lineno, e.value.url.rsplit('/', 1)[-1]) == (1,
                                                               'name.conf')
    assert 'name is given twice (first on ' in str(e.value)
    assert 'zodb.conf:5); keep one' in str(e.value)




# ZODB.config loading the component: files, includes, substitutions.

def _first_storage(url):
    """The opener of the first database's storage, loaded as
    ZODB.config.databaseFromURL loads it."""
    config, _ = ZConfig.loadConfig(ZODB.config.getDbSchema(), url)
    return config.database[0].config.storage


def _roundtrip(db, value):
    with db.transaction() as conn:
        conn.root()['loader'] = value
    with db.transaction() as conn:
        assert conn.root()['loader'] == value


def test_database_from_file_with_environment_substitution(
        zeo_server, tmp_path, monkeypatch):
    monkeypatch.setenv('ZEO_ADDRESS', zeo_server.config_address)
    monkeypatch.setenv('ZEO_CACHE', str(tmp_path))
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n<zodb>\n  <clientstorage>\n'
                    '    server $(ZEO_ADDRESS)\n'
                    '    cache-path $(ZEO_CACHE)/app.zec\n'
                    '  </clientstorage>\n</zodb>\n')
    with open(path) as f:
        db = ZODB.config.databaseFromFile(f)
    try:
        _roundtrip(db, 'env')
        assert (tmp_path / 'app.zec').stat().st_size > 0
    finally:
        db.close()


def test_database_from_url_with_define(zeo_server, tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text(f'%define ZEO {zeo_server.config_address}\n'
                    f'%import zeoconf\n<zodb>\n  <clientstorage>\n'
                    f'    server $ZEO\n    client-label via-define\n'
                    f'  </clientstorage>\n</zodb>\n')
    url = pathlib.Path(path).as_uri()
    assert _first_storage(url).kwargs()['client_label'] == 'via-define'
    db = ZODB.config.databaseFromURL(url)
    try:
        _roundtrip(db, 'define')
    finally:
        db.close()


def test_include_of_a_shared_clientstorage_file(zeo_server, tmp_path):
    (tmp_path / 'zeo.conf').write_text(
        f'server {zeo_server.config_address}\nread-only-fallback true\n')
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n<zodb>\n  <clientstorage>\n'
                    '    %include zeo.conf\n  </clientstorage>\n</zodb>\n')
    kwargs = _first_storage(path.as_uri()).kwargs()
    assert kwargs['addr'] == [('127.0.0.1', zeo_server.port)]
    assert kwargs['read_only_fallback'] is True
    db = ZODB.config.databaseFromURL(path.as_uri())
    try:
        _roundtrip(db, 'include')
    finally:
        db.close()


def test_storage_from_url_with_define_in_an_included_file(
        zeo_server, tmp_path):
    # A deployment keeps site values in one file that every other file
    # includes; the definitions reach the including file.
    (tmp_path / 'site.conf').write_text(
        f'%define ZEO_MAIN {zeo_server.config_address}\n'
        f'%define LABEL site-wide\n')
    path = tmp_path / 'storage.conf'
    path.write_text('%include site.conf\n%import zeoconf\n'
                    '<clientstorage>\n  server $ZEO_MAIN\n'
                    '  client-label $LABEL\n</clientstorage>\n')
    storage = ZODB.config.storageFromURL(path.as_uri())
    db = ZODB.DB(storage)
    try:
        _roundtrip(db, 'storage-url')
    finally:
        db.close()


def test_storage_from_file_reads_back_what_a_database_wrote(
        zeo_server, tmp_path, monkeypatch):
    monkeypatch.setenv('ZEO_ADDRESS', zeo_server.config_address)
    text = ('%import zeoconf\n<zodb>\n  <clientstorage>\n'
            '    server $(ZEO_ADDRESS)\n  </clientstorage>\n</zodb>\n')
    db = ZODB.config.databaseFromFile(io.StringIO(text))
    try:
        _roundtrip(db, 'first client')
    finally:
        db.close()
    storage = ZODB.config.storageFromFile(io.StringIO(
        '%import zeoconf\n<clientstorage>\n  server $(ZEO_ADDRESS)\n'
        '  read-only true\n</clientstorage>\n'))
    db = ZODB.DB(storage)
    try:
        with db.transaction() as conn:
            assert conn.root()['loader'] == 'first client'
        assert storage.isReadOnly()
    finally:
        db.close()


def test_an_unset_environment_variable_is_an_error_with_its_line(
        monkeypatch):
    monkeypatch.delenv('ZEOCONF_UNSET_ADDRESS', raising=False)
    text = ('%import zeoconf\n<zodb>\n  <clientstorage>\n'
            '    server $(ZEOCONF_UNSET_ADDRESS)\n'
            '  </clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as info:
        ZODB.config.databaseFromFile(io.StringIO(text))
    assert info.value.lineno == 4
    assert 'ZEOCONF_UNSET_ADDRESS' in str(info.value)


_MULTI = """\
%import zeoconf

<zodb main>
  database-name main
  <clientstorage>
    server {main}
  </clientstorage>
</zodb>

<zodb catalog>
  database-name catalog
  <clientstorage>
    server {catalog}
    storage catalog
  </clientstorage>
</zodb>
"""


def test_multi_database_from_string_with_cross_database_reference(
        make_server):
    main = make_server()
    catalog = make_server(storage_name='catalog')
    text = _MULTI.format(main=main.config_address,
                         catalog=catalog.config_address)
    db = ZODB.config.databaseFromString(text)
    try:
        # databaseFromString returns the first section's database; every
        # <zodb> of the file joins its multi-database under its name.
        assert db.database_name == 'main'
        assert sorted(db.databases) == ['catalog', 'main']
        with db.transaction() as conn:
            index = PersistentMapping(word='zeo')
            conn.get_connection('catalog').add(index)   # lives in catalog
            conn.root()['index'] = index                # referred from main
            oid = index._p_oid
    finally:
        for database in list(db.databases.values()):
            database.close()

    # A second process would open new ZEO clients from the same text; the
    # reference must resolve through them, so it is on the servers.
    db = ZODB.config.databaseFromString(text)
    try:
        with db.transaction() as conn:
            index = conn.root()['index']
            assert index['word'] == 'zeo'
            assert index._p_jar.db() is db.databases['catalog']
        # On the servers themselves: main's root holds a cross-database
        # reference naming 'catalog' (no plain oid reference, which
        # get_refs would list), and the catalog server has the record.
        root_record, _ = db.storage.load(z64)
        assert get_refs(root_record) == []
        assert b'catalog' in root_record
        record, _ = db.databases['catalog'].storage.load(oid)
        assert b'zeo' in record
    finally:
        for database in list(db.databases.values()):
            database.close()


# Offline review: a property of how the schema was loaded.

_FOR_ANOTHER_MACHINE = """\
<clientstorage>
  server zeo:8100
  cache-path /nonexistent-zc/var/cache.zec
  client web
  var /nonexistent-zc/var
  blob-dir /nonexistent-zc/blobs
  shared-blob-dir true
  <ssl>
    authenticate /nonexistent-zc/ca.pem
    certificate /nonexistent-zc/client.pem
    key /nonexistent-zc/client.key
    password-function nosuchmodule_zc.unlock
  </ssl>
</clientstorage>
"""

_ZOPE_LIKE_SCHEMA = """\
<schema>
  <import package="ZODB"/>
  <key name="instancehome" datatype="existing-directory" required="yes"/>
  <key name="clienthome" datatype="existing-dirpath"/>
  <multisection type="ZODB.database" name="*" attribute="databases"/>
</schema>
"""


def test_parse_clientstorage_offline_looks_at_nothing_on_this_machine():
    with pytest.raises(ZConfig.ConfigurationError):
        zeoconf.parse_clientstorage(_FOR_ANOTHER_MACHINE)
    opener = zeoconf.parse_clientstorage(_FOR_ANOTHER_MACHINE, offline=True)
    assert isinstance(opener, openers.OfflineClientStorageOpener)
    kwargs = opener.kwargs()
    assert kwargs['addr'] == [('zeo', 8100)]
    assert kwargs['cache'] == '/nonexistent-zc/var/cache.zec'
    assert kwargs['ssl'] is None        # no context is built
    assert str(opener.ssl.password_function) == 'nosuchmodule_zc.unlock'


@pytest.mark.parametrize('body, line, words', [
    ('server zeo18100', 2, 'did you mean zeo1:8100 or zeo:18100?'),
    ('server zeo:8100\nblob-cache-size 1GB', 3, 'needs blob-dir'),
    ('server zeo:8100\n<ssl>\nkey /nonexistent-zc/k\n</ssl>', 4,
     'needs certificate'),
])
def test_offline_review_still_checks_every_value_and_rule(body, line,
                                                          words):
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.parse_clientstorage(
            f'<clientstorage>\n{body}\n</clientstorage>\n', offline=True)
    assert e.value.lineno == line
    assert words in e.value.message


def test_an_offline_schema_loader_swaps_zopes_disk_datatypes_too():
    """A zope.conf-like schema with ZConfig's existing-directory keys and
    a %import zeoconf inside the configuration: loaded with
    schema_loader(True), nothing on this machine is looked at."""
    text = ('instancehome /nonexistent-zc/instance\n'
            'clienthome /nonexistent-zc/instance/var\n'
            '%import zeoconf\n<zodb main>\n' + _FOR_ANOTHER_MACHINE +
            '</zodb>\n')
    online = loader.schema_loader().loadFile(io.StringIO(_ZOPE_LIKE_SCHEMA))
    with pytest.raises(ZConfig.ConfigurationError):
        load_text(text, online)
    with pytest.raises(ZConfig.ConfigurationError) as e:
        load_text('instancehome /nonexistent-zc/instance\n<zodb main>\n'
                  '<mappingstorage>\n</mappingstorage>\n</zodb>\n', online)
    assert e.value.lineno == 1
    offline = loader.schema_loader(True).loadFile(
        io.StringIO(_ZOPE_LIKE_SCHEMA))
    config = load_text(text, offline).config
    assert config.instancehome == '/nonexistent-zc/instance'
    opener = config.databases[0].config.storage
    assert isinstance(opener, openers.OfflineClientStorageOpener)
    assert opener.kwargs()['blob_dir'] == '/nonexistent-zc/blobs'
    # The online schema loader is untouched by the offline one.
    with pytest.raises(ZConfig.ConfigurationError):
        load_text(text, loader.schema_loader().loadFile(
            io.StringIO(_ZOPE_LIKE_SCHEMA)))


class _Alarm(BaseException):
    """What a signal handler raises to end a slow operation."""


def test_an_alarm_during_import_is_not_a_configuration_error(
        tmp_path, monkeypatch):
    (tmp_path / 'zc_slow_import.py').write_text(
        'import time\ntime.sleep(30)\n')
    (tmp_path / 'zc_slow_import_component.xml').write_text('')
    monkeypatch.syspath_prepend(str(tmp_path))

    def alarm(signum, frame):
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(_Alarm):
            zeoconf.client_kwargs('%import zc_slow_import\n<clientstorage>\n'
                                  'server zeo:1\n</clientstorage>\n')
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_sys_exit_during_import_is_a_configuration_error_at_its_line(
        tmp_path, monkeypatch):
    (tmp_path / 'zc_exiting.py').write_text('import sys\nsys.exit(3)\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('\n%import zc_exiting\n<clientstorage>\n'
                              'server zeo:1\n</clientstorage>\n')
    assert e.value.lineno == 2
    assert 'SystemExit' in e.value.message
