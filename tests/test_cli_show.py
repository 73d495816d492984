"""``zeoconf show``: every value of every storage, where it came from, and
the arguments ClientStorage gets; secrets redacted."""

import functools
import json

import pytest
from cli_files import SECRET, table, write_file, zodb


@pytest.fixture
def write(tmp_path):
    return functools.partial(write_file, tmp_path)


def test_show_gives_every_value_and_its_origin(run_cli, write, tmp_path):
    write('zodb.conf', zodb('    server zeo:8100\n    cache-size 1GB\n'
                             f'    password {SECRET}\n    username bob\n'
                             '    wait-timeout 500ms'))
    result = run_cli('show', 'zodb.conf', cwd=tmp_path)
    assert result.status == 0
    assert SECRET not in result.out + result.err
    lines = result.out.splitlines()
    assert lines[0] == '<zodb db0>'
    assert lines[1].split() == ['KEY', 'VALUE', 'FROM', 'NOTE']
    rows = table(result.out)
    assert rows['server'] == ['zeo:8100', 'line', '4']
    assert rows['cache-size'] == ['1GB', 'line', '5']
    assert rows['password'][:3] == ['<redacted>', 'line', '6']
    assert rows['wait-timeout'] == ['0.5s', 'line', '8']
    # Every key, the defaults too.
    assert rows['disconnect-poll'] == ['1s', 'default']
    assert rows['blob-cache-size-check'] == ['10%', 'default']
    assert rows['blob-dir'] == ['-', 'default']
    # Every key but the compatibility keys that were not written.
    assert 'realm' not in rows and 'var' not in rows and 'wait' not in rows
    assert len(rows) == 1 + 17          # the header and the keys shown

    only_set = run_cli('show', '--only-set', 'zodb.conf', cwd=tmp_path)
    rows = table(only_set.out)
    assert set(rows) == {'KEY', 'server', 'cache-size', 'password',
                         'username', 'wait-timeout'}
    assert '(12 more keys at their defaults)' in only_set.out


def test_show_says_how_values_resolve(run_cli, write, tmp_path):
    var = tmp_path / 'var'
    var.mkdir()
    write('zodb.conf', zodb(
        f'    server localhost:8100\n    client app1\n    var {var}\n'
        '    min-disconnect-poll 2\n    max-disconnect-poll 300\n'
        '    <ssl>\n    </ssl>'))
    result = run_cli('show', 'zodb.conf', cwd=tmp_path)
    assert result.status == 0, result.err
    rows = table(result.out)
    assert ' '.join(rows['cache-path']) == (
        f'- default cache file {var}/app1-1.zec, from client and var')
    assert ' '.join(rows['disconnect-poll']) == (
        '2s default 2s, from min-disconnect-poll')
    # Why it is ignored is the warning's to say, not said twice.
    assert ' '.join(rows['max-disconnect-poll']) == (
        '300 line 8 ignored (see the warning)')
    assert ' '.join(rows['ssl.server-hostname']) == (
        '- default each server is checked against the host of its '
        'address')
    assert rows['ssl.authenticate'] == ['-', 'default']
    assert rows['ssl.check-hostname'] == ['true', 'default']
    # The warning about max-disconnect-poll, once, on stderr.
    assert result.err.count('warning: ') == 1
    assert ('max-disconnect-poll is ignored: ZEO retries every '
            'disconnect-poll seconds, without back-off') in result.err
    assert result.out.count('ZEO retries every') == 0


def test_show_origin_in_an_included_file(run_cli, write, tmp_path):
    write('storage.conf', '<clientstorage>\n  server zeo:8100\n'
          '  read-only true\n</clientstorage>\n')
    write('zodb.conf', '%import zeoconf\n<zodb>\n%include storage.conf\n'
          '</zodb>\n')
    result = run_cli('show', 'zodb.conf', cwd=tmp_path)
    assert result.status == 0, result.err
    rows = table(result.out)
    assert rows['server'] == ['zeo:8100', 'storage.conf:2']
    assert rows['read-only'] == ['true', 'storage.conf:3']


def test_show_json_is_complete_and_redacted(
        monkeypatch, run_cli, write, tmp_path, certs):
    module = tmp_path / 'zc_cli_pw.py'
    module.write_text(f'def pw():\n    return {certs.password!r}\n')
    path = write('zodb.conf', zodb(
        f'    server localhost:8100\n    password {SECRET}\n'
        f'    <ssl>\n      authenticate {certs.ca}\n'
        f'      certificate {certs.client_cert}\n'
        f'      key {certs.encrypted_key}\n'
        f'      password-function zc_cli_pw.pw\n    </ssl>'))
    monkeypatch.syspath_prepend(str(tmp_path))
    result = run_cli('show', '--json', path)
    assert result.status == 0, result.out
    for secret in (SECRET, certs.password):
        assert secret not in result.out + result.err
    data = json.loads(result.out)
    assert data['format'] == 1
    assert data['file'] == path
    assert data['warnings'] == [
        '<clientstorage> for localhost:8100: password is ignored: '
        'ZEO no longer authenticates with a password; use <ssl> client '
        'certificates.']
    [storage] = data['storages']
    assert storage['label'] == '<zodb db0>'
    assert storage['section'] is None
    assert storage['keys']['server'] == {
        'value': ['localhost:8100'], 'origin': 'line 4', 'note': None}
    assert storage['keys']['wait-timeout'] == {
        'value': 30.0, 'origin': 'default', 'note': None}
    assert storage['keys']['cache-size']['value'] == 20 * 1024 * 1024
    assert storage['keys']['password']['value'] == '<redacted>'
    # The compatibility keys that were not written are left out.
    assert 'realm' not in storage['keys'] and 'wait' not in storage['keys']
    assert len(storage['keys']) == 16
    ssl = storage['ssl']
    assert set(ssl) == {'certificate', 'key', 'password-function',
                        'authenticate', 'check-hostname', 'server-hostname'}
    assert ssl['password-function'] == {
        'value': 'zc_cli_pw.pw', 'origin': 'line 10', 'note': None}
    assert ssl['authenticate'] == {'value': certs.ca, 'origin': 'line 7',
                                   'note': None}
    assert ssl['key']['value'] == certs.encrypted_key
    assert ssl['check-hostname'] == {'value': True, 'origin': 'default',
                                     'note': None}
    assert ssl['server-hostname']['value'] is None
    kwargs = storage['kwargs']
    assert kwargs['ssl'] == 'SSLContext'
    # No server-hostname: asyncio checks each server's own host name.
    assert kwargs['ssl_server_hostname'] is None
    assert kwargs['addr'] == ['localhost:8100']
    assert kwargs['cache_size'] == 20 * 1024 * 1024
    # The text form hides the same secrets.
    text = run_cli('show', path)
    assert text.status == 0
    for secret in (SECRET, certs.password):
        assert secret not in text.out + text.err
    assert 'zc_cli_pw.pw' in text.out

