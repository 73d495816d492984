"""zeoconf ping: probes, formats, exit codes and its deadline, against real
peers: ZEO servers (plain and TLS with a client certificate) started in
this process, a refused port, a listener that never speaks.

The command runs as a subprocess, as a monitoring system runs it; it
reaches the servers over 127.0.0.1.
"""

import json
import logging
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest
import transaction
import ZODB
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from ZEO.ClientStorage import ClientStorage

from zeoconf.cli import ping
from zeoconf.cli.ping import Range, _round_trip
from zeoconf.testing import ThrowawayServer

BIN = os.path.dirname(sys.executable)


def zeoconf(*args, timeout=60, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, '-m', 'zeoconf', 'ping', *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def dead_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def silent():
    """Ports of listeners that never accept and never answer."""
    listeners = []

    def make():
        listener = socket.socket()
        listener.bind(('127.0.0.1', 0))
        listener.listen(64)
        listeners.append(listener)
        return listener.getsockname()[1]

    yield make
    for listener in listeners:
        listener.close()


def tls_lines(certs, ca=None):
    return ('<ssl>\n'
            f'  authenticate {ca or certs.ca}\n'
            f'  certificate {certs.client_cert}\n'
            f'  key {certs.client_key}\n'
            '</ssl>')


@pytest.fixture
def conf(tmp_path):
    """conf(body, body, ...): a zodb.conf with one <zodb dbN> per body."""
    def write(*bodies, name='zodb.conf'):
        sections = ''.join(
            f'<zodb db{i}>\n  <clientstorage>\n{body}\n  </clientstorage>\n'
            '</zodb>\n' for i, body in enumerate(bodies))
        path = tmp_path / name
        path.write_text('%import zeoconf\n' + sections)
        return str(path)
    return write


# The round trip: one server call, bounded by the probe's deadline.

def test_a_connected_storage_answers_the_round_trip(zeo_server):
    storage = ClientStorage(zeo_server.address, wait_timeout=5)
    try:
        failure, status = _round_trip(storage, 5)
    finally:
        storage.close()
    assert failure is None
    assert status['connections'] == 1 and status['commits'] == 0


def test_a_server_gone_is_reported_by_the_deadline(make_server):
    # Stopped in this process, the server either leaves the session's
    # connection open and never answers, or closes it: the call fails
    # either way, by the round trip's deadline at the latest.
    server = make_server()
    storage = ClientStorage(server.address, wait_timeout=1)
    try:
        assert _round_trip(storage, 5)[0] is None
        server.stop()
        start = time.monotonic()
        failure, status = _round_trip(storage, 0.5)
        elapsed = time.monotonic() - start
    finally:
        storage.close()
    assert status is None
    assert failure in ('no answer within 0.5s',
                       'ClientDisconnected Connection lost')
    assert elapsed < 0.5 + 5


# Threshold ranges.

@pytest.mark.parametrize('text, alerting, quiet', [
    ('10', [-1, 10.5, 11], [0, 5, 10]),
    ('10:', [9.99, -5], [10, 11, 1e9]),
    ('~:10', [10.01, 1e9], [-1e9, 0, 10]),
    ('10:20', [9, 21], [10, 15, 20]),
    ('@10:20', [10, 15, 20], [9.9, 20.1]),
    ('0.5', [0.51, -0.1], [0, 0.5]),
    ('.5:1.', [0.4, 1.1], [0.5, 1]),
    ('-1:-0.5', [0, -2], [-1, -0.5]),
    (':10', [-1, 11], [0, 10]),
])
def test_range_alerts_as_the_guidelines_say(text, alerting, quiet):
    threshold = Range(text)
    assert [v for v in alerting if threshold.alerts(v)] == alerting
    assert [v for v in quiet if threshold.alerts(v)] == []


@pytest.mark.parametrize('text', [
    '', '@', 'x', '1e3', 'nan', 'inf', '10:5', '1:2:3', '~', '~10', '@@1',
    ' 10', '10 ', '1_0', '--1', '١٠'])
def test_range_refuses_what_is_not_a_range(text):
    with pytest.raises(ValueError):
        Range(text)


_atom = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.decimals(-1000, 1000, places=3, allow_nan=False,
                allow_infinity=False).map(str))


@given(st.tuples(st.sampled_from(['', '@']),
                 st.one_of(st.none(), st.just('~'), _atom),
                 st.one_of(st.just(''), _atom)),
       st.floats(-2000, 2000, allow_nan=False))
def test_range_agrees_with_nagiosplugin(parts, value):
    nagiosplugin = pytest.importorskip('nagiosplugin')
    at, start, end = parts
    text = at + ('' if start is None else start + ':') + end
    try:
        theirs = nagiosplugin.Range(text)
    except ValueError:
        theirs = None
    if text in ('', '@') or start is None and end == '':
        with pytest.raises(ValueError):
            Range(text)
        return
    if theirs is None:
        with pytest.raises(ValueError):
            Range(text)
        return
    # nagiosplugin's match() is "no alert".
    assert Range(text).alerts(value) == (not theirs.match(value))


# Exit codes and the formats, against real servers.

NAGIOS_FIRST = re.compile(
    r"ZEO (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+"
    r"( \| ('(?:[^'=]|'')+'=[-0-9.]+(s|ms|us|%|B|KB|MB|TB|c)?"
    r"(;[-0-9.:~@]*){0,4})( '(?:[^'=]|'')+'=[-0-9.]+(s|ms|us|%|B|KB|MB|TB"
    r"|c)?(;[-0-9.:~@]*){0,4})*)?")
PERF_ITEM = re.compile(
    r"'(?:[^'=]|'')+'=-?[0-9]+(\.[0-9]+)?(s|ms|us|%|B|KB|MB|TB|c)?"
    r"(;(@?(~|-?[0-9.]+)?:?(-?[0-9.]+)?)?){0,4}")


def check_nagios(stdout):
    """The output checked against the plugin guidelines' grammar; the
    first line's status word."""
    assert stdout.endswith('\n') and stdout.strip()
    lines = stdout.splitlines()
    assert NAGIOS_FIRST.fullmatch(lines[0]), lines[0]
    if ' | ' in lines[0]:
        items = lines[0].split(' | ', 1)[1]
        assert re.fullmatch(f'{PERF_ITEM.pattern}( {PERF_ITEM.pattern})*',
                            items), items
    # Later lines: text, then (after a '|') one perfdata item a line.
    perf = False
    for line in lines[1:]:
        if perf:
            assert PERF_ITEM.fullmatch(line), line
        elif ' | ' in line:
            perf = True
            assert PERF_ITEM.fullmatch(line.split(' | ', 1)[1])
    # The C locale: no decimal comma, no thousands separator.
    assert not re.search(r"=\d+,\d", stdout)
    return lines[0].split()[1]


def test_healthy_server_in_every_format(conf, zeo_server):
    path = conf(f'    server {zeo_server.config_address}')
    text = zeoconf(path)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[-1] == '1 of 1 storage usable'
    nagios = zeoconf('--format', 'nagios', path)
    assert nagios.returncode == 0, nagios.stdout
    assert check_nagios(nagios.stdout) == 'OK'
    assert (f"'<zodb db0> {zeo_server.config_address} time'="
            in nagios.stdout)
    assert (f"'<zodb db0> {zeo_server.config_address} commits'=0c;;;0"
            in nagios.stdout)
    for args in (['--json'], ['--format', 'json']):
        data = json.loads(zeoconf(*args, path).stdout)
        [server] = data['storages'][0]['servers']
        assert server['usable'] is True and server['stats']['commits'] == 0
        assert data['light'] is False


def test_one_server_down_of_two_is_a_nagios_warning(conf, zeo_server):
    down = dead_port()
    path = conf(f'    server {zeo_server.config_address}\n'
                f'    server 127.0.0.1:{down}')
    text = zeoconf(path)
    assert text.returncode == 0     # the storage is usable
    nagios = zeoconf('--format', 'nagios', path)
    assert nagios.returncode == 1
    assert check_nagios(nagios.stdout) == 'WARNING'
    assert f'<zodb db0> 127.0.0.1:{down} refused' in \
        nagios.stdout.splitlines()[0]


def test_a_storage_without_server_is_critical(conf, zeo_server, silent):
    path = conf(f'    server {zeo_server.config_address}',
                f'    server 127.0.0.1:{dead_port()}\n'
                f'    server 127.0.0.1:{silent()}')
    result = zeoconf('--format', 'nagios', '--timeout', '1', path)
    assert result.returncode == 2
    assert check_nagios(result.stdout) == 'CRITICAL'
    assert '<zodb db1>: no usable server' in result.stdout
    assert zeoconf('--timeout', '1', path).returncode == 1


def test_read_only_fallback_is_a_nagios_warning(conf, make_server):
    server = make_server(read_only=True)
    path = conf(f'    server {server.config_address}\n'
                '    read-only-fallback true',
                f'    server {server.config_address}\n    read-only true')
    result = zeoconf('--format', 'nagios', path)
    assert result.returncode == 1
    assert check_nagios(result.stdout) == 'WARNING'
    summary = result.stdout.split(' | ')[0]
    assert summary == ('ZEO WARNING - 2 of 2 storages usable; <zodb db0> '
                       f'{server.config_address} read-only fallback')
    assert zeoconf(path).returncode == 0


def test_latency_thresholds(conf, zeo_server):
    path = conf(f'    server {zeo_server.config_address}')
    # Every probe takes more than a microsecond and less than an hour.
    warning = zeoconf('--format', 'nagios', '--warning', '0.000001', path)
    assert warning.returncode == 1
    assert check_nagios(warning.stdout) == 'WARNING'
    assert '(WARNING 0.000001)' in warning.stdout
    assert re.search(r"time'=[0-9.]+s;0\.000001;;0$", warning.stdout, re.M)
    critical = zeoconf('--format', 'nagios', '--warning', '3600',
                       '--critical', '@0:3600', path)
    assert critical.returncode == 2
    assert check_nagios(critical.stdout) == 'CRITICAL'
    assert re.search(r"time'=[0-9.]+s;3600;@0:3600;0", critical.stdout)
    fine = zeoconf('--format', 'nagios', '--warning', '~:3600',
                   '--critical', '3600', path)
    assert fine.returncode == 0 and check_nagios(fine.stdout) == 'OK'


@pytest.mark.parametrize('args', [
    ['--format', 'nagios', '--warning', 'x'],
    ['--format=nagios', '--critical', '10:5'],
    ['--form', 'nagios', '--bogus'],
    ['--format', 'nagios'],     # no FILE
])
def test_a_wrong_command_line_is_unknown_for_nagios(args):
    result = zeoconf(*args)
    assert result.returncode == 3
    assert check_nagios(result.stdout) == 'UNKNOWN'
    assert 'usage:' in result.stderr


def test_a_wrong_command_line_is_2_otherwise():
    for args in (['--warning', 'x', 'f'], ['--json', '--bogus', 'f'], []):
        result = zeoconf(*args)
        assert result.returncode == 2
        assert result.stdout == ''


def test_an_unreadable_file_is_2_or_unknown(tmp_path):
    bad = tmp_path / 'bad.conf'
    bad.write_text('%import zeoconf\n<zodb>\n  <clientstorage>\n'
                   '    server zeo:8100\n    wait-timeout 0\n'
                   '  </clientstorage>\n</zodb>\n')
    for path in (str(bad), str(tmp_path / 'missing.conf')):
        text = zeoconf(path)
        assert (text.returncode, text.stdout) == (2, '')
        assert text.stderr.startswith(path)
        data = json.loads(zeoconf('--json', path).stdout)
        assert set(data) == {'format', 'file', 'error'}
        assert data['error'] == text.stderr.strip()
        nagios = zeoconf('--format', 'nagios', path)
        assert nagios.returncode == 3
        assert check_nagios(nagios.stdout) == 'UNKNOWN'
        prometheus = zeoconf('--format', 'prometheus', path)
        assert (prometheus.returncode, prometheus.stdout) == (2, '')
    assert 'wait-timeout' in json.loads(
        zeoconf('--json', str(bad)).stdout)['error']


def test_json_with_standard_error_closed(conf, zeo_server, tmp_path):
    good = conf(f'    server {zeo_server.config_address}')
    for path, code in ((good, 0), (str(tmp_path / 'missing.conf'), 2)):
        result = subprocess.run(
            ['sh', '-c', 'exec "$@" 2>&-', 'sh', sys.executable, '-m',
             'zeoconf', 'ping', '--json', path],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == code
        data = json.loads(result.stdout)
        assert ('error' in data) == (code == 2)


def test_quiet_says_nothing_unless_something_fails(conf, zeo_server):
    good = conf(f'    server {zeo_server.config_address}\n'
                '    username old', name='good.conf')
    result = zeoconf('--quiet', good)
    assert result.returncode == 0 and result.stderr == ''
    assert zeoconf(good).stderr != ''   # progress and the warning
    down = dead_port()
    bad = conf(f'    server 127.0.0.1:{down}', name='bad.conf')
    result = zeoconf('--quiet', bad)
    assert result.returncode == 1
    assert result.stderr == (f'ping: <zodb db0> 127.0.0.1:{down}: refused: '
                             'connection refused: nothing listens there\n')


# Prometheus.

def families(text):
    found = {f.name: f for f in text_string_to_metric_families(text)}
    for family in found.values():
        assert family.documentation
        for sample in family.samples:
            assert set(sample.labels) == {'storage', 'server'}
    return found


def sample(found, name, server):
    [value] = [s.value for f in found.values() for s in f.samples
               if s.name == name and s.labels['server'] == server]
    return value


@pytest.mark.parametrize('light', [False, True], ids=['full', 'light'])
def test_prometheus_counters_after_real_commits(conf, zeo_server, light):
    address = zeo_server.config_address
    path = conf(f'    server {address}',
                f'    server 127.0.0.1:{dead_port()}')
    light_args = ['--light'] if light else []
    before = families(zeoconf('--format', 'prometheus', *light_args,
                              path).stdout)
    assert sample(before, 'zeo_commits_total', address) == 0
    assert 'zeo_last_transaction_timestamp_seconds' not in {
        s.name for f in before.values() for s in f.samples}
    db = ZODB.DB(ClientStorage(zeo_server.address, wait_timeout=10))
    try:
        connection = db.open()
        for number in range(3):
            connection.root()[f'key{number}'] = number
            transaction.commit()
        connection.close()
        result = zeoconf('--format', 'prometheus', *light_args, path)
    finally:
        db.close()
    assert result.returncode == 1       # the second storage
    text = result.stdout
    assert text.endswith('\n')
    after = families(text)
    # The root object's creation is a commit of its own.
    assert sample(after, 'zeo_commits_total', address) == 4
    assert sample(after, 'zeo_stores_total', address) >= 4
    assert after['zeo_commits'].type == 'counter'
    assert after['zeo_connections'].type == 'gauge'
    assert sample(after, 'zeo_up', address) == 1
    assert sample(after, 'zeo_active_transactions', address) == 0
    assert sample(after, 'zeo_waiting_transactions', address) == 0
    assert sample(after, 'zeo_commit_lock_held_seconds', address) == 0
    assert abs(sample(after, 'zeo_last_transaction_timestamp_seconds',
                      address) - time.time()) < 600
    assert 0 < sample(after, 'zeo_probe_duration_seconds', address) < 60
    down = [s for s in after['zeo_up'].samples if s.value == 0]
    assert [s.labels['storage'] for s in down] == ['<zodb db1>']
    read_only = {s.labels['server'] for s in after['zeo_read_only'].samples}
    # Light probes cannot tell read-only from writable.
    assert read_only == (set() if light else {address})


def test_prometheus_output_file_is_written_atomically(conf, zeo_server,
                                                     tmp_path):
    path = conf(f'    server {zeo_server.config_address}')
    textfiles = tmp_path / 'textfile'
    textfiles.mkdir()
    target = textfiles / 'zeo.prom'
    target.write_text('old\n')
    result = zeoconf('--format', 'prometheus', '--output', str(target),
                     path)
    assert result.returncode == 0 and result.stdout == ''
    assert os.listdir(textfiles) == ['zeo.prom']
    assert families(target.read_text())['zeo_up'].samples[0].value == 1
    # Other formats too.
    target = textfiles / 'zeo.json'
    assert zeoconf('--json', '--output', str(target), path).returncode == 0
    assert json.loads(target.read_text())['storages'][0]['usable']
    assert sorted(os.listdir(textfiles)) == ['zeo.json', 'zeo.prom']
    # A directory that does not exist: the probe's own failure.
    missing = str(tmp_path / 'none' / 'zeo.prom')
    for fmt, code in (('prometheus', 2), ('json', 2), ('nagios', 3)):
        result = zeoconf('--format', fmt, '--output', missing, path)
        assert result.returncode == code
        assert f'cannot write {missing}' in result.stderr
    assert sorted(os.listdir(textfiles)) == ['zeo.json', 'zeo.prom']


def test_without_prometheus_client_the_error_says_how_to_install(conf):
    path = conf(f'    server 127.0.0.1:{dead_port()}')
    code = ('import sys; sys.modules["prometheus_client"] = None; '
            'from zeoconf.cli import main; '
            f'sys.exit(main(["ping", "--format", "prometheus", {path!r}]))')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ''
    assert "pip install 'zeoconf[prometheus]'" in result.stderr


# --light

def test_light_probe_over_tls_with_client_certificate(conf, tls_server,
                                                      certs):
    path = conf(f'    server localhost:{tls_server.port}\n'
                + tls_lines(certs))
    result = zeoconf('--light', '--json', path)
    assert result.returncode == 0, result.stdout + result.stderr
    [server] = json.loads(result.stdout)['storages'][0]['servers']
    assert server['status'] == 'ok' and server['mode'] is None
    assert server['stats']['connections'] == 0


def test_light_probe_failures(conf, tls_server, zeo_server, certs, silent):
    path = conf(
        f'    server localhost:{tls_server.port}\n' + tls_lines(
            certs, ca=certs.other_ca),
        # A plain client against a TLS server: it waits for a handshake.
        f'    server localhost:{tls_server.port}',
        # TLS against a plain server.
        f'    server localhost:{zeo_server.port}\n' + tls_lines(certs),
        f'    server {zeo_server.config_address}\n    storage nope',
        f'    server 127.0.0.1:{silent()}',
        f'    server 127.0.0.1:{dead_port()}')
    result = zeoconf('--light', '--json', '--timeout', '2', path,
                     timeout=30)
    assert result.returncode == 1
    statuses = [(s['servers'][0]['status'], s['servers'][0]['detail'])
                for s in json.loads(result.stdout)['storages']]
    assert statuses[0][0] == 'tls-failed'
    assert 'self-signed certificate' in statuses[0][1]
    assert statuses[1][0] == 'timeout' and 'add <ssl>?' in statuses[1][1]
    assert statuses[2][0] == 'tls-failed'
    assert 'does not speak TLS' in statuses[2][1]
    assert statuses[3] == ('no-storage', "the server has no storage 'nope':"
                           " is the storage name right?")
    assert statuses[4][0] == 'timeout'
    assert statuses[5][0] == 'refused'


def test_light_probe_imports_neither_zeo_client_nor_inspect(conf, tls_server,
                                                            certs):
    # inspect (which dataclasses imports) was a tenth of a light probe's
    # instructions (benchmarks/bench_ping.py).
    path = conf(f'    server localhost:{tls_server.port}\n'
                + tls_lines(certs))
    code = (
        'import io, sys\nfrom zeoconf.cli import main\n'
        f'status = main(["ping", "--light", "--quiet", {path!r}], '
        'out=io.StringIO())\n'
        'print(status, sorted(m for m in sys.modules if m in ("asyncio", '
        '"inspect", "dataclasses") or m.startswith(("ZEO.ClientStorage", '
        '"ZEO.asyncio", "asyncio."))))')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout == '0 []\n', result.stderr
    # The check can fail: a full probe imports them.
    full = subprocess.run(
        [sys.executable, '-c', code.replace('"--light", ', '')],
        capture_output=True, text=True, timeout=60)
    assert 'ZEO.ClientStorage' in full.stdout
    assert full.stdout.startswith('0 ')


@pytest.fixture
def server_log(zeo_server):
    """What *zeo_server* logs at INFO and above: the records of its own
    thread (other servers and clients of this process log too)."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            if record.thread == zeo_server.thread.ident:
                records.append(record.getMessage())

    handler = Keep(logging.INFO)
    logger = logging.getLogger('ZEO')
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def _settled(server_log):
    """Wait until the server, which logs from its own thread, has logged
    nothing new for a while."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        count = len(server_log)
        time.sleep(0.5)
        if len(server_log) == count:
            return


def test_server_log_lines_of_a_light_and_a_full_probe(conf, zeo_server,
                                                      server_log):
    path = conf(f'    server {zeo_server.config_address}')
    _settled(server_log)
    del server_log[:]
    assert zeoconf('--light', path).returncode == 0
    _settled(server_log)
    # One line on ZEO 6 (the connection); ZEO 5.2 also logs the end of a
    # connection that never registered a storage.
    light = list(server_log)
    assert 1 <= len(light) <= 2, light
    del server_log[:]
    assert zeoconf(path).returncode == 0
    _settled(server_log)
    assert len(server_log) > len(light), (light, server_log)
    # The session identifies itself with its client label.
    assert any('zeoconf ping' in line for line in server_log), server_log


def test_pinging_again_in_one_process_adds_no_log_handler(conf, run_cli):
    path = conf(f'    server 127.0.0.1:{dead_port()}')
    zeo_log = logging.getLogger('ZEO')
    counts = []
    for _ in range(3):
        assert run_cli('ping', '--quiet', path).status == 1
        counts.append(len(zeo_log.handlers))
    assert counts[0] == counts[1] == counts[2], counts


def test_full_probe_finds_a_wrong_storage_name_before_any_session(
        conf, zeo_server, server_log):
    path = conf(f'    server {zeo_server.config_address}\n    storage nope')
    _settled(server_log)
    del server_log[:]
    result = zeoconf('--json', path)
    assert result.returncode == 1
    [server] = json.loads(result.stdout)['storages'][0]['servers']
    assert (server['status'], server['mode']) == ('no-storage', None)
    assert server['detail'] == ("the server has no storage 'nope': is the "
                                'storage name right?')
    _settled(server_log)
    # The status request's connection only: no session was opened.
    assert server_log and not any('zeoconf ping' in line
                                  for line in server_log), server_log


# --wait

def test_wait_until_the_server_is_up(conf, tmp_path):
    port = dead_port()
    path = conf(f'    server 127.0.0.1:{port}')
    server = ThrowawayServer(directory=str(tmp_path / 'late'),
                             address=('127.0.0.1', port))
    starter = threading.Timer(2, server.start)
    starter.start()
    try:
        result = zeoconf('--wait', '--timeout', '30', path, timeout=60)
    finally:
        starter.join()
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'usable; waiting' in result.stderr
    assert result.stdout.splitlines()[-1] == '1 of 1 storage usable'


def test_wait_gives_up_at_the_timeout(conf):
    path = conf(f'    server 127.0.0.1:{dead_port()}')
    start = time.monotonic()
    result = zeoconf('--wait', '--quiet', '--timeout', '2', path,
                     timeout=60)
    assert result.returncode == 1
    assert time.monotonic() - start < 2 + 15     # generous: start-up, CI
    assert len(result.stderr.splitlines()) == 1
    assert ': refused: ' in result.stderr


# The deadline at scale.

class _Opener:
    """An opener stand-in that counts its kwargs() calls (the servers it
    points at are real)."""

    def __init__(self, ports):
        self.calls = 0
        self.ports = ports

    def kwargs(self):
        self.calls += 1
        return {'addr': [('127.0.0.1', p) for p in self.ports],
                'ssl': None, 'ssl_server_hostname': None, 'storage': '1',
                'read_only': False, 'read_only_fallback': False}


def test_threads_are_bounded_and_nothing_runs_past_the_deadline(
        monkeypatch, silent, zeo_server):
    monkeypatch.setattr(ping, 'MAX_THREADS', 4)
    monkeypatch.setattr(ping, 'GRACE', 0.5)
    opener = _Opener([silent() for _ in range(10)] + [zeo_server.port])
    before = threading.active_count()
    peak = []

    def watch():
        while not done.is_set():
            peak.append(threading.active_count())
            time.sleep(0.02)

    done = threading.Event()
    watcher = threading.Thread(target=watch)
    watcher.start()
    start = time.monotonic()
    try:
        [storage] = ping.ping_storages([('s', opener)], 1, light=True)
    finally:
        done.set()
        watcher.join()
    assert time.monotonic() - start < 1 + 0.5 + 5
    assert opener.calls == 1
    # The watcher itself, the 4 probes.
    assert max(peak) <= before + 1 + 4
    details = [s['detail'] for s in storage['servers']]
    assert sum('sent no greeting' in d for d in details) == 4
    assert sum('not probed within 1s: more than 4 servers' in d
               for d in details) == 7
    assert storage['usable'] is False


def test_fifty_servers_end_by_the_timeout(conf, make_server, silent):
    servers = [make_server() for _ in range(3)]
    bodies = []
    for number in range(50):
        kind = number % 3
        if kind == 0:
            address = servers[number % 9 // 3].config_address
        elif kind == 1:
            address = f'127.0.0.1:{dead_port()}'
        else:
            address = f'127.0.0.1:{silent()}'
        bodies.append(f'    server {address}')
    path = conf(*bodies)
    start = time.monotonic()
    result = zeoconf('--json', '--quiet', '--timeout', '2', path,
                     timeout=60)
    elapsed = time.monotonic() - start
    assert result.returncode == 1
    storages = json.loads(result.stdout)['storages']
    assert [s['usable'] for s in storages] == [
        n % 3 == 0 for n in range(50)]
    # --timeout, a second of grace, and start-up on a loaded machine.
    assert elapsed < 2 + 1 + 10, elapsed


def test_numbers_keep_the_c_locale():
    assert ping._plain_number(0.1234567) == '0.123457'
    assert ping._plain_number(1e-7) == '0'
    assert ping._plain_number(12345678.5) == '12345678.5'
    assert ping._plain_number(3) == '3'
    assert math.isinf(Range('10:').end)


# docs/monitoring.md: every recipe's command, run.

MONITORING = os.path.join(os.path.dirname(__file__), '..', 'docs',
                          'monitoring.md')
TEXTFILES = '/var/lib/node_exporter/textfile_collector'


def recipe_commands():
    """``(kind, command)`` of each recipe in docs/monitoring.md: 'argv'
    for an exec form (a JSON list), 'sh' for a shell command line; the
    Nagios command's $ARG1$ is the service's argument."""
    with open(MONITORING) as f:
        text = f.read()
    commands = []
    for block in re.findall(r'```[a-z]*\n(.*?)```', text, re.S):
        argument = re.search(r'check_zeo!(\S+)', block)
        for line in block.splitlines():
            array = re.search(r'\["zeoconf", "ping".*?\]', line)
            start = re.search(r'(/usr/local/bin/)?zeoconf ping ', line)
            if array:
                commands.append(('argv', json.loads(array.group())))
            elif start and re.search(r'/etc/zodb\.conf|\$ARG1\$', line):
                command = line[start.start():]
                if argument:
                    command = command.replace('$ARG1$', argument.group(1))
                commands.append(('sh', command))
    return commands


def run_recipe(kind, command, path, textfiles):
    def local(text):
        return (text.replace('/usr/local/bin/zeoconf', 'zeoconf')
                .replace('/etc/zodb.conf', path)
                .replace(TEXTFILES, textfiles))
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ['PATH'])
    if kind == 'argv':
        argv = [local(arg) for arg in command]
    else:
        argv = ['sh', '-c', local(command)]
    return subprocess.run(argv, capture_output=True, text=True, env=env,
                          timeout=180)


def test_every_recipe_of_the_monitoring_page_runs(conf, zeo_server,
                                                  tmp_path):
    commands = recipe_commands()
    # Nagios, cron, systemd, Docker, Kubernetes readiness, compose, init
    # container: a recipe that drops out of the extraction fails here.
    assert len(commands) == 7, commands
    textfiles = tmp_path / 'textfile_collector'
    textfiles.mkdir()
    healthy = conf(f'    server {zeo_server.config_address}',
                   name='healthy.conf')
    down = conf(f'    server {zeo_server.config_address}',
                f'    server 127.0.0.1:{dead_port()}', name='down.conf')
    unreadable = str(tmp_path / 'missing.conf')
    for kind, command in commands:
        result = run_recipe(kind, command, healthy, str(textfiles))
        assert result.returncode == 0, (command, result.stdout,
                                        result.stderr)
        assert result.stderr == ''      # all are --quiet, or nagios
        if 'nagios' in command:
            assert check_nagios(result.stdout) == 'OK'
        if '--output' in command:
            found = families((textfiles / 'zeo.prom').read_text())
            assert found['zeo_up'].samples[0].value == 1
            assert os.listdir(textfiles) == ['zeo.prom']
        if '--wait' in command:
            continue    # down, it would wait for its --timeout
        result = run_recipe(kind, command, down, str(textfiles))
        expected = 2 if 'nagios' in command else 1
        assert result.returncode == expected, command
        if '--output' in command:
            found = families((textfiles / 'zeo.prom').read_text())
            assert {s.labels['storage']: s.value
                    for s in found['zeo_up'].samples} == {
                        '<zodb db0>': 1, '<zodb db1>': 0}
        if 'CMD' in command or '|| exit 1' in command:
            # Docker's: exit 2 (unreadable) mapped to 1.
            result = run_recipe(kind, command, unreadable, str(textfiles))
            assert result.returncode == 1
