"""``zeoconf ping``: reach every configured server, say how it went.

Every server of every storage is probed at once, by a bounded pool of
threads, and the run ends by one deadline whatever the servers do. A probe
first opens a raw connection with the storage's own TLS, which names the
reason when it fails and times the server's greeting, and sends ZEO's
status request on it: the answer says whether the server has the storage.
That is all ``--light`` does (ZEO's client is not imported); a full probe
then opens a ZEO session with only that server: it tells read-only from
writable and times one call, ``server_status()``.

The report is a table, JSON, a Nagios plugin's output or Prometheus's text
exposition format.
"""

import argparse
import json
import logging
import math
import queue
import re
import socket
import ssl
import sys
import threading
import time

from persistent.TimeStamp import TimeStamp

from zeoconf.cli import common, files
from zeoconf.cli.scanner import Scans
from zeoconf.cli.storages import find
from zeoconf.datatypes import format_address

# Time the threads get past the deadline to hand in what they found
# before they are given up on (they are daemon threads).
GRACE = 1.0

# At most this many probes run at once. A probe that waits for a silent
# server holds its thread until the deadline; servers beyond this many
# slow ones are reported as not probed.
MAX_THREADS = 128

# Seconds between two rounds of --wait.
WAIT_PAUSE = 0.5

_ZEO_QUIET = logging.NullHandler()

# What a ping reports of a server besides its status: zeoconf's name
# (Prometheus's family is zeo_NAME), its key in ZEO's status of a storage
# (None: the probe's own), its unit in Nagios's performance data ('c' a
# counter; None: left out there) and the help of its Prometheus family.
_METRICS = (
    ('up', None, None,
     'Whether the server is usable for the storage (1) or not (0).'),
    ('read_only', None, None,
     'Whether the server serves the storage read-only (full probes only).'),
    ('probe_duration_seconds', None, None,
     'Seconds the probe of the server took.'),
    ('connections', 'connections', '',
     'Clients connected to the storage on the server.'),
    ('active_transactions', 'active_txns', '',
     'Transactions in progress on the storage.'),
    ('waiting_transactions', 'waiting', '',
     'Transactions waiting for the commit lock.'),
    ('commit_lock_held_seconds', 'lock_time', 's',
     'Seconds the commit lock has been held, 0 when free.'),
    ('last_transaction_timestamp_seconds', 'last-transaction', None,
     'Time of the last committed transaction (none for an empty storage).'),
    ('commits', 'commits', 'c',
     'Transactions committed since the server started.'),
    ('aborts', 'aborts', 'c',
     'Transactions aborted since the server started.'),
    ('loads', 'loads', 'c', 'Object loads since the server started.'),
    ('stores', 'stores', 'c', 'Object stores since the server started.'),
    ('conflicts', 'conflicts', 'c', 'Conflicts since the server started.'),
)


def _left(deadline):
    """Seconds to *deadline*, as a socket's timeout (never zero)."""
    return max(0.05, deadline - time.monotonic())


def _ms(seconds):
    return round(seconds * 1000, 3)


# Probing.

class _Failed(Exception):
    """A probe's failure: its ``status`` and ``detail``."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _read_frame(sock, limit):
    """``(payload, data)``: the payload of the next ZEO frame (after its
    4-byte big-endian length) and all bytes read; no payload when the
    server closes first or announces more than *limit* bytes."""
    data = b''
    while True:
        if len(data) >= 4:
            size = int.from_bytes(data[:4], 'big')
            if size > limit:
                return None, data
            if len(data) >= 4 + size:
                return data[4:4 + size], data
        # Over TLS one recv() returns one record: a frame may take two.
        chunk = sock.recv(65536)
        if not chunk:
            return None, data
        data += chunk


def _raw_probe(result, kwargs, addr, timeout, deadline):
    """The raw connection to *addr*: TLS, the server's greeting, then
    ZEO's status request: ``(answer, ms)``, the answer (a dict by storage
    name) and the milliseconds it took. Each step has the time left as its
    socket's timeout."""
    tls = kwargs['ssl'] is not None
    start = time.monotonic()
    step, sock, payload = 'connect', None, None
    try:
        if isinstance(addr, tuple):
            sock = socket.create_connection(addr, _left(deadline))
        else:
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(_left(deadline))
            sock.connect(addr)
        if tls:
            step = 'handshake'
            hostname = kwargs['ssl_server_hostname']
            if hostname is None and isinstance(addr, tuple):
                hostname = addr[0]      # each server's own, as ZEO does
            sock.settimeout(_left(deadline))
            sock = kwargs['ssl'].wrap_socket(sock, server_hostname=hostname)
        step = 'greeting'
        sock.settimeout(_left(deadline))
        payload, data = _read_frame(sock, 16)
        if not data:
            hint = 'does it need a client certificate' if tls else \
                'does it expect TLS'
            raise _Failed('closed', 'the server closed the connection at '
                          f'once ({hint}?)')
        if not re.fullmatch(rb'[ZM][0-9]+', payload or b''):
            raise _Failed('not-zeo', 'something answers there, but not a '
                          f'ZEO server (it sent {data[:16]!r})')
        greeted = time.monotonic()
        result.update(status='ok', connect_ms=_ms(greeted - start))
        step = 'status request'
        sock.settimeout(_left(deadline))
        sock.sendall(b'\x00\x00\x00\x04ruok')
        # A few hundred bytes per storage.
        payload, _ = _read_frame(sock, 1 << 20)
        answered = _ms(time.monotonic() - greeted)
    except OSError as e:
        raise _diagnosis(e, step, timeout, tls)
    finally:
        if sock is not None:
            sock.close()
    if payload is None:
        raise _Failed('closed', 'the server closed the connection without '
                      'answering the status request')
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise _Failed('error', 'the status answer is not a JSON object')
    return answer, answered


# What each step of the raw connection waits for, for a time-out's message.
_AWAITED = {
    'connect': 'no connection',
    'handshake': 'connected, but no TLS handshake',
    'greeting': 'connected, but the server sent no greeting',
    'status request': 'the server did not answer the status request',
}


def _diagnosis(error, step, timeout, tls):
    """The failure of a probe that got *error* at *step*."""
    why = error.strerror or str(error)
    if isinstance(error, socket.timeout):
        hint = ' (a TLS server waits for the client: add <ssl>?)' if (
            step == 'greeting' and not tls) else ''
        return _Failed('timeout', f'{_AWAITED[step]} within {timeout:g}s'
                       f'{hint}')
    if isinstance(error, ConnectionRefusedError):
        return _Failed('refused', 'connection refused: nothing listens '
                       'there')
    if isinstance(error, FileNotFoundError):
        return _Failed('refused', 'no such socket file: is the server '
                       'running?')
    if isinstance(error, socket.gaierror):
        return _Failed('error', f'cannot resolve the host name: {why}')
    if isinstance(error, ssl.SSLCertVerificationError):
        return _Failed('tls-failed', 'certificate verification failed: '
                       f'{error.verify_message}')
    if isinstance(error, ssl.SSLError) and step != 'status request':
        reason = error.reason or str(error)
        if step == 'greeting':
            return _Failed('tls-failed', f'the server ended TLS: {reason} '
                           '(does it need a client certificate?)')
        if reason == 'WRONG_VERSION_NUMBER':
            # What a TLS client reads when a plain ZEO server greets it
            # in clear text.
            return _Failed('tls-failed', 'the server does not speak TLS '
                           f'({reason}): remove <ssl>, or is this the '
                           'right port?')
        return _Failed('tls-failed', f'TLS failed: {reason}')
    if step in ('handshake', 'status request'):
        during = 'during the TLS handshake' if step == 'handshake' else \
            'on the status request'
        return _Failed('closed', f'the server closed the connection {during}'
                       f' ({why})')
    return _Failed('error', why)


def _number(value):
    """*value* if it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def server_stats(status):
    """The statistics of :data:`_METRICS` in a storage's status dict (of
    ``server_status()`` or ZEO's status request); None where the server
    gave nothing usable."""
    if not isinstance(status, dict):
        return None
    stats = {name: _number(status.get(key))
             for name, key, _, _ in _METRICS if key}
    if 'lock_time' in status:
        # When the commit lock was taken; None when it is free.
        taken = stats['commit_lock_held_seconds']
        stats['commit_lock_held_seconds'] = (
            0.0 if taken is None else max(0.0, time.time() - taken))
    # A TID in hex; zero for an empty storage.
    tid = status.get('last-transaction')
    valid = (isinstance(tid, str) and re.fullmatch('[0-9a-fA-F]{16}', tid)
             and int(tid, 16))
    stats['last_transaction_timestamp_seconds'] = (
        TimeStamp(bytes.fromhex(tid)).timeTime() if valid else None)
    return stats


def _result(addr, status=None, detail=None):
    return {'server': format_address(addr), 'status': status, 'mode': None,
            'connect_ms': None, 'latency_ms': None, 'duration_ms': None,
            'detail': detail, 'usable': False, 'fallback': False,
            'stats': None}


def probe_server(kwargs, addr, timeout, deadline, light=False):
    """Probe one server of one storage by *deadline*, a
    ``time.monotonic()`` value; return a JSON-able dict. *kwargs* are the
    storage's ``opener.kwargs()``, left as they are."""
    start = time.monotonic()
    result = _result(addr)
    name = kwargs['storage']
    try:
        answer, answered = _raw_probe(result, kwargs, addr, timeout,
                                      deadline)
        if name not in answer:
            raise _Failed('no-storage', f'the server has no storage '
                          f'{name!r}: is the storage name right?')
        if light:
            result.update(latency_ms=answered, usable=True,
                          stats=server_stats(answer[name]))
        else:
            _session(result, kwargs, addr, timeout, deadline)
    except _Failed as e:
        result.update(status=e.status, detail=e.detail)
    result['duration_ms'] = _ms(time.monotonic() - start)
    return result


def _session(result, kwargs, addr, timeout, deadline):
    """A ZEO session with *addr* alone: read-only or writable, and the
    time of one call."""
    from ZEO.ClientStorage import ClientStorage
    # wait=False: the session is polled here, by the probe's deadline, not
    # by ZEO's own wait.
    session = dict(kwargs, addr=[addr], wait=False,
                   wait_timeout=_left(deadline), read_only=False,
                   read_only_fallback=True, cache=None, blob_dir=None,
                   shared_blob_dir=False, blob_cache_size=None,
                   client_label='zeoconf ping')
    storage = ClientStorage(**session)
    try:
        while not storage.is_connected():
            if time.monotonic() >= deadline:
                raise _Failed('timeout', 'the server greeted, but no ZEO '
                              f'session within {timeout:g}s')
            time.sleep(0.02)
        read_only = storage.isReadOnly()
        start = time.monotonic()
        failure, status = _round_trip(storage, _left(deadline))
        if failure is not None:
            raise _Failed('timeout', 'the server did not answer a call: '
                          f'{failure}')
        result['latency_ms'] = _ms(time.monotonic() - start)
        result['stats'] = server_stats(status)
    finally:
        storage.close()
    result['mode'] = 'read-only' if read_only else 'writable'
    if read_only and not (kwargs['read_only']
                          or kwargs['read_only_fallback']):
        raise _Failed('read-only', 'the server is read-only; this storage '
                      'needs read-write (or set read-only-fallback)')
    # Usable only through read-only-fallback.
    result.update(usable=True, fallback=read_only and not kwargs['read_only'])


def _round_trip(storage, timeout):
    """``(failure, status)`` of ClientStorage's public ``server_status()``:
    *failure* is None when it was answered within *timeout* seconds, else
    why not. The call waits as long as ZEO lets it, so it runs in a daemon
    thread: a server that stops answering cannot hold the probe."""
    answers = queue.SimpleQueue()

    def call():
        try:
            answers.put((None, storage.server_status()))
        except Exception as e:
            answers.put((f'{type(e).__name__} {e}'.strip(), None))

    threading.Thread(target=call, name='zeoconf ping call',
                     daemon=True).start()
    try:
        return answers.get(timeout=timeout)
    except queue.Empty:
        return f'no answer within {round(timeout, 2):g}s', None


def ping_storages(storages, timeout, progress=None, light=False,
                  deadline=None):
    """Probe every server of every storage, all at once.

    *storages* is ``[(label, ClientStorageOpener)]``. Returns
    ``[{'label', 'usable', 'servers': [probe_server results]}]`` in
    configuration order, by *deadline* (default: *timeout* seconds from
    now) plus :data:`GRACE` whatever the servers do; calls *progress* with
    a line per finished probe. At most :data:`MAX_THREADS` probes run at
    once; nothing is started or collected after the deadline.
    """
    if deadline is None:
        deadline = time.monotonic() + timeout
    results, jobs = [], []      # a job: (its storage's result, kwargs, addr)
    for label, opener in storages:
        results.append({'label': label, 'usable': False, 'servers': []})
        kwargs = opener.kwargs()    # once: it holds every address
        jobs += [(results[-1], kwargs, addr) for addr in kwargs['addr']]
    if not jobs:
        return results
    if not light:
        # Imported once here, not inside the first probes' time.
        import ZEO.ClientStorage  # noqa: F401
    pending = queue.SimpleQueue()
    for number in range(len(jobs)):
        pending.put(number)
    finished = queue.SimpleQueue()
    started = set()

    def work():
        while time.monotonic() < deadline:
            try:
                number = pending.get_nowait()
            except queue.Empty:
                return
            started.add(number)
            _, kwargs, addr = jobs[number]
            try:
                result = probe_server(kwargs, addr, timeout, deadline,
                                      light)
            except Exception as e:
                # A probe must report, whatever ZEO raised.
                result = _result(addr, 'error', f'{type(e).__name__}: {e}')
            finished.put((number, result))

    if progress is not None:
        progress(f'ping: {common.counted(len(jobs), "server")} of '
                 f'{common.counted(len(storages), "storage")}, '
                 f'{timeout:g}s at most')
    for number in range(min(len(jobs), MAX_THREADS)):
        # Daemon threads: one that a server holds past the deadline is
        # given up on, not waited for.
        threading.Thread(target=work, name=f'zeoconf ping {number}',
                         daemon=True).start()
    done = {}
    while len(done) < len(jobs):
        now = time.monotonic()
        if now >= deadline + GRACE or (
                now >= deadline and len(done) >= len(started)):
            break       # what was started has reported, or is given up
        try:
            number, result = finished.get(timeout=_left(deadline))
        except queue.Empty:
            continue
        done[number] = result
        if progress is not None:
            progress(f'ping: {jobs[number][0]["label"]} {result["server"]}: '
                     f'{result["status"]}')
    for number, (storage, _, addr) in enumerate(jobs):
        if number in done:
            result = done[number]
        elif number in started:
            result = _result(addr, 'timeout',
                             f'no result within {timeout:g}s')
        else:
            result = _result(
                addr, 'timeout', f'not probed within {timeout:g}s: more '
                f'than {MAX_THREADS} servers at once were slow to answer')
        storage['servers'].append(result)
        storage['usable'] |= result['usable']
    return results


# Thresholds: the monitoring-plugins range syntax.

_NUMBER = r'-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)'
_RANGE = re.compile(rf'(@)?(?:(~|{_NUMBER})?:)?({_NUMBER})?')


class Range:
    """A threshold range of the monitoring-plugins guidelines.

    ``10`` alerts outside 0..10, ``10:`` below 10, ``~:10`` above 10,
    ``10:20`` outside 10..20 and ``@10:20`` inside it (ends included).
    ``text`` is the range as given.
    """

    def __init__(self, text):
        match = _RANGE.fullmatch(text)
        if not text or match is None or text == '@':
            raise ValueError(f'{text!r} is not a threshold range such as '
                             '10, 10:, ~:10, 10:20 or @10:20')
        inside, start, end = match.groups()
        self.text = text
        self.inside = inside is not None
        self.start = -math.inf if start == '~' else float(start or 0)
        self.end = float(end) if end else math.inf
        if self.start > self.end:
            raise ValueError(f'{text!r}: the range starts above its end')

    def alerts(self, value):
        """Whether *value* passes the threshold."""
        within = self.start <= value <= self.end
        return within if self.inside else not within


def _range(text):
    try:
        return Range(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


# Output formats.

def _not_probed(client):
    return f'{client.label}: not probed: {client.move}'


def _usable(results):
    usable = sum(1 for s in results if s['usable'])
    return f'{usable} of {common.counted(len(results), "storage")} usable'


def _table(results, others, file):
    """The text report."""
    if not results and others:
        return (f'{file}: no zeoconf clientstorage; '
                f'{common.counted(len(others), "ZEO client section")} not '
                f'probed\n')
    if not results:
        return f'{file}: no clientstorage\n'
    rows = [['STORAGE', 'SERVER', 'STATUS', 'MODE', 'LATENCY', 'DETAIL']]
    for storage in results:
        for server in storage['servers']:
            latency = server['latency_ms']
            rows.append([
                storage['label'], server['server'], server['status'],
                server['mode'] or '-',
                '-' if latency is None else f'{latency:.1f}ms',
                server['detail'] or ''])
    return '\n'.join(common.columns(rows)) + f'\n{_usable(results)}\n'


NAGIOS_STATES = ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')


def _plain_number(value):
    """*value* as the C locale writes it, without an exponent."""
    if isinstance(value, int):
        return str(value)
    return f'{value:.6f}'.rstrip('0').rstrip('.')


def _perf(label, value, unit='', warning=None, critical=None):
    """One performance data item, its label always quoted."""
    label = label.replace("'", "''")
    fields = [f'{_plain_number(value)}{unit}',
              warning.text if warning else '',
              critical.text if critical else '', '0']
    return f"'{label}'=" + ';'.join(fields)


def _nagios_text(text):
    """*text* without the character that starts performance data."""
    return text.replace('|', '/')


def nagios(results, others, warning=None, critical=None):
    """``(exit code, text)`` of a Nagios plugin for *results* (and the
    other components' clients, ``storages.Client``, *others*)."""
    alerts, details, times, counts = [], [], [], []   # alerts: (level, why)
    for storage in results:
        if not storage['usable']:
            alerts.append((2, f'{storage["label"]}: no usable server'))
        for server in storage['servers']:
            name = f'{storage["label"]} {server["server"]}'
            facts = [server['status'], server['mode']]
            if server['usable']:
                seconds = server['duration_ms'] / 1000
                took = f'{_plain_number(seconds)}s'
                facts.append(took)
                times.append(_perf(f'{name} time', seconds, 's', warning,
                                   critical))
                for level, threshold in ((2, critical), (1, warning)):
                    if threshold is not None and threshold.alerts(seconds):
                        alerts.append((level, f'{name} took {took} '
                                       f'({NAGIOS_STATES[level]} '
                                       f'{threshold.text})'))
                        break
            elif storage['usable']:
                alerts.append((1, f'{name} {server["status"]}'))
            if server['fallback']:
                alerts.append((1, f'{name} read-only fallback'))
            details.append(f'{name}: ' + ', '.join(filter(None, facts))
                           + (f': {server["detail"]}' if server['detail']
                              else ''))
            stats = server['stats'] or {}
            counts += [_perf(f'{name} {key}', stats[key], unit)
                       for key, _, unit, _ in _METRICS
                       if unit is not None and stats.get(key) is not None]
    state = max((level for level, _ in alerts), default=0)
    if results:
        summary = _usable(results)
    elif others:
        state = 3
        summary = (f'{common.counted(len(others), "ZEO client section")} not '
                   "zeoconf's: nothing probed")
    else:
        summary = 'no clientstorage'
    problems = [problem for _, problem in alerts]
    if problems:
        summary += '; ' + '; '.join(problems[:3])
        if len(problems) > 3:
            summary += f'; {len(problems) - 3} more'
    first = f'ZEO {NAGIOS_STATES[state]} - {_nagios_text(summary)}'
    if times:
        first += ' | ' + ' '.join(times)
    lines = [first] + [_nagios_text(line) for line in details]
    lines += [_nagios_text(_not_probed(client)) for client in others]
    if counts:
        # Each server has a line of details: the last takes the first.
        lines[-1] += ' | ' + counts[0]
        lines += counts[1:]
    return state, '\n'.join(lines) + '\n'


def _metrics(server):
    """A server's result as the values of the families of
    :data:`_METRICS`."""
    values = dict(server['stats'] or {}, up=int(server['usable']))
    if server['mode'] is not None:
        values['read_only'] = int(server['mode'] == 'read-only')
    if server['duration_ms'] is not None:
        values['probe_duration_seconds'] = server['duration_ms'] / 1000
    return values


class _Collector:
    """The metric families of one ping's results, for a registry."""

    def __init__(self, results):
        self.results = results

    def collect(self):
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
        )
        samples = [([storage['label'], server['server']], _metrics(server))
                   for storage in self.results
                   for server in storage['servers']]
        for key, _, unit, text in _METRICS:
            kind = CounterMetricFamily if unit == 'c' else \
                GaugeMetricFamily
            family = kind(f'zeo_{key}', text, labels=['storage', 'server'])
            for labels, values in samples:
                if values.get(key) is not None:
                    family.add_metric(labels, values[key])
            yield family


def prometheus_registry(results):
    """A ``prometheus_client`` registry holding *results*' metrics."""
    from prometheus_client import CollectorRegistry
    registry = CollectorRegistry()
    registry.register(_Collector(results))
    return registry


# The command line.

NAME = 'ping'
HELP = 'connect to every configured server and report'
DESCRIPTION = (
    'Connect to every server of every clientstorage in FILE, all at once, '
    'with the configured TLS; report per server whether it is usable, '
    'read-only or writable, and the round trip of one ZEO call, as a '
    'table, JSON, a Nagios plugin or Prometheus metrics. Progress goes to '
    'standard error.')
EXIT_CODES = ('every storage has a usable server',
              'a storage none of whose servers is usable',
              'wrong command-line usage, or a configuration that cannot be '
              'read')
# Added to the exit codes of EXIT_CODES in --help.
NAGIOS_EPILOG = """\
exit codes with --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  OK        every storage has a usable server, every threshold holds
  WARNING   a server is not usable (another is), a read-only fallback is
            in use, or a probe took longer than --warning allows
  CRITICAL  a storage has no usable server, or a probe took longer than
            --critical allows
  UNKNOWN   the configuration cannot be read, or wrong command-line usage
See docs/monitoring.md for Nagios, Prometheus, Docker and Kubernetes.
"""


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a number of seconds above zero')
    return value


def _add_format_arguments(parser):
    parser.add_argument('--format', default='text', metavar='FORMAT',
                        choices=('text', 'json', 'nagios', 'prometheus'),
                        help='text (default), json, nagios (a plugin\'s '
                        'output and exit code) or prometheus (the text '
                        'exposition format; needs zeoconf[prometheus])')
    parser.add_argument('--json', dest='format', action='store_const',
                        const='json', help='short for --format json (see '
                        'docs/cli.md for its shape)')


def add_arguments(parser):
    """Add ping's arguments to its subparser *parser*."""
    parser.epilog += NAGIOS_EPILOG
    parser.add_argument('file', metavar='FILE', help='a configuration file')
    parser.add_argument('--schema', help=common.SCHEMA_HELP)
    common.add_env_file_argument(parser)
    parser.add_argument('--timeout', type=_seconds, default=5.0,
                        metavar='S', help='seconds the whole ping may take, '
                        'every server probed at once (default 5)')
    _add_format_arguments(parser)
    parser.add_argument('--light', action='store_true',
                        help="ask each server for its status (ZEO's status "
                        'request) instead of opening a storage session: one '
                        'line in its log, and cheaper')
    parser.add_argument('--wait', action='store_true',
                        help='probe again until every storage has a usable '
                        'server (exit 0) or --timeout passes (exit 1)')
    parser.add_argument('--quiet', action='store_true',
                        help='write nothing on standard error unless '
                        'something fails')
    parser.add_argument('--output', metavar='PATH',
                        help='write the report to PATH atomically (a '
                        'temporary file beside it, then a rename) instead '
                        "of standard output: for node_exporter's textfile "
                        'collector')
    parser.add_argument('--warning', type=_range, metavar='RANGE',
                        help='nagios: WARNING when a probe\'s seconds pass '
                        'RANGE (10, 10:, ~:10, @10:20)')
    parser.add_argument('--critical', type=_range, metavar='RANGE',
                        help='nagios: CRITICAL when a probe\'s seconds pass '
                        'RANGE')


def usage_status(argv, out=None):
    """The exit code of ping's arguments *argv* that argparse refused
    (having said why on standard error): 3 with a Nagios UNKNOWN line on
    *out* when they ask for --format nagios, else 2."""
    formats = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    _add_format_arguments(formats)
    try:
        wanted = formats.parse_known_args(argv)[0].format
    except argparse.ArgumentError:
        wanted = None
    if wanted != 'nagios':
        return 2
    stream = out if out is not None else sys.stdout
    try:
        stream.write('ZEO UNKNOWN - wrong command line: see zeoconf ping '
                     '--help\n')
        stream.flush()
    except (AttributeError, OSError, ValueError):
        pass    # standard output closed
    return 3


def _emit(args, text, out):
    """Write the report to --output or *out*; None, or the exit code of a
    failed --output."""
    if args.output is None:
        out.write(text)
        return None
    try:
        files.replace(args.output, text.encode('utf-8'))
    except OSError as e:
        common.say(f'zeoconf: cannot write {args.output}: '
                   f'{e.strerror or e}')
        return 3 if args.format == 'nagios' else 2
    return None


def _unreadable(args, message, out):
    """Report a configuration that cannot be read; the exit code."""
    common.say(message)
    if args.format == 'json':
        _emit(args, _json(args, error=message), out)
    elif args.format == 'nagios':
        _emit(args, f'ZEO UNKNOWN - {_nagios_text(message)}\n', out)
    return 3 if args.format == 'nagios' else 2


def _json(args, **members):
    return json.dumps(dict(format=common.JSON_FORMAT, file=args.file,
                           **members), indent=2) + '\n'


def run(args, out):
    """``zeoconf ping``: probe, report in the chosen format; the exit
    code."""
    if args.format == 'prometheus':
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            common.say('zeoconf: --format prometheus needs the '
                       'prometheus_client package: pip install '
                       "'zeoconf[prometheus]'")
            return 2
    # ZEO's client logs its connection attempts; the report says what
    # matters, so they are not echoed to the terminal. One handler, added
    # once however often run() is called in a process.
    logging.getLogger('ZEO').addHandler(_ZEO_QUIET)
    try:
        with common.environment(common.read_env_file(args.env_file)):
            scans = Scans()
            text, schema, _ = common.read(args.file, args.schema,
                                          quiet=args.quiet, scans=scans)
            loaded, warnings = common.load(text, schema, args.file,
                                           scans=scans)
    except common.LoadError as e:
        return _unreadable(args, str(e), out)
    others = []
    storages = find(loaded.config, others)
    not_probed = [f'{args.file}: {_not_probed(client)}' for client in others]
    if not args.quiet:
        for line in [f'{args.file}: warning: {message}'
                     for message in warnings] + not_probed:
            common.say(line)
    deadline = time.monotonic() + args.timeout
    progress = None if args.quiet or args.wait else common.say
    while True:
        results = ping_storages(storages, args.timeout, progress,
                                args.light, deadline)
        if (not args.wait or all(s['usable'] for s in results)
                or time.monotonic() + WAIT_PAUSE >= deadline):
            break
        if not args.quiet:
            common.say(f'ping: {_usable(results)}; waiting')
        time.sleep(WAIT_PAUSE)
    # ZEO clients configured and none probed: a health check must not read
    # that as "reachable".
    failed = (any(not s['usable'] for s in results)
              or bool(others) and not results)
    if args.quiet and failed:
        for line in not_probed:
            common.say(line)
        for storage in results:
            for server in storage['servers']:
                if not server['usable']:
                    common.say(f'ping: {storage["label"]} '
                               f'{server["server"]}: {server["status"]}: '
                               f'{server["detail"]}')
    status = 1 if failed else 0
    if args.format == 'nagios':
        status, text = nagios(results, others, args.warning, args.critical)
    elif args.format == 'json':
        text = _json(args, timeout=args.timeout, light=args.light,
                     storages=results,
                     not_probed=[client.label for client in others])
    elif args.format == 'prometheus':
        from prometheus_client import generate_latest
        text = generate_latest(prometheus_registry(results)).decode()
    else:
        text = _table(results, others, args.file)
    written = _emit(args, text, out)
    return status if written is None else written
