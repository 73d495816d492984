"""``zeoconf ping``: reach every configured server, say how it went.

Every server of every storage is probed at once, by a bounded pool of
threads, and the run ends by one deadline whatever the servers do. A probe
first opens a raw connection with the storage's own TLS, which names the
reason when it fails and times the server's greeting. Then ``--light``
sends ZEO's status request on that connection (ZEO's client is not
imported), while a full probe opens a ZEO session with only that server:
it tells read-only from writable and times one call, ``server_status()``.

The report is a table, JSON, a Nagios plugin's output or Prometheus's text
exposition format.
"""

import argparse
import itertools
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
from zeoconf.cli.storages import find, other_client
from zeoconf.datatypes import format_address

__all__ = ['ping_storages', 'probe_server', 'server_stats', 'nagios',
           'prometheus_registry', 'usage_status',
           'add_arguments', 'run', 'Range']

# Time the threads get past the deadline to hand in what they found
# before they are given up on (they are daemon threads).
GRACE = 1.0

# At most this many probes run at once. A probe that waits for a silent
# server holds its thread until the deadline; servers beyond this many
# slow ones are reported as not probed.
MAX_THREADS = 128

# Seconds between two rounds of --wait.
WAIT_PAUSE = 0.5

_STATUS_REQUEST = b'\x00\x00\x00\x04ruok'

# A server's status answer is a few hundred bytes per storage.
_MAX_STATUS = 1 << 20

_session_numbers = itertools.count(1)


def _count(number, noun):
    """``1 storage``, ``2 storages``."""
    return f'{number} {noun}{"" if number == 1 else "s"}'


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


class _RegistrationFailures(logging.Handler):
    """Collects ZEO's 'registration failed' records of one ZEO session.

    ZEO's client logs them from its networking thread, which it names
    after the storage's ``name``: each probe's session gets a name of its
    own, so that concurrent probes do not take each other's failures.
    """

    def __init__(self, tag):
        super().__init__(logging.ERROR)
        self.tag = tag
        self.messages = []
        self.happened = threading.Event()

    def emit(self, record):
        # logging holds this handler's own lock around emit().
        if (not record.threadName.startswith(self.tag + ' ')
                or 'Registration' not in record.getMessage()):
            return
        error = record.exc_info[1] if record.exc_info else None
        self.messages.append(_server_error(error) if error else
                             record.getMessage())
        self.happened.set()


def _server_error(error):
    """``Class: message`` of an exception, unwrapping the
    ``ServerException(('module.Class', (args...)))`` by which ZEO hands an
    error raised on the server to the client."""
    args = error.args
    if (type(error).__name__ == 'ServerException' and len(args) == 2
            and isinstance(args[0], str) and isinstance(args[1], tuple)):
        name = args[0].rpartition('.')[2]
        return f'{name}: {", ".join(str(a) for a in args[1])}'
    return f'{type(error).__name__}: {error}'


def _frame_end(data):
    """Where the ZEO frame at the start of *data* ends (a frame is a
    4-byte big-endian length and a payload); None before the length."""
    return 4 + int.from_bytes(data[:4], 'big') if len(data) >= 4 else None


def _read_frame(sock, data, deadline, limit):
    """*data* and what the server sends next, until one whole frame came,
    the server closed, or the frame announced is longer than *limit*.

    Over TLS one ``recv`` returns one record, and a server may send a
    frame's length and its payload in two.
    """
    while True:
        end = _frame_end(data)
        if end is not None and (end - 4 > limit or len(data) >= end):
            return data
        sock.settimeout(_left(deadline))
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def _payload(data):
    """The payload of the whole frame *data* starts with, else None."""
    end = _frame_end(data)
    return data[4:end] if end is not None and len(data) >= end else None


def _connect(addr, deadline, timeout):
    """A socket connected to *addr*, a ``(host, port)`` or a socket path.
    (*timeout* is for messages: the limit is *deadline*.)"""
    try:
        if isinstance(addr, tuple):
            return socket.create_connection(addr, _left(deadline))
        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.settimeout(_left(deadline))
            sock.connect(addr)
        except BaseException:
            sock.close()
            raise
        return sock
    except ConnectionRefusedError:
        raise _Failed('refused', 'connection refused: nothing listens there')
    except FileNotFoundError:
        raise _Failed('refused', 'no such socket file: is the server '
                      'running?')
    except socket.timeout:
        raise _Failed('timeout', f'no connection within {timeout:g}s')
    except socket.gaierror as e:
        raise _Failed('error', f'cannot resolve the host name: {e.strerror}')
    except OSError as e:
        raise _Failed('error', e.strerror or str(e))


def _handshake(sock, context, hostname, timeout):
    """*sock* over TLS."""
    try:
        return context.wrap_socket(sock, server_hostname=hostname)
    except ssl.SSLCertVerificationError as e:
        raise _Failed('tls-failed', 'certificate verification failed: '
                      f'{e.verify_message}')
    except ssl.SSLError as e:
        reason = e.reason or str(e)
        if reason == 'WRONG_VERSION_NUMBER':
            # What a TLS client reads when a plain ZEO server greets it
            # in clear text.
            raise _Failed('tls-failed', 'the server does not speak TLS '
                          f'({reason}): remove <ssl>, or is this the '
                          'right port?')
        raise _Failed('tls-failed', f'TLS failed: {reason}')
    except socket.timeout:
        raise _Failed('timeout', 'connected, but no TLS handshake within '
                      f'{timeout:g}s')
    except OSError as e:
        raise _Failed('closed', 'the server closed the connection during '
                      f'the TLS handshake ({e.strerror or e})')


def _greeting(sock, deadline, timeout, tls):
    """The server's first frame, checked to be a ZEO server's: ``Z`` or
    ``M`` and a protocol version such as ``5``."""
    try:
        data = _read_frame(sock, b'', deadline, limit=16)
    except ssl.SSLError as e:
        raise _Failed('tls-failed', f'the server ended TLS: {e.reason or e}'
                      ' (does it need a client certificate?)')
    except socket.timeout:
        hint = '' if tls else ' (a TLS server waits for the client: add ' \
            '<ssl>?)'
        raise _Failed('timeout', 'connected, but the server sent no '
                      f'greeting within {timeout:g}s{hint}')
    except OSError as e:
        raise _Failed('error', e.strerror or str(e))
    if not data:
        hint = 'does it need a client certificate' if tls else \
            'does it expect TLS'
        raise _Failed('closed', f'the server closed the connection at once '
                      f'({hint}?)')
    payload = _payload(data) or b''
    if payload[:1] not in (b'Z', b'M') or not payload[1:].isdigit():
        raise _Failed('not-zeo', 'something answers there, but not a ZEO '
                      f'server (it sent {data[:16]!r})')
    return data


def _status_request(sock, rest, deadline, timeout):
    """ZEO's status request on *sock*, whose greeting was read (*rest* is
    what came after it): the answer, a dict by storage name."""
    try:
        sock.settimeout(_left(deadline))
        sock.sendall(_STATUS_REQUEST)
        payload = _payload(_read_frame(sock, rest, deadline, _MAX_STATUS))
    except socket.timeout:
        raise _Failed('timeout', 'the server did not answer the status '
                      f'request within {timeout:g}s')
    except OSError as e:
        raise _Failed('closed', 'the server closed the connection on the '
                      f'status request ({e.strerror or e})')
    if payload is None:
        raise _Failed('closed', 'the server closed the connection without '
                      'answering the status request')
    try:
        answer = json.loads(payload.decode('utf-8'))
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise _Failed('error', 'the status answer is not a JSON object')
    return answer


def _number(value):
    """*value* if it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _last_transaction_time(text):
    """Seconds since the epoch of a TID in hex; None for an empty storage
    or anything else."""
    if not isinstance(text, str) or not re.fullmatch(r'[0-9a-fA-F]{16}',
                                                      text):
        return None
    tid = bytes.fromhex(text)
    return None if tid == bytes(8) else TimeStamp(tid).timeTime()


def server_stats(status, now=None):
    """The statistics zeoconf reports from a storage's status dict (from
    ``ClientStorage.server_status()`` or ZEO's status request): counts,
    counters and times; None where the server gave nothing usable."""
    if not isinstance(status, dict):
        return None
    now = time.time() if now is None else now
    held = None
    if 'lock_time' in status:
        lock_time = _number(status['lock_time'])
        held = 0.0 if lock_time is None else max(0.0, now - lock_time)
    return {
        'connections': _number(status.get('connections')),
        'active_transactions': _number(status.get('active_txns')),
        'waiting_transactions': _number(status.get('waiting')),
        'commit_lock_held_seconds': held,
        'last_transaction_timestamp_seconds': _last_transaction_time(
            status.get('last-transaction')),
        'commits': _number(status.get('commits')),
        'aborts': _number(status.get('aborts')),
        'loads': _number(status.get('loads')),
        'stores': _number(status.get('stores')),
        'conflicts': _number(status.get('conflicts')),
    }


def _result(addr, status=None, detail=None):
    return {'server': format_address(addr), 'status': status, 'mode': None,
            'connect_ms': None, 'latency_ms': None, 'duration_ms': None,
            'detail': detail, 'usable': False, 'fallback': False,
            'stats': None}


def probe_server(kwargs, addr, timeout, deadline=None, light=False):
    """Probe one server of one storage; return a JSON-able dict.

    *kwargs* are the storage's ``opener.kwargs()``, left as they are. The
    probe ends by *deadline* (a ``time.monotonic()`` value), by default
    *timeout* seconds from now.
    """
    start = time.monotonic()
    if deadline is None:
        deadline = start + timeout
    result = _result(addr)
    try:
        _probe(result, kwargs, addr, timeout, deadline, light)
    except _Failed as e:
        result.update(status=e.status, detail=e.detail)
    finally:
        result['duration_ms'] = _ms(time.monotonic() - start)
    return result


def _probe(result, kwargs, addr, timeout, deadline, light):
    start = time.monotonic()
    sock = _connect(addr, deadline, timeout)
    try:
        sock.settimeout(_left(deadline))
        context = kwargs['ssl']
        if context is not None:
            hostname = kwargs['ssl_server_hostname']
            if hostname is None and isinstance(addr, tuple):
                hostname = addr[0]      # each server's own, as ZEO does
            sock = _handshake(sock, context, hostname, timeout)
        greeting = _greeting(sock, deadline, timeout, context is not None)
        greeted = time.monotonic()
        result.update(status='ok', connect_ms=_ms(greeted - start))
        if light:
            rest = greeting[_frame_end(greeting):]
            answer = _status_request(sock, rest, deadline, timeout)
            result['latency_ms'] = _ms(time.monotonic() - greeted)
    finally:
        sock.close()
    if not light:
        _session(result, kwargs, addr, timeout, deadline)
        return
    name = kwargs['storage']
    if name not in answer:
        raise _Failed('no-storage', f'the server has no storage {name!r}: '
                      'is the storage name right?')
    result.update(stats=server_stats(answer[name]), usable=True)


def _session(result, kwargs, addr, timeout, deadline):
    """A ZEO session with *addr* alone: read-only or writable, and the
    time of one call."""
    from ZEO.ClientStorage import ClientStorage
    tag = f'zeoconf-ping-{next(_session_numbers)}'
    failures = _RegistrationFailures(tag)
    # wait=False: the session is watched here, so that a refused storage
    # name is reported when the server says so, not at the deadline (ZEO's
    # client itself would retry until its wait_timeout).
    session = dict(kwargs, addr=[addr], name=tag, wait=False,
                   wait_timeout=max(0.1, deadline - time.monotonic()),
                   read_only=False, read_only_fallback=True, cache=None,
                   blob_dir=None, shared_blob_dir=False,
                   blob_cache_size=None, client_label='zeoconf ping')
    zeo_log = logging.getLogger('ZEO')
    zeo_log.addHandler(failures)
    try:
        storage = ClientStorage(**session)
        try:
            while not storage.is_connected():
                if failures.messages:
                    raise _refused(failures.messages[0], kwargs['storage'])
                if time.monotonic() >= deadline:
                    raise _Failed('timeout', 'the server greeted, but no '
                                  f'ZEO session within {timeout:g}s')
                failures.happened.wait(0.02)
            read_only = storage.isReadOnly()
            start = time.monotonic()
            failure, status = _round_trip(storage, _left(deadline))
            if failure is not None:
                raise _Failed('timeout', 'the server did not answer a '
                              f'call: {failure}')
            result['latency_ms'] = _ms(time.monotonic() - start)
            result['stats'] = server_stats(status)
        finally:
            storage.close()
    finally:
        zeo_log.removeHandler(failures)
    result['mode'] = 'read-only' if read_only else 'writable'
    if read_only and not (kwargs['read_only']
                          or kwargs['read_only_fallback']):
        raise _Failed('read-only', 'the server is read-only; this storage '
                      'needs read-write (or set read-only-fallback)')
    # Usable only through read-only-fallback.
    result.update(usable=True, fallback=read_only and not kwargs['read_only'])


def _refused(why, name):
    """The failure of a ZEO session the server refused, for *why*."""
    if 'unknown storage' in why:
        return _Failed('no-storage', f'the server has no storage {name!r} '
                       f'({why}): is the storage name right?')
    return _Failed('error', f'the server refused the ZEO session: {why}')


def _round_trip(storage, timeout):
    """``(failure, status)`` of one call to the server, ClientStorage's
    public ``server_status()``: *failure* is None when it was answered
    within *timeout* seconds, else why not.

    The call waits as long as ZEO lets it, so it runs in a daemon thread
    of its own: a server that stops answering cannot hold the probe past
    its deadline (closing the storage then ends the call).
    """
    answered = threading.Event()
    failed, status = [], []

    def call():
        try:
            status.append(storage.server_status())
        except Exception as e:
            failed.append(f'{type(e).__name__} {e}'.strip())
        finally:
            answered.set()

    threading.Thread(target=call, name='zeoconf ping call',
                     daemon=True).start()
    if not answered.wait(timeout):
        return f'no answer within {round(timeout, 2):g}s', None
    if failed:
        return failed[0], None
    return None, status[0]


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
    jobs = []       # (storage's index, its kwargs, a server's address)
    for index, (_, opener) in enumerate(storages):
        kwargs = opener.kwargs()    # once: it holds every address
        jobs += [(index, kwargs, addr) for addr in kwargs['addr']]
    results = [{'label': label, 'usable': False, 'servers': []}
               for label, _ in storages]
    if not jobs:
        return results
    if deadline is None:
        deadline = time.monotonic() + timeout
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
        progress(f'ping: {_count(len(jobs), "server")} of '
                 f'{_count(len(storages), "storage")}, {timeout:g}s at most')
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
            label = storages[jobs[number][0]][0]
            progress(f'ping: {label} {result["server"]}: {result["status"]}')
    for number, (index, _, addr) in enumerate(jobs):
        result = done.get(number)
        if result is None and number in started:
            result = _result(addr, 'timeout',
                             f'no result within {timeout:g}s')
        elif result is None:
            result = _result(
                addr, 'timeout', f'not probed within {timeout:g}s: more '
                f'than {MAX_THREADS} servers at once were slow to answer')
        results[index]['servers'].append(result)
        results[index]['usable'] |= result['usable']
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
        if start == '~':
            self.start = -math.inf
        else:
            self.start = float(start) if start else 0.0
        self.end = float(end) if end else math.inf
        if self.start > self.end:
            raise ValueError(f'{text!r}: the range starts above its end')

    def alerts(self, value):
        """Whether *value* passes the threshold."""
        within = self.start <= value <= self.end
        return within if self.inside else not within

    def __repr__(self):
        return f'Range({self.text!r})'


def _range(text):
    try:
        return Range(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


# Output formats.

def _usable(results):
    usable = sum(1 for s in results if s['usable'])
    return f'{usable} of {_count(len(results), "storage")} usable'


def _table(results, others, file):
    """The text report."""
    if not results and others:
        return (f'{file}: no zeoconf clientstorage; '
                f'{_count(len(others), "ZEO client section")} not probed\n')
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

# Counts and counters of the performance data, with their unit.
_PERFDATA = (('connections', ''), ('active_transactions', ''),
             ('waiting_transactions', ''), ('commit_lock_held_seconds', 's'),
             ('commits', 'c'), ('aborts', 'c'), ('loads', 'c'),
             ('stores', 'c'), ('conflicts', 'c'))


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
    """``(exit code, text)`` of a Nagios plugin for *results*."""
    state, problems, details, times, counts = 0, [], [], [], []

    def alert(level, problem):
        nonlocal state
        state = max(state, level)
        problems.append(problem)

    for storage in results:
        if not storage['usable']:
            alert(2, f'{storage["label"]}: no usable server')
        for server in storage['servers']:
            name = f'{storage["label"]} {server["server"]}'
            line = f'{name}: {server["status"]}'
            if server['mode']:
                line += f', {server["mode"]}'
            if server['duration_ms'] is not None and server['usable']:
                seconds = server['duration_ms'] / 1000
                line += f', {_plain_number(round(seconds, 6))}s'
                times.append(_perf(f'{name} time', seconds, 's', warning,
                                   critical))
                for level, threshold in ((2, critical), (1, warning)):
                    if threshold is not None and threshold.alerts(seconds):
                        alert(level, f'{name} took {_plain_number(seconds)}'
                              f's ({NAGIOS_STATES[level]} {threshold.text})')
                        break
            if server['detail']:
                line += f': {server["detail"]}'
            details.append(line)
            if not server['usable'] and storage['usable']:
                alert(1, f'{name} {server["status"]}')
            elif server['fallback']:
                alert(1, f'{name} read-only fallback')
            for key, unit in _PERFDATA:
                value = (server['stats'] or {}).get(key)
                if value is not None:
                    counts.append(_perf(f'{name} {key}', value, unit))
    if results:
        summary = _usable(results)
    elif others:
        state = 3
        summary = (f'{_count(len(others), "ZEO client section")} not '
                   "zeoconf's: nothing probed")
    else:
        summary = 'no clientstorage'
    if problems:
        summary += '; ' + '; '.join(problems[:3])
        if len(problems) > 3:
            summary += f'; {len(problems) - 3} more'
    first = f'ZEO {NAGIOS_STATES[state]} - {_nagios_text(summary)}'
    if times:
        first += ' | ' + ' '.join(times)
    lines = [first] + [_nagios_text(line) for line in details]
    lines += [_nagios_text(f'{label}: not probed: {other_client(label)}')
              for label in others]
    if counts:
        if len(lines) == 1:
            lines.append('counts')
        lines[-1] += ' | ' + counts[0]
        lines += counts[1:]
    return state, '\n'.join(lines) + '\n'


# Prometheus: the help of each family, zeo_KEY, with KEY the name of the
# value in a server's result, or of its statistics.
_HELP = {
    'up': 'Whether the server is usable for the storage (1) or not (0).',
    'read_only': 'Whether the server serves the storage read-only (full '
                 'probes only).',
    'probe_duration_seconds': 'Seconds the probe of the server took.',
    'connections': 'Clients connected to the storage on the server.',
    'active_transactions': 'Transactions in progress on the storage.',
    'waiting_transactions': 'Transactions waiting for the commit lock.',
    'commit_lock_held_seconds': 'Seconds the commit lock has been held, 0 '
                                'when free.',
    'last_transaction_timestamp_seconds': 'Time of the last committed '
    'transaction (none for an empty storage).',
    'commits': 'Transactions committed since the server started.',
    'aborts': 'Transactions aborted since the server started.',
    'loads': 'Object loads since the server started.',
    'stores': 'Object stores since the server started.',
    'conflicts': 'Conflicts since the server started.',
}
_COUNTERS = ('commits', 'aborts', 'loads', 'stores', 'conflicts')


def _metrics(server):
    """A server's result as the values of the families of :data:`_HELP`."""
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
        for key, text in _HELP.items():
            kind = CounterMetricFamily if key in _COUNTERS else \
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
# For zeoconf.cli; EPILOG, which add_arguments sets, says more.
EXIT_CODES = ('every storage has a usable server',
              'a storage none of whose servers is usable (2: the file '
              'cannot be read)')
EPILOG = """\
exit codes:
  0  every storage has a usable server
  1  a storage none of whose servers is usable
  2  wrong command-line usage, or a configuration that cannot be read
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


def add_arguments(parser):
    """Add ping's arguments to its subparser *parser*."""
    parser.epilog = EPILOG
    parser.add_argument('file', metavar='FILE', help='a configuration file')
    parser.add_argument('--schema', help=common.SCHEMA_HELP)
    common.add_env_file_argument(parser)
    parser.add_argument('--timeout', type=_seconds, default=5.0,
                        metavar='S', help='seconds the whole ping may take, '
                        'every server probed at once (default 5)')
    parser.add_argument('--format', default='text', metavar='FORMAT',
                        choices=('text', 'json', 'nagios', 'prometheus'),
                        help='text (default), json, nagios (a plugin\'s '
                        'output and exit code) or prometheus (the text '
                        'exposition format; needs zeoconf[prometheus])')
    parser.add_argument('--json', dest='format', action='store_const',
                        const='json', help='short for --format json (see '
                        'docs/cli.md for its shape)')
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
    """The exit code of a command line that argparse refused (having said
    why on standard error): 3 with a Nagios UNKNOWN line on *out* for
    ``ping --format nagios``, else 2."""
    argv = [str(a) for a in argv]
    wants_nagios = False
    for arg, following in zip(argv, argv[1:] + ['']):
        option, equals, value = arg.partition('=')
        if len(option) > 3 and '--format'.startswith(option):
            wants_nagios |= (value if equals else following) == 'nagios'
    if 'ping' not in argv or not wants_nagios:
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
        text = json.dumps({'format': common.JSON_FORMAT, 'file': args.file,
                           'error': message}, indent=2) + '\n'
    elif args.format == 'nagios':
        text = f'ZEO UNKNOWN - {_nagios_text(message)}\n'
    else:
        return 2
    status = _emit(args, text, out)
    return 3 if args.format == 'nagios' else status or 2


def _rounds(args, storages):
    """The results of the last round (of one, without --wait)."""
    deadline = time.monotonic() + args.timeout
    progress = None if args.quiet or args.wait else common.say
    while True:
        results = ping_storages(storages, args.timeout, progress,
                                args.light, deadline)
        if (not args.wait or all(s['usable'] for s in results)
                or time.monotonic() + WAIT_PAUSE >= deadline):
            return results
        if not args.quiet:
            common.say(f'ping: {_usable(results)}; waiting')
        time.sleep(WAIT_PAUSE)


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
    # matters, so they are not echoed to the terminal.
    logging.getLogger('ZEO').addHandler(logging.NullHandler())
    try:
        loaded, warnings = common.load(args.file, args.schema,
                                       env_file=args.env_file,
                                       quiet=args.quiet)
    except common.LoadError as e:
        return _unreadable(args, str(e), out)
    others = []
    storages = find(loaded.config, others)
    not_probed = [f'{args.file}: {label}: not probed: {other_client(label)}'
                  for label in others]
    if not args.quiet:
        for line in [f'{args.file}: warning: {message}'
                     for message in warnings] + not_probed:
            common.say(line)
    results = _rounds(args, storages)
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
        text = json.dumps({
            'format': common.JSON_FORMAT, 'file': args.file,
            'timeout': args.timeout, 'light': args.light,
            'storages': results, 'not_probed': others}, indent=2) + '\n'
    elif args.format == 'prometheus':
        from prometheus_client import generate_latest
        text = generate_latest(prometheus_registry(results)).decode()
    else:
        text = _table(results, others, args.file)
    written = _emit(args, text, out)
    return status if written is None else written
