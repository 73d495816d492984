"""The zeoconf command, run as a subprocess as an operator would."""

import json
import os
import socket
import subprocess
import sys

import pytest

SECRET = 'Pa55-never-printed'


def zeoconf(*args, timeout=60, cwd=None):
    return subprocess.run(
        [sys.executable, '-m', 'zeoconf', *args], capture_output=True,
        text=True, timeout=timeout, cwd=cwd)


@pytest.fixture
def write(tmp_path):
    def write_(name, text):
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return write_


def _zodb(*bodies):
    sections = ''.join(
        f'<zodb db{i}>\n  <clientstorage>\n{body}\n  </clientstorage>\n'
        f'</zodb>\n' for i, body in enumerate(bodies))
    return '%import zeoconf\n' + sections


def _dead_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# check

def test_check_valid_file_prints_one_line_per_storage(write):
    path = write('zodb.conf', _zodb(
        '    server zeo1.example.com:8100\n    read-only true',
        '    server zeo2.example.com:8100\n    server zeo3:8100'))
    result = zeoconf('check', path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f'{path}: ok, 2 clientstorages'
    assert 'zeo1.example.com:8100' in lines[1] and 'read-only' in lines[1]
    assert 'tls=off' in lines[1]
    assert 'zeo2.example.com:8100,zeo3:8100' in lines[2]
    assert 'read-write' in lines[2]


def test_check_bad_file_prints_file_and_line(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo.example.com8200'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith('zodb.conf:4: server: '
                                    "'zeo.example.com8200' is not an "
                                    'address')
    assert 'Traceback' not in result.stdout + result.stderr


def test_check_reports_every_file(write):
    good = write('good.conf', _zodb('    server zeo:8100'))
    bad = write('bad.conf', _zodb('    server zeo:8100\n    cache_size 1'))
    result = zeoconf('check', good, bad)
    assert result.returncode == 1
    assert f'{good}: ok' in result.stdout
    assert "did you mean 'cache-size'" in result.stdout


def test_check_cross_key_error_points_at_the_key(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo:8100\n\n'
                             '    shared-blob-dir true'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith('zodb.conf:6: <clientstorage> for '
                                    'zeo:8100: shared-blob-dir (line 6)')


def test_check_explains_both_import_lines(write, tmp_path):
    write('zodb.conf', '# two components\n%import ZEO\n' +
          _zodb('    server zeo:8100'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith('zodb.conf:2: ')
    assert "Remove '%import ZEO'" in result.stdout


def test_check_zope_conf_with_zopes_schema(write, tmp_path):
    path = write('zope.conf', f"""
%import zeoconf
instancehome {tmp_path}
<zodb_db main>
  mount-point /
  cache-size 5000
  <clientstorage>
    server zeo.example.com:8100
    blob-dir {tmp_path}/blobs
  </clientstorage>
</zodb_db>
""")
    result = zeoconf('check', '--schema', 'zope', path)
    assert result.returncode == 0, result.stdout
    assert '1 clientstorage' in result.stdout
    assert 'zeo.example.com:8100' in result.stdout
    # ZODB's schema knows no instancehome: the right schema matters.
    assert zeoconf('check', path).returncode == 1


def test_check_with_a_schema_file(write):
    schema = write('schema.xml', """<schema>
  <import package="zeoconf"/>
  <multisection type="clientstorage" name="*" attribute="storages"/>
</schema>""")
    path = write('app.conf', '<clientstorage a>\n  server zeo:1\n'
                 '</clientstorage>\n<clientstorage b>\n  server zeo:2\n'
                 '</clientstorage>\n')
    result = zeoconf('check', '--schema', schema, path)
    assert result.returncode == 0, result.stdout
    assert '2 clientstorages' in result.stdout


def test_usage_error_exits_2():
    result = zeoconf('check')
    assert result.returncode == 2
    assert 'exit codes' in zeoconf('--help').stdout


# show

def test_show_gives_values_and_origins(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo:8100\n    cache-size 1GB\n'
                             f'    password {SECRET}\n    username bob'))
    result = zeoconf('show', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 0
    out = result.stdout
    assert SECRET not in out + result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in
            out.splitlines()[1:] if line.startswith('  ') and
            not line.strip().startswith('(')}
    assert rows['server'] == ['["zeo:8100"]', 'line', '4']
    assert rows['cache-size'] == ['1073741824', 'line', '5']
    assert rows['password'] == ['"<redacted>"', 'line', '6']
    assert 'more keys at their defaults' in out
    everything = zeoconf('show', '--all', 'zodb.conf', cwd=tmp_path).stdout
    assert 'wait-timeout' in everything and 'default' in everything


def test_show_json_is_complete_and_redacted(write, tmp_path, certs):
    module = tmp_path / 'zc_cli_pw.py'
    module.write_text(f'def pw():\n    return {certs.password!r}\n')
    path = write('zodb.conf', _zodb(
        f'    server localhost:8100\n    password {SECRET}\n'
        f'    <ssl>\n      authenticate {certs.ca}\n'
        f'      certificate {certs.client_cert}\n'
        f'      key {certs.encrypted_key}\n'
        f'      password-function zc_cli_pw.pw\n    </ssl>'))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, '-m', 'zeoconf', 'show', '--json', path],
        capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stdout
    assert SECRET not in result.stdout
    assert certs.password not in result.stdout
    data = json.loads(result.stdout)
    [storage] = data['storages']
    assert storage['keys']['server'] == {'value': ['localhost:8100'],
                                        'origin': 'line 4'}
    assert storage['keys']['wait-timeout'] == {'value': 30.0,
                                              'origin': 'default'}
    assert storage['keys']['password']['value'] == '<redacted>'
    ssl = storage['ssl']
    assert ssl['password-function']['value'] == 'zc_cli_pw.pw'
    assert ssl['authenticate'] == {'value': certs.ca, 'origin': 'line 7'}
    assert ssl['check-hostname'] == {'value': True, 'origin': 'default'}
    assert storage['kwargs']['ssl'] == 'SSLContext'
    assert storage['kwargs']['ssl_server_hostname'] == 'localhost'
    assert storage['kwargs']['addr'] == ['localhost:8100']


# ping

def test_ping_live_plain_server(write, zeo_server):
    path = write('zodb.conf', _zodb(
        f'    server {zeo_server.config_address}'))
    result = zeoconf('ping', path, '--timeout', '5')
    assert result.returncode == 0, result.stdout + result.stderr
    [row] = result.stdout.splitlines()[1:]
    assert ' ok ' in row and 'writable' in row and 'ms' in row
    assert 'ping:' in result.stderr      # progress while it runs


def test_ping_live_tls_server(write, tls_server, certs):
    path = write('zodb.conf', _zodb(
        f'    server localhost:{tls_server.port}\n    <ssl>\n'
        f'      authenticate {certs.ca}\n'
        f'      certificate {certs.client_cert}\n'
        f'      key {certs.client_key}\n    </ssl>'))
    result = zeoconf('ping', '--json', path)
    assert result.returncode == 0, result.stdout + result.stderr
    [storage] = json.loads(result.stdout)['storages']
    assert storage['usable'] is True
    [server] = storage['servers']
    assert server['status'] == 'ok' and server['mode'] == 'writable'
    assert server['latency_ms'] > 0


def test_ping_names_the_certificate_problem(write, tls_server, certs):
    path = write('zodb.conf', _zodb(
        f'    server localhost:{tls_server.port}\n    <ssl>\n'
        f'      authenticate {certs.other_ca}\n'
        f'      certificate {certs.client_cert}\n'
        f'      key {certs.client_key}\n    </ssl>'))
    result = zeoconf('ping', '--json', path)
    assert result.returncode == 1
    [server] = json.loads(result.stdout)['storages'][0]['servers']
    assert server['status'] == 'tls-failed'
    assert 'certificate verification failed' in server['detail']


def test_ping_dead_port_returns_within_the_timeout(write):
    path = write('zodb.conf', _zodb(f'    server 127.0.0.1:{_dead_port()}'))
    result = zeoconf('ping', path, '--timeout', '2', timeout=30)
    assert result.returncode == 1
    assert 'refused' in result.stdout


def test_ping_one_usable_server_is_enough(write, zeo_server, make_server):
    read_only = make_server(read_only=True)
    path = write('zodb.conf', _zodb(
        f'    server 127.0.0.1:{_dead_port()}\n'
        f'    server {zeo_server.config_address}',
        f'    server {read_only.config_address}\n    storage nope',
        f'    server {read_only.config_address}'))
    result = zeoconf('ping', '--json', path, '--timeout', '3')
    first, second, third = json.loads(result.stdout)['storages']
    assert first['usable'] is True
    assert [s['status'] for s in first['servers']] == ['refused', 'ok']
    assert second['servers'][0]['status'] == 'no-storage'
    assert third['servers'][0]['status'] == 'read-only'
    assert result.returncode == 1


# demo

def test_demo_runs_and_cleans_up():
    result = zeoconf('demo', timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count('(the invalidation arrived)') == 2
    assert '== TLS with a client certificate' in out
    assert 'server-sync' in out and 'line ' in out
    temp = out.split('blob-dir ')[1].split('/blobs-client-1')[0]
    assert not os.path.exists(temp)


def test_show_and_ping_report_a_bad_file_with_its_line(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo:8100\n    wait-timeout 0'))
    for command in ('show', 'ping'):
        result = zeoconf(command, 'zodb.conf', cwd=tmp_path)
        assert result.returncode == 1
        assert result.stdout.startswith('zodb.conf:5: wait-timeout: ')
