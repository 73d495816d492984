"""The ``zeoconf`` command as a whole (zeoconf.cli and cli.common): usage
and exit codes, escaping, streams that are closed or full, and ``ping``,
whose glue lives in zeoconf/cli/__init__.py.

The command runs in this process (the ``run_cli`` fixture), except where a
separate process is the point: a fresh interpreter's imports, closed or
full standard streams, a reader that leaves.
"""

import functools
import json
import os
import re
import socket
import subprocess
import sys
import threading

import pytest
from cli_files import (
    COMMAND,
    GOOD,
    dead_port,
    many_storages,
    run_process,
    tls,
    write_file,
    zodb,
)


@pytest.fixture
def write(tmp_path):
    return functools.partial(write_file, tmp_path)


@pytest.fixture
def fake_server():
    """A listener on 127.0.0.1 that sends *greeting* and then says nothing.

    With ``greeting=None`` it does not even accept: the connection sits in
    the listen backlog.
    """
    listeners, held, stop = [], [], threading.Event()

    def start(greeting):
        listener = socket.socket()
        listener.bind(('127.0.0.1', 0))
        listener.listen(8)
        listeners.append(listener)
        if greeting is not None:
            def serve():
                listener.settimeout(0.1)
                while not stop.is_set():
                    try:
                        conn, _ = listener.accept()
                    except OSError:
                        continue
                    held.append(conn)
                    conn.sendall(greeting)
            threading.Thread(target=serve, daemon=True).start()
        return listener.getsockname()[1]

    yield start
    stop.set()
    for s in held + listeners:
        s.close()


def test_usage_errors_exit_2(run_cli, write):
    path = write('zodb.conf', zodb('    server zeo:8100'))
    assert run_cli('check').status == 2
    assert run_cli('frobnicate').status == 2
    bad_timeout = run_cli('ping', path, '--timeout', '0')
    assert bad_timeout.status == 2
    assert 'above zero' in bad_timeout.err
    help_text = run_cli('--help').out
    assert 'lists its exit codes; 2 is always wrong command-line usage' \
        in ' '.join(help_text.split())
    for command in ('check', 'show', 'ping', 'migrate', 'demo'):
        own = run_cli(command, '--help').out
        assert 'exit codes:' in own and '2  wrong command-line usage' in own
    assert 'usable server' in run_cli('ping', '--help').out
    assert 'usable server' not in run_cli('check', '--help').out


def test_version(run_cli):
    import zeoconf as package
    result = run_cli('--version')
    assert result.status == 0
    assert result.out == f'zeoconf {package.__version__}\n'


def test_the_help_shown_in_docs_cli_md_is_the_commands_own(run_cli,
                                                           monkeypatch):
    # docs/cli.md shows each --help as the command prints it (80 columns).
    docs = os.path.join(os.path.dirname(__file__), '..', 'docs', 'cli.md')
    with open(docs) as f:
        text = f.read()
    blocks = re.findall(r'```\n\$ zeoconf (\S+ )?--help\n(.*?)\(exit 0\)\n',
                        text, re.S)
    assert {command.strip() for command, _ in blocks} == {
        '', 'check', 'show', 'ping', 'migrate', 'demo'}
    monkeypatch.setenv('COLUMNS', '80')
    for command, shown in blocks:
        args = [command.strip()] if command else []
        result = run_cli(*args, '--help')
        printed = result.out
        if sys.version_info < (3, 10):
            # The heading that argparse printed before Python 3.10.
            printed = re.sub(r'(?m)^optional arguments:$', 'options:',
                             printed)
        assert printed == shown, command


def test_check_and_show_load_neither_zeo_nor_asyncio_nor_other_commands(
        write):
    # Not even a wrong command line, which ping's Nagios mode answers.
    path = write('zodb.conf', zodb('    server zeo:8100'))
    code = ('import sys\n'
            'import zeoconf.cli\n'
            f'assert zeoconf.cli.main(["check", {path!r}]) == 0\n'
            f'assert zeoconf.cli.main(["show", {path!r}]) == 0\n'
            'assert zeoconf.cli.main(["check", "--no-such-option"]) == 2\n'
            'loaded = [m for m in sys.modules if m.split(".")[0] in '
            '("ZEO", "asyncio") or m in ("zeoconf.cli.ping", '
            '"zeoconf.cli.migrate", "zeoconf.cli.demo")]\n'
            'assert not loaded, loaded\n')
    result = subprocess.run([sys.executable, '-c', code], text=True,
                            capture_output=True)
    assert result.returncode == 0, result.stderr


def test_migrate_output_redirected_is_the_file_byte_for_byte(tmp_path):
    # Escaping is for a terminal: a CRLF file stays CRLF, a form feed in
    # a comment stays a form feed.
    path = tmp_path / 'zodb.conf'
    path.write_bytes(b'%import ZEO\r\n# page\x0c\r\n<zodb>\r\n'
                     b'  <clientstorage>\r\n    server zeo:8100\r\n'
                     b'  </clientstorage>\r\n</zodb>\r\n')
    result = subprocess.run([sys.executable, '-m', 'zeoconf', 'migrate',
                             str(path)], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == path.read_bytes().replace(
        b'%import ZEO\r\n', b'%import zeoconf\r\n')


EVIL_NAME = 'evil\x1b]0;owned\x07'


EVIL_LABEL = 'label\x1b[31mred'


def _evil(tmp_path, server='zeo.example.com:8100'):
    (tmp_path / 'evil.conf').write_text(
        f'%import zeoconf\n<zodb>\n  <clientstorage>\n    server {server}\n'
        f'    name {EVIL_NAME}\n    client-label {EVIL_LABEL}\n'
        f'  </clientstorage>\n</zodb>\n')
    return 'evil.conf'


def assert_escaped(text):
    assert '\x1b' not in text and '\x07' not in text
    assert 'evil\\x1b]0;owned\\x07' in text


def test_check_prints_control_characters_escaped(run_cli, tmp_path):
    result = run_cli('check', _evil(tmp_path), cwd=tmp_path)
    assert result.status == 0
    assert_escaped(result.out)
    assert 'name=evil\\x1b]0;owned\\x07' in result.out


def test_show_prints_control_characters_escaped_and_aligned(run_cli, tmp_path):
    result = run_cli('show', _evil(tmp_path), cwd=tmp_path)
    assert result.status == 0
    assert_escaped(result.out)
    assert 'label\\x1b[31mred' in result.out
    rows = {line.split()[0]: line for line in result.out.splitlines()}
    # Columns are measured on what is printed: FROM starts in one column.
    column = rows['name'].index('line 5')
    assert rows['client-label'].index('line 6') == column
    assert rows['server'].index('line 4') == column


def test_show_json_escapes_control_characters_as_json_does(run_cli, tmp_path):
    result = run_cli('show', '--json', _evil(tmp_path), cwd=tmp_path)
    assert result.status == 0
    assert '\x1b' not in result.out and '\x07' not in result.out
    data = json.loads(result.out)
    assert data['storages'][0]['keys']['name']['value'] == EVIL_NAME


def test_ping_prints_control_characters_escaped(run_cli, tmp_path):
    schema = tmp_path / 'schema.xml'
    schema.write_text('<schema>\n  <import package="zeoconf"/>\n'
                      '  <multisection type="clientstorage" name="*" '
                      'attribute="storages"/>\n</schema>\n')
    # A label that holds the storage's name; a port nothing listens on.
    (tmp_path / 'evil.conf').write_text(
        f'<clientstorage>\n  server 127.0.0.1:9\n  name {EVIL_NAME}\n'
        f'</clientstorage>\n')
    result = run_cli('ping', '--schema', str(schema), '--timeout', '2',
                         'evil.conf', cwd=tmp_path)
    assert result.status == 1
    assert_escaped(result.out)
    assert_escaped(result.err)     # the progress lines
    assert result.out.splitlines()[1].startswith(
        '<clientstorage> (name evil\\x1b]0;owned\\x07)  127.0.0.1:9')


@pytest.mark.parametrize('command', [['show', '--json'], ['show'],
                                     ['check'], ['check', '--json']])
def test_stdout_at_dev_full_is_one_line_on_stderr(tmp_path, command):
    (tmp_path / 'f.conf').write_text(GOOD)
    with open('/dev/full', 'w') as full:
        result = run_process(*command, 'f.conf', cwd=tmp_path, stdout=full)
    assert result.status == 1
    assert result.err == ('zeoconf: cannot write the output: No space '
                          'left on device\n')


@pytest.mark.parametrize('command', [['show', '--json'], ['check']])
def test_closed_stdout_is_one_line_on_stderr(tmp_path, command):
    (tmp_path / 'f.conf').write_text(GOOD)
    result = run_process(*command, 'f.conf', cwd=tmp_path, close=(1,))
    assert result.status == 1
    assert result.err == 'zeoconf: standard output is closed\n'


def test_a_reader_that_leaves_early_is_not_an_error(tmp_path):
    (tmp_path / 'f.conf').write_text(many_storages(300))
    process = subprocess.Popen(
        [*COMMAND, 'show', '--json', 'f.conf'], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline() == b'{\n'
    process.stdout.close()      # as `| head -1` does
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert stderr == b''


def test_ping_live_plain_server(run_cli, write, zeo_server):
    path = write('zodb.conf', zodb(
        f'    server {zeo_server.config_address}'))
    result = run_cli('ping', path, '--timeout', '5')
    assert result.status == 0, result.out + result.err
    header, row, summary = result.out.splitlines()
    assert header.split() == ['STORAGE', 'SERVER', 'STATUS', 'MODE',
                              'LATENCY', 'DETAIL']
    cells = row.split()
    assert cells[:5] == ['<zodb', 'db0>', zeo_server.config_address, 'ok',
                         'writable']
    assert cells[5].endswith('ms') and float(cells[5][:-2]) >= 0
    assert summary == '1 of 1 storage usable'
    # Progress while it runs, on stderr.
    assert result.err.splitlines() == [
        'ping: 1 server of 1 storage, 5s at most',
        f'ping: <zodb db0> {zeo_server.config_address}: ok']


def test_ping_live_tls_server(run_cli, write, tls_server, certs):
    path = write('zodb.conf', zodb(
        f'    server localhost:{tls_server.port}\n' + tls(certs.ca, certs)))
    result = run_cli('ping', '--json', path)
    assert result.status == 0, result.out + result.err
    data = json.loads(result.out)
    assert data['format'] == 1 and data['timeout'] == 5.0
    [storage] = data['storages']
    assert storage['usable'] is True and storage['label'] == '<zodb db0>'
    [server] = storage['servers']
    assert set(server) == {'server', 'status', 'mode', 'connect_ms',
                           'latency_ms', 'duration_ms', 'detail', 'usable',
                           'fallback', 'stats'}
    assert server['server'] == f'localhost:{tls_server.port}'
    assert server['status'] == 'ok' and server['mode'] == 'writable'
    assert server['usable'] is True and server['detail'] is None
    assert server['latency_ms'] > 0 and server['connect_ms'] > 0


def test_ping_names_the_certificate_problem(run_cli, write, tls_server, certs):
    path = write('zodb.conf', zodb(
        f'    server localhost:{tls_server.port}\n' +
        tls(certs.other_ca, certs)))
    result = run_cli('ping', '--json', path)
    assert result.status == 1
    [server] = json.loads(result.out)['storages'][0]['servers']
    assert server['status'] == 'tls-failed'
    # OpenSSL's reason, as ssl.SSLCertVerificationError.verify_message.
    assert server['detail'] == ('certificate verification failed: '
                                'self-signed certificate in certificate '
                                'chain')
    text = run_cli('ping', path)
    assert text.status == 1
    assert 'certificate verification failed: self-signed certificate' \
        in text.out
    assert text.out.splitlines()[-1] == '0 of 1 storage usable'


def test_ping_names_a_host_name_mismatch(run_cli, write, tls_server, certs):
    path = write('zodb.conf', zodb(
        f'    server 127.0.0.1:{tls_server.port}\n' +
        tls(certs.ca, certs, 'server-hostname zeo.example.com')))
    result = run_cli('ping', '--json', path)
    assert result.status == 1
    [server] = json.loads(result.out)['storages'][0]['servers']
    assert server['status'] == 'tls-failed'
    assert "not valid for 'zeo.example.com'" in server['detail']


def test_ping_without_client_certificate_or_tls(run_cli, write, tls_server,
                                               zeo_server, certs):
    path = write('zodb.conf', zodb(
        # ZEO's server demands a client certificate.
        f'    server localhost:{tls_server.port}\n    <ssl>\n'
        f'      authenticate {certs.ca}\n    </ssl>',
        # No <ssl> for a TLS server: it waits for a handshake.
        f'    server localhost:{tls_server.port}',
        # <ssl> for a plain server.
        f'    server localhost:{zeo_server.port}\n' + tls(certs.ca, certs)))
    result = run_cli('ping', '--json', path, '--timeout', '2')
    assert result.status == 1
    no_cert, no_tls, plain = [s['servers'][0] for s in
                              json.loads(result.out)['storages']]
    assert no_cert['status'] in ('closed', 'tls-failed')
    assert 'client certificate' in no_cert['detail']
    assert no_tls['status'] == 'timeout'
    assert 'add <ssl>?' in no_tls['detail']
    assert plain['status'] == 'tls-failed'
    assert 'does not speak TLS' in plain['detail']


def test_ping_a_port_nothing_listens_on_is_refused(run_cli, write):
    path = write('zodb.conf', zodb(f'    server 127.0.0.1:{dead_port()}'))
    result = run_cli('ping', path, '--timeout', '2')
    assert result.status == 1
    assert 'refused' in result.out
    assert 'connection refused: nothing listens there' in result.out


def test_ping_unix_socket(run_cli, write, make_server, tmp_path):
    server = make_server(address=str(tmp_path / 'zeo.sock'))
    missing = tmp_path / 'missing.sock'
    path = write('zodb.conf', zodb(f'    server {server.config_address}',
                                    f'    server {missing}'))
    result = run_cli('ping', '--json', path)
    assert result.status == 1
    live, dead = json.loads(result.out)['storages']
    assert live['usable'] is True
    assert live['servers'][0]['mode'] == 'writable'
    assert dead['servers'][0]['status'] == 'refused'
    assert dead['servers'][0]['detail'] == ('no such socket file: is the '
                                            'server running?')


@pytest.mark.parametrize('greeting', [None, b'\x00\x00\x00\x02Z5'],
                         ids=['never-accepts', 'greets-then-silent'])
def test_ping_silent_server_ends_as_a_timeout(write, fake_server, tmp_path,
                                              greeting):
    # However far the server gets before it stops answering, ping ends and
    # says so. A process of its own: a ping that hung would fail by the
    # guard's timeout, not hang the tests.
    port = fake_server(greeting)
    path = write('zodb.conf', zodb(f'    server 127.0.0.1:{port}'))
    result = run_process('ping', '--json', path, '--timeout', '1',
                         cwd=tmp_path)
    assert result.status == 1
    [server] = json.loads(result.out)['storages'][0]['servers']
    assert server['status'] == 'timeout'


def test_ping_something_that_is_not_zeo(run_cli, write, fake_server):
    port = fake_server(b'SSH-2.0-OpenSSH_9.6\r\n')
    path = write('zodb.conf', zodb(f'    server 127.0.0.1:{port}'))
    result = run_cli('ping', '--json', path, '--timeout', '2')
    assert result.status == 1
    [server] = json.loads(result.out)['storages'][0]['servers']
    assert server['status'] == 'not-zeo'
    assert "b'SSH-2.0-OpenSSH_" in server['detail']


def test_ping_one_usable_server_is_enough(
        run_cli, write, zeo_server, make_server):
    read_only = make_server(read_only=True)
    path = write('zodb.conf', zodb(
        f'    server 127.0.0.1:{dead_port()}\n'
        f'    server {zeo_server.config_address}',
        f'    server {zeo_server.config_address}\n    storage nope',
        f'    server {read_only.config_address}',
        f'    server {read_only.config_address}\n    read-only true'))
    result = run_cli('ping', '--json', path, '--timeout', '5')
    first, second, third, fourth = json.loads(result.out)['storages']
    assert first['usable'] is True
    assert [s['status'] for s in first['servers']] == ['refused', 'ok']
    [wrong_name] = second['servers']
    assert wrong_name['status'] == 'no-storage'
    assert wrong_name['detail'] == (
        "the server has no storage 'nope': is the storage name right?")
    assert third['servers'][0]['status'] == 'read-only'
    assert third['servers'][0]['mode'] == 'read-only'
    assert fourth['usable'] is True
    assert fourth['servers'][0]['mode'] == 'read-only'
    assert result.status == 1


def test_show_and_ping_report_a_bad_file_with_its_line(
        run_cli, write, tmp_path):
    write('zodb.conf', zodb('    server zeo:8100\n    wait-timeout 0'))
    for command, code in (('show', 1), ('ping', 2)):
        result = run_cli(command, 'zodb.conf', cwd=tmp_path)
        assert result.status == code
        assert result.out == ''
        assert result.err.startswith('zodb.conf:5: wait-timeout: ')


def test_configuration_without_clientstorage(run_cli, write):
    path = write('zodb.conf', '%import zeoconf\n<zodb>\n  <mappingstorage>'
                 '\n  </mappingstorage>\n</zodb>\n')
    for command in ('show', 'ping'):
        result = run_cli(command, path)
        assert result.status == 0
        assert result.out == f'{path}: no clientstorage\n'


def test_ping_fails_when_its_zeo_clients_are_not_zeoconfs(run_cli, write):
    # ZODB's own <zeoclient>: nothing probed, so not "all is well".
    path = write('zodb.conf', '<zodb>\n  <zeoclient>\n    server '
                 f'127.0.0.1:{dead_port()}\n  </zeoclient>\n</zodb>\n')
    result = run_cli('ping', path, '--timeout', '2')
    assert result.status == 1
    assert result.out == (f'{path}: no zeoconf clientstorage; 1 ZEO '
                             f'client section not probed\n')
    assert (f"{path}: <zodb> <zeoclient>: not probed: ZODB's own ZEO "
            f"client; run zeoconf migrate") in result.err
    result = run_cli('ping', '--json', path, '--timeout', '2')
    assert result.status == 1
    report = json.loads(result.out)
    assert report['storages'] == []
    assert report['not_probed'] == ['<zodb> <zeoclient>']


@pytest.mark.parametrize('command', [['check'], ['show']])
def test_format_characters_are_written_escaped(run_cli, write, command):
    # U+202E (right-to-left override) would turn the rest of the line
    # around on a terminal; U+200B hides in it.
    path = write('f.conf', zodb('    server zeo:8100\n'
                                '    name a\u202eb\u200bc'))
    result = run_cli(*command, path)
    assert result.status == 0
    assert '\u202e' not in result.out and '\u200b' not in result.out
    assert 'a\\u202eb\\u200bc' in result.out


def test_check_with_standard_error_closed_writes_no_warning_on_stdout(
        write, tmp_path):
    write('f.conf', zodb('    server zeo:8100\n    max-disconnect-poll 300\n'
                         '    name a # b'))
    result = run_process('check', 'f.conf', cwd=tmp_path, close=(2,))
    assert result.status == 0
    assert result.out.splitlines()[0] == 'f.conf: ok, 1 clientstorage, ' \
        '1 warning'
    assert 'warning:' not in result.out
    assert 'max-disconnect-poll' not in result.out
    assert 'ZConfig comments' not in result.out


def test_migrate_with_standard_error_closed_still_migrates(tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text('%import ZEO\n<zodb>\n  <clientstorage>\n'
                    '    server zeo:8100\n  </clientstorage>\n</zodb>\n')
    result = subprocess.run(
        ['sh', '-c', 'exec "$@" 2>&-', 'sh', sys.executable, '-m',
         'zeoconf', 'migrate', '--offline', str(path)],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith('%import zeoconf\n')
