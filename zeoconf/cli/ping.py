"""``zeoconf ping``: reach every configured server, say how it went.

Every server of every storage is probed at once, by a bounded pool of
threads, and the whole run ends by one deadline (``timeout`` seconds after
it starts, plus :data:`GRACE` for the threads to report), whatever the
servers do. A probe is:

1. a raw connection with the storage's own TLS context, which gives the
   precise reason when it fails (refused, time-out, the certificate's
   verification error, the server closing on us, a peer that is not a ZEO
   server) and the time to the server's greeting;
2. light (``--light``): ZEO's status request (``ruok``) on that same
   connection, which the server answers with every storage's statistics
   and then closes; ZEO's client machinery is not imported;
   full (the default): a ZEO session (``ClientStorage`` with only that
   server, in memory, with ``read_only_fallback`` so that a read-only
   server still answers), which tells read-only from writable, a missing
   storage name, and times one server call, ``server_status()``.

The command-line part (:func:`add_arguments`, :func:`run`) and the output
formats (a table, JSON, a Nagios plugin's output, Prometheus's text
exposition format) live here too.
"""

import argparse
import itertools
import json
import logging
import math
import os
import queue
import re
import socket
import sys
import threading
import time

from zeoconf.cli import common
from zeoconf.cli.storages import find, other_client
from zeoconf.datatypes import format_address

__all__ = ['ping_storages', 'probe_server', 'add_arguments', 'run',
           'Range']

# Time the threads get past the deadline to hand in what they found
# before they are given up on (they are daemon threads).
GRACE = 1.0

# At most this many probes run at once. A probe that waits for a silent
# server holds its thread until the deadline; servers beyond this many
# slow ones are reported as not probed.
MAX_THREADS = 128

# Seconds between two rounds of --wait.
WAIT_PAUSE = 0.5

# Version of the JSON that --json prints (the same number as check's and
# show's in zeoconf.cli): raised when a field changes meaning or goes away.
JSON_FORMAT = common.JSON_FORMAT

PROMETHEUS_MISSING = ("--format prometheus needs the prometheus_client "
                      "package: pip install 'zeoconf[prometheus]'")

_STATUS_REQUEST = b'\x00\x00\x00\x04ruok'

# A server's status answer is a few hundred bytes per storage.
_MAX_STATUS = 1 << 20

_session_numbers = itertools.count(1)


# Probing.

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
        if not record.threadName.startswith(self.tag + ' '):
            return
        if 'Registration' not in record.getMessage():
            return
        error = record.exc_info[1] if record.exc_info else None
        self.messages.append(_server_error(error) if error else
                             record.getMessage())
        self.happened.set()


def _server_error(error):
    """``Class: message`` of an exception, unwrapping ZEO's.

    ZEO hands an error raised on the server to the client as
    ``ServerException(('module.Class', (args...)))``.
    """
    args = error.args
    if (type(error).__name__ == 'ServerException' and len(args) == 2
            and isinstance(args[0], str) and isinstance(args[1], tuple)):
        name = args[0].rpartition('.')[2]
        return f'{name}: {", ".join(str(a) for a in args[1])}'
    return f'{type(error).__name__}: {error}'


def _is_zeo_greeting(data):
    """Whether *data* starts like a ZEO server's first message.

    ZEO frames are a 4-byte big-endian length and a payload; a server
    opens with its protocol, ``Z`` or ``M`` and a version such as ``5``.
    """
    if len(data) < 5:
        return False
    size = int.from_bytes(data[:4], 'big')
    payload = data[4:4 + size]
    return (0 < size <= 16 and payload[:1] in (b'Z', b'M')
            and payload[1:].isdigit())


def _read_greeting(sock, deadline):
    """The server's first message, or as much of it as came by *deadline*.

    Over TLS one ``recv`` returns one record, and a server may send the
    frame's length and its payload in two.
    """
    data = b''
    while True:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(64)
        except socket.timeout:
            if data:
                return data     # judged by what came
            raise
        if not chunk:
            return data
        data += chunk
        whole = (len(data) >= 4
                 and len(data) >= 4 + int.from_bytes(data[:4], 'big'))
        if whole or len(data) >= 64 or time.monotonic() >= deadline:
            return data


def _read_frame(sock, data, deadline):
    """The payload of one whole frame that starts *data* plus what the
    server sends next; None when the server closes before it is whole.
    ``socket.timeout`` at *deadline*."""
    while True:
        if len(data) >= 4:
            size = int.from_bytes(data[:4], 'big')
            if size > _MAX_STATUS:
                return None
            if len(data) >= 4 + size:
                return data[4:4 + size]
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk


def _status_request(sock, rest, deadline, timeout):
    """``(status, detail, answer)``: ZEO's status request on *sock*, whose
    greeting has been read (*rest* is what came after it)."""
    try:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        sock.sendall(_STATUS_REQUEST)
        payload = _read_frame(sock, rest, deadline)
    except socket.timeout:
        return ('timeout', 'the server did not answer the status request '
                f'within {timeout:g}s', None)
    except OSError as e:
        return ('closed', 'the server closed the connection on the status '
                f'request ({e.strerror or e})', None)
    if payload is None:
        return ('closed', 'the server closed the connection without '
                'answering the status request', None)
    try:
        answer = json.loads(payload.decode('utf-8'))
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return ('error', 'the status answer is not a JSON object', None)
    return 'ok', None, answer


def _raw_probe(addr, context, server_hostname, deadline, timeout,
               light=False):
    """``(status, detail, seconds to the greeting, status answer)`` of a
    raw connection; with *light*, the server's status answer (a dict by
    storage name), else None.

    *timeout* is only for messages: the time limit is *deadline*.
    """
    import ssl
    start = time.monotonic()
    try:
        if isinstance(addr, str):
            sock = socket.socket(socket.AF_UNIX)
            try:
                sock.settimeout(max(0.05, deadline - start))
                sock.connect(addr)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection(
                addr, max(0.05, deadline - start))
    except ConnectionRefusedError:
        return ('refused', 'connection refused: nothing listens there',
                None, None)
    except FileNotFoundError:
        return ('refused', 'no such socket file: is the server running?',
                None, None)
    except socket.timeout:
        return 'timeout', f'no connection within {timeout:g}s', None, None
    except socket.gaierror as e:
        return ('error', f'cannot resolve the host name: {e.strerror}',
                None, None)
    except OSError as e:
        return 'error', e.strerror or str(e), None, None
    try:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        if context is not None:
            hostname = server_hostname
            if hostname is None and isinstance(addr, tuple):
                hostname = addr[0]
            try:
                sock = context.wrap_socket(sock, server_hostname=hostname)
            except ssl.SSLCertVerificationError as e:
                return ('tls-failed', 'certificate verification failed: '
                        f'{e.verify_message}', None, None)
            except ssl.SSLError as e:
                reason = e.reason or str(e)
                if reason == 'WRONG_VERSION_NUMBER':
                    # What a TLS client reads when a plain ZEO server
                    # greets it in clear text.
                    return ('tls-failed', 'the server does not speak TLS '
                            f'({reason}): remove <ssl>, or is this the '
                            'right port?', None, None)
                return 'tls-failed', f'TLS failed: {reason}', None, None
            except socket.timeout:
                return ('timeout', 'connected, but no TLS handshake within '
                        f'{timeout:g}s', None, None)
            except OSError as e:
                return ('closed', 'the server closed the connection during '
                        f'the TLS handshake ({e.strerror or e})', None, None)
        try:
            first = _read_greeting(sock, deadline)
        except ssl.SSLError as e:
            return ('tls-failed', f'the server ended TLS: {e.reason or e}'
                    ' (does it need a client certificate?)', None, None)
        except socket.timeout:
            hint = ('' if context is not None else
                    ' (a TLS server waits for the client: add <ssl>?)')
            return ('timeout', 'connected, but the server sent no greeting '
                    f'within {timeout:g}s{hint}', None, None)
        except OSError as e:
            return 'error', e.strerror or str(e), None, None
        if not first:
            return ('closed', 'the server closed the connection at once' +
                    (' (does it need a client certificate?)'
                     if context is not None else
                     ' (does it expect TLS?)'), None, None)
        if not _is_zeo_greeting(first):
            return ('not-zeo', 'something answers there, but not a ZEO '
                    f'server (it sent {first[:16]!r})', None, None)
        greeted = time.monotonic() - start
        if not light:
            return 'ok', None, greeted, None
        rest = first[4 + int.from_bytes(first[:4], 'big'):]
        status, detail, answer = _status_request(sock, rest, deadline,
                                                 timeout)
        return status, detail, greeted, answer
    finally:
        sock.close()


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
    if tid == bytes(8):
        return None
    from persistent.TimeStamp import TimeStamp
    return TimeStamp(tid).timeTime()


def server_stats(status, now=None):
    """The statistics zeoconf reports from a storage's status dict (from
    ``ClientStorage.server_status()`` or ZEO's status request): counts,
    counters and times; None where the server gave nothing usable."""
    if not isinstance(status, dict):
        return None
    now = time.time() if now is None else now
    lock_time = _number(status.get('lock_time'))
    held = None
    if 'lock_time' in status:
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


def _result(addr):
    return {'server': format_address(addr), 'status': None, 'mode': None,
            'connect_ms': None, 'latency_ms': None, 'duration_ms': None,
            'detail': None, 'usable': False, 'fallback': False,
            'stats': None}


def _ms(seconds):
    return round(seconds * 1000, 3)


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
    finally:
        result['duration_ms'] = _ms(time.monotonic() - start)
    return result


def _probe(result, kwargs, addr, timeout, deadline, light):
    start = time.monotonic()
    status, detail, first, answer = _raw_probe(
        addr, kwargs['ssl'], kwargs['ssl_server_hostname'], deadline,
        timeout, light)
    result['status'], result['detail'] = status, detail
    if first is not None:
        result['connect_ms'] = _ms(first)
    if status != 'ok':
        return
    if light:
        result['latency_ms'] = _ms(time.monotonic() - start - first)
        name = kwargs['storage']
        if name not in answer:
            result['status'] = 'no-storage'
            result['detail'] = (f'the server has no storage {name!r}: is '
                                'the storage name right?')
            return
        result['stats'] = server_stats(answer[name])
        result['usable'] = True
        return
    _session(result, kwargs, addr, timeout, deadline)


def _session(result, kwargs, addr, timeout, deadline):
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
                    why = failures.messages[0]
                    if 'unknown storage' in why:
                        result['status'] = 'no-storage'
                        result['detail'] = (
                            f'the server has no storage '
                            f'{kwargs["storage"]!r} ({why}): is the '
                            f'storage name right?')
                    else:
                        result['status'] = 'error'
                        result['detail'] = ('the server refused the ZEO '
                                            f'session: {why}')
                    return
                if time.monotonic() >= deadline:
                    result['status'] = 'timeout'
                    result['detail'] = ('the server greeted, but no ZEO '
                                        f'session within {timeout:g}s')
                    return
                failures.happened.wait(0.02)
            read_only = storage.isReadOnly()
            start = time.monotonic()
            failure, status = _round_trip(storage,
                                          max(0.05, deadline - start))
            if failure is not None:
                result['status'] = 'timeout'
                result['detail'] = ('the server did not answer a call: '
                                    + failure)
                return
            result['latency_ms'] = _ms(time.monotonic() - start)
            result['stats'] = server_stats(status)
        finally:
            storage.close()
    finally:
        zeo_log.removeHandler(failures)
    result['mode'] = 'read-only' if read_only else 'writable'
    wants_writes = not (kwargs['read_only'] or kwargs['read_only_fallback'])
    if read_only and wants_writes:
        result['status'] = 'read-only'
        result['detail'] = ('the server is read-only; this storage needs '
                            'read-write (or set read-only-fallback)')
    else:
        result['usable'] = True
        # Usable only through read-only-fallback.
        result['fallback'] = read_only and not kwargs['read_only']


def _round_trip(storage, timeout):
    """``(failure, status)``: one call to the server, ClientStorage's
    public ``server_status()``; *failure* is None when it was answered
    within *timeout* seconds, else why not, and *status* the answer.

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


def _unfinished(addr, detail):
    result = _result(addr)
    result.update(status='timeout', detail=detail)
    return result


def ping_storages(storages, timeout, progress=None, light=False,
                  deadline=None):
    """Probe every server of every storage, all at once.

    *storages* is ``[(label, ClientStorageOpener)]``. Returns
    ``[{'label', 'usable', 'servers': [probe_server results]}]`` in
    configuration order, by *deadline* (default: *timeout* seconds from
    now) plus :data:`GRACE` whatever the servers do; writes one line per
    finished probe to *progress*. At most :data:`MAX_THREADS` probes run
    at once; nothing is started or collected after the deadline.
    """
    prepared = [(label, opener.kwargs()) for label, opener in storages]
    jobs = [(index, kwargs, addr, label)
            for index, (label, kwargs) in enumerate(prepared)
            for addr in kwargs['addr']]
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
            _, kwargs, addr, _ = jobs[number]
            try:
                result = probe_server(kwargs, addr, timeout, deadline,
                                      light)
            except Exception as e:
                # A probe must report, whatever ZEO raised.
                result = _result(addr)
                result.update(status='error',
                              detail=f'{type(e).__name__}: {e}')
            finished.put((number, result))

    if progress is not None:
        progress.write(
            f'ping: {len(jobs)} server{"s" if len(jobs) != 1 else ""} of '
            f'{len(storages)} storage{"s" if len(storages) != 1 else ""}, '
            f'{timeout:g}s at most\n')
    for number in range(min(len(jobs), MAX_THREADS)):
        # Daemon threads: one that a server holds past the deadline is
        # given up on, not waited for.
        threading.Thread(target=work, name=f'zeoconf ping {number}',
                         daemon=True).start()
    done = {}
    while len(done) < len(jobs):
        now = time.monotonic()
        if now >= deadline and len(done) >= len(started):
            break       # what was started has reported; nothing starts now
        if now >= deadline + GRACE:
            break
        wait = deadline - now if now < deadline else 0.05
        try:
            number, result = finished.get(timeout=max(0.001, wait))
        except queue.Empty:
            continue
        done[number] = result
        if progress is not None:
            label, addr = jobs[number][3], result['server']
            progress.write(f'ping: {label} {addr}: {result["status"]}\n')
    for number, (index, _, addr, _) in enumerate(jobs):
        result = done.get(number)
        if result is None and number in started:
            result = _unfinished(addr, f'no result within {timeout:g}s')
        elif result is None:
            result = _unfinished(
                addr, f'not probed within {timeout:g}s: more than '
                f'{MAX_THREADS} servers at once were slow to answer')
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

def _table(results, others, file):
    """The text report."""
    if not results:
        if others:
            return (f'{file}: no zeoconf clientstorage; {len(others)} ZEO '
                    f'client section{"" if len(others) == 1 else "s"} not '
                    'probed\n')
        return f'{file}: no clientstorage\n'
    rows = [['STORAGE', 'SERVER', 'STATUS', 'MODE', 'LATENCY', 'DETAIL']]
    for storage in results:
        for server in storage['servers']:
            latency = server['latency_ms']
            rows.append([
                storage['label'], server['server'], server['status'],
                server['mode'] or '-',
                f'{latency:.1f}ms' if latency is not None else '-',
                server['detail'] or ''])
    usable = sum(1 for s in results if s['usable'])
    return ('\n'.join(common.columns(rows)) +
            f'\n{usable} of {len(results)} storage'
            f'{"" if len(results) == 1 else "s"} usable\n')


def _json(args, results, others):
    return json.dumps({
        'format': JSON_FORMAT, 'file': args.file, 'timeout': args.timeout,
        'light': args.light, 'storages': results, 'not_probed': others},
        indent=2) + '\n'


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


def _perf(label, value, unit='', warning=None, critical=None, low=0):
    """One performance data item, its label always quoted."""
    label = label.replace("'", "''")
    fields = [f'{_plain_number(value)}{unit}',
              warning.text if warning else '',
              critical.text if critical else '', _plain_number(low)]
    return f"'{label}'=" + ';'.join(fields)


def _nagios_text(text):
    """*text* without the character that starts performance data."""
    return text.replace('|', '/')


def nagios(results, others, warning=None, critical=None):
    """``(exit code, text)`` of a Nagios plugin for *results*."""
    state, problems, details, times, counts = 0, [], [], [], []
    for storage in results:
        label = storage['label']
        if not storage['usable']:
            state = 2
            problems.append(f'{label}: no usable server')
        for server in storage['servers']:
            name = f'{label} {server["server"]}'
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
                        state = max(state, level)
                        problems.append(
                            f'{name} took {_plain_number(seconds)}s '
                            f'({NAGIOS_STATES[level]} {threshold.text})')
                        break
            if server['detail']:
                line += f': {server["detail"]}'
            details.append(line)
            if not server['usable'] and storage['usable']:
                state = max(state, 1)
                problems.append(f'{name} {server["status"]}')
            elif server.get('fallback'):
                state = max(state, 1)
                problems.append(f'{name} read-only fallback')
            for key, unit in _PERFDATA:
                value = (server['stats'] or {}).get(key)
                if value is not None:
                    counts.append(_perf(f'{name} {key}', value, unit))
    usable = sum(1 for s in results if s['usable'])
    if results:
        summary = (f'{usable} of {len(results)} storage'
                   f'{"" if len(results) == 1 else "s"} usable')
    elif others:
        state = 3
        summary = (f'{len(others)} ZEO client section'
                   f'{"" if len(others) == 1 else "s"} not zeoconf\'s: '
                   'nothing probed')
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


_GAUGES = (
    ('connections', 'zeo_connections',
     'Clients connected to the storage on the server.'),
    ('active_transactions', 'zeo_active_transactions',
     'Transactions in progress on the storage.'),
    ('waiting_transactions', 'zeo_waiting_transactions',
     'Transactions waiting for the commit lock.'),
    ('commit_lock_held_seconds', 'zeo_commit_lock_held_seconds',
     'Seconds the commit lock has been held, 0 when free.'),
    ('last_transaction_timestamp_seconds',
     'zeo_last_transaction_timestamp_seconds',
     'Time of the last committed transaction (none for an empty storage).'),
)
_COUNTERS = (
    ('commits', 'zeo_commits', 'Transactions committed since the server '
     'started.'),
    ('aborts', 'zeo_aborts', 'Transactions aborted since the server '
     'started.'),
    ('loads', 'zeo_loads', 'Object loads since the server started.'),
    ('stores', 'zeo_stores', 'Object stores since the server started.'),
    ('conflicts', 'zeo_conflicts', 'Conflicts since the server started.'),
)


class _Collector:
    """The metric families of one ping's results, for a registry."""

    def __init__(self, results):
        self.results = results

    def collect(self):
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
        )
        labels = ['storage', 'server']
        up = GaugeMetricFamily(
            'zeo_up', 'Whether the server is usable for the storage '
            '(1) or not (0).', labels=labels)
        read_only = GaugeMetricFamily(
            'zeo_read_only', 'Whether the server serves the storage '
            'read-only (full probes only).', labels=labels)
        duration = GaugeMetricFamily(
            'zeo_probe_duration_seconds', 'Seconds the probe of the server '
            'took.', labels=labels)
        gauges = [(key, GaugeMetricFamily(name, text, labels=labels))
                  for key, name, text in _GAUGES]
        counters = [(key, CounterMetricFamily(name, text, labels=labels))
                    for key, name, text in _COUNTERS]
        for storage in self.results:
            for server in storage['servers']:
                values = [storage['label'], server['server']]
                up.add_metric(values, 1 if server['usable'] else 0)
                if server['mode'] is not None:
                    read_only.add_metric(
                        values, 1 if server['mode'] == 'read-only' else 0)
                if server['duration_ms'] is not None:
                    duration.add_metric(values, server['duration_ms'] / 1000)
                stats = server['stats'] or {}
                for key, family in gauges + counters:
                    if stats.get(key) is not None:
                        family.add_metric(values, stats[key])
        yield up
        yield read_only
        yield duration
        for _, family in gauges + counters:
            yield family


def prometheus_registry(results):
    """A ``prometheus_client`` registry holding *results*' metrics."""
    from prometheus_client import CollectorRegistry
    registry = CollectorRegistry()
    registry.register(_Collector(results))
    return registry


# Writing.

class _Progress:
    """Progress lines on standard error (see :func:`common.say`)."""

    def write(self, text):
        for line in text.splitlines():
            common.say(line)

    def flush(self):
        pass


def write_atomically(path, text):
    """Replace *path* by a file holding *text*: written to a temporary
    file in the same directory, then renamed over it; the temporary file
    is removed when anything fails. The file gets the mode a new file
    gets (0666 less the umask)."""
    directory, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f'.{name}.{os.getpid()}.tmp')
    try:
        descriptor = os.open(temporary,
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(descriptor, 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise


# The command line.

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


NAME = 'ping'
HELP = 'connect to every configured server and report'
DESCRIPTION = (
    'Connect to every server of every clientstorage in FILE, all at once, '
    'with the configured TLS; report per server whether it is usable, '
    'read-only or writable, and the round trip of one ZEO call, as a '
    'table, JSON, a Nagios plugin or Prometheus metrics. Progress goes to '
    'standard error.')
EXIT_CODES = ('every storage has a usable server',
              'a storage none of whose servers is usable (2: the file '
              'cannot be read)')


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
    for number, arg in enumerate(argv):
        option, equals, value = arg.partition('=')
        if not equals:
            value = argv[number + 1] if number + 1 < len(argv) else ''
        if (len(option) > 3 and '--format'.startswith(option)
                and value == 'nagios'):
            wants_nagios = True
    if 'ping' not in argv or not wants_nagios:
        return 2
    stream = out if out is not None else sys.stdout
    if stream is not None:
        try:
            stream.write('ZEO UNKNOWN - wrong command line: see '
                         'zeoconf ping --help\n')
            stream.flush()
        except (OSError, ValueError):
            pass
    return 3


def _unreadable(args, message, out):
    """Report a configuration that cannot be read; the exit code."""
    common.say(message)
    if args.format == 'json':
        text = json.dumps({'format': JSON_FORMAT, 'file': args.file,
                           'error': message}, indent=2) + '\n'
    elif args.format == 'nagios':
        text = f'ZEO UNKNOWN - {_nagios_text(message)}\n'
    else:
        return 2
    status = _emit(args, text, out)
    return 3 if args.format == 'nagios' else status or 2


def _emit(args, text, out, registry=None):
    """Write the report to --output or *out*; None, or the exit code of a
    failed --output."""
    if args.output is None:
        out.write(text)
        return None
    try:
        if registry is not None:
            from prometheus_client import write_to_textfile
            write_to_textfile(args.output, registry)
        else:
            write_atomically(args.output, text)
    except OSError as e:
        common.say(f'zeoconf: cannot write {args.output}: '
                   f'{e.strerror or e}')
        return 3 if args.format == 'nagios' else 2
    return None


def _rounds(args, storages):
    """The results of the last round (of one, without --wait)."""
    deadline = time.monotonic() + args.timeout
    progress = None if args.quiet or args.wait else _Progress()
    while True:
        results = ping_storages(storages, args.timeout, progress,
                                args.light, deadline)
        if not args.wait or all(s['usable'] for s in results):
            return results
        if time.monotonic() + WAIT_PAUSE >= deadline:
            return results
        if not args.quiet:
            usable = sum(1 for s in results if s['usable'])
            common.say(f'ping: {usable} of {len(results)} storage'
                    f'{"" if len(results) == 1 else "s"} usable; waiting')
        time.sleep(WAIT_PAUSE)


def run(args, out):
    """``zeoconf ping``: probe, report in the chosen format; the exit
    code."""
    def say(text):
        if not args.quiet:
            common.say(text)

    if args.format == 'prometheus':
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            common.say(f'zeoconf: {PROMETHEUS_MISSING}')
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
    for message in warnings:
        say(f'{args.file}: warning: {message}')
    for label in others:
        say(f'{args.file}: {label}: not probed: {other_client(label)}')
    results = _rounds(args, storages)
    failed = any(not s['usable'] for s in results) or (
        # ZEO clients were configured and none could be probed: a health
        # check must not read that as "reachable".
        bool(others) and not results)
    status = 1 if failed else 0
    registry = None
    if args.format == 'nagios':
        status, text = nagios(results, others, args.warning, args.critical)
    elif args.format == 'json':
        text = _json(args, results, others)
    elif args.format == 'prometheus':
        registry = prometheus_registry(results)
        from prometheus_client import generate_latest
        text = generate_latest(registry).decode('utf-8')
    else:
        text = _table(results, others, args.file)
    if args.quiet and failed:
        for label in others:
            common.say(f'{args.file}: {label}: not probed: '
                       f'{other_client(label)}')
        for storage in results:
            for server in storage['servers']:
                if not server['usable']:
                    common.say(f'ping: {storage["label"]} '
                               f'{server["server"]}: {server["status"]}: '
                               f'{server["detail"]}')
    written = _emit(args, text, out, registry)
    return status if written is None else written
