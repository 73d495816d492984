"""``zeoconf ping``: reach every configured server, say how it went.

Each server is probed in a thread of its own, all at once, and the whole
run ends by one deadline (``timeout`` seconds after it starts, plus a
little for the threads to report), whatever the servers do:

1. a raw connection with the storage's own TLS context, which gives the
   precise reason when it fails (refused, time-out, the certificate's
   verification error, the server closing on us, a peer that is not a ZEO
   server) and the time to the server's greeting;
2. a ZEO session (``ClientStorage`` with only that server, in memory, with
   ``read_only_fallback`` so that a read-only server still answers), which
   tells read-only from writable, a missing storage name, and the round
   trip of one server call.
"""

import itertools
import logging
import queue
import socket
import ssl
import threading
import time

from zeoconf.datatypes import format_address

__all__ = ['ping_storages', 'probe_server']

# Time the threads get past the deadline to hand in what they found
# before they are given up on (they are daemon threads).
GRACE = 1.0

_session_numbers = itertools.count(1)


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


def _raw_probe(addr, context, server_hostname, deadline, timeout):
    """(status, detail, seconds to the greeting) of a raw connection.

    *timeout* is only for messages: the time limit is *deadline*.
    """
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
        return 'refused', 'connection refused: nothing listens there', None
    except FileNotFoundError:
        return ('refused', 'no such socket file: is the server running?',
                None)
    except socket.timeout:
        return 'timeout', f'no connection within {timeout:g}s', None
    except socket.gaierror as e:
        return 'error', f'cannot resolve the host name: {e.strerror}', None
    except OSError as e:
        return 'error', e.strerror or str(e), None
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
                        f'{e.verify_message}', None)
            except ssl.SSLError as e:
                reason = e.reason or str(e)
                if reason == 'WRONG_VERSION_NUMBER':
                    # What a TLS client reads when a plain ZEO server
                    # greets it in clear text.
                    return ('tls-failed', 'the server does not speak TLS '
                            f'({reason}): remove <ssl>, or is this the '
                            'right port?', None)
                return 'tls-failed', f'TLS failed: {reason}', None
            except socket.timeout:
                return ('timeout', 'connected, but no TLS handshake within '
                        f'{timeout:g}s', None)
            except OSError as e:
                return ('closed', 'the server closed the connection during '
                        f'the TLS handshake ({e.strerror or e})', None)
        try:
            first = _read_greeting(sock, deadline)
        except ssl.SSLError as e:
            return ('tls-failed', f'the server ended TLS: {e.reason or e}'
                    ' (does it need a client certificate?)', None)
        except socket.timeout:
            hint = ('' if context is not None else
                    ' (a TLS server waits for the client: add <ssl>?)')
            return ('timeout', 'connected, but the server sent no greeting '
                    f'within {timeout:g}s{hint}', None)
        except OSError as e:
            return 'error', e.strerror or str(e), None
        if not first:
            return ('closed', 'the server closed the connection at once' +
                    (' (does it need a client certificate?)'
                     if context is not None else
                     ' (does it expect TLS?)'), None)
        if not _is_zeo_greeting(first):
            return ('not-zeo', 'something answers there, but not a ZEO '
                    f'server (it sent {first[:16]!r})', None)
        return 'ok', None, time.monotonic() - start
    finally:
        sock.close()


def probe_server(opener, addr, timeout, deadline=None):
    """Probe one server of one storage; return a JSON-able dict.

    The probe ends by *deadline* (a ``time.monotonic()`` value), by
    default *timeout* seconds from now.
    """
    if deadline is None:
        deadline = time.monotonic() + timeout
    kwargs = opener.kwargs()
    result = {'server': format_address(addr), 'status': None, 'mode': None,
              'connect_ms': None, 'latency_ms': None, 'detail': None,
              'usable': False}
    status, detail, first = _raw_probe(
        addr, kwargs['ssl'], kwargs['ssl_server_hostname'], deadline,
        timeout)
    result['status'], result['detail'] = status, detail
    if status != 'ok':
        return result
    result['connect_ms'] = round(first * 1000, 3)

    from ZEO.ClientStorage import ClientStorage
    tag = f'zeoconf-ping-{next(_session_numbers)}'
    failures = _RegistrationFailures(tag)
    # wait=False: the session is watched here, so that a refused storage
    # name is reported when the server says so, not at the deadline (ZEO's
    # client itself would retry until its wait_timeout).
    kwargs.update(addr=[addr], name=tag, wait=False,
                  wait_timeout=max(0.1, deadline - time.monotonic()),
                  read_only=False, read_only_fallback=True, cache=None,
                  blob_dir=None, shared_blob_dir=False,
                  blob_cache_size=None, client_label='zeoconf ping')
    zeo_log = logging.getLogger('ZEO')
    zeo_log.addHandler(failures)
    try:
        storage = ClientStorage(**kwargs)
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
                    return result
                if time.monotonic() >= deadline:
                    result['status'] = 'timeout'
                    result['detail'] = ('the server greeted, but no ZEO '
                                        f'session within {timeout:g}s')
                    return result
                failures.happened.wait(0.02)
            read_only = storage.isReadOnly()
            start = time.monotonic()
            failure = _round_trip(storage, max(0.05, deadline - start))
            if failure is not None:
                result['status'] = 'timeout'
                result['detail'] = ('the server did not answer a call: '
                                    + failure)
                return result
            result['latency_ms'] = round(
                (time.monotonic() - start) * 1000, 3)
        finally:
            storage.close()
    finally:
        zeo_log.removeHandler(failures)
    result['mode'] = 'read-only' if read_only else 'writable'
    wants_writes = not (opener.kwargs()['read_only']
                        or opener.kwargs()['read_only_fallback'])
    if read_only and wants_writes:
        result['status'] = 'read-only'
        result['detail'] = ('the server is read-only; this storage needs '
                            'read-write (or set read-only-fallback)')
    else:
        result['usable'] = True
    return result


def _round_trip(storage, timeout):
    """One call to the server through ClientStorage's public ``ping()``
    (which it gives a connected storage); None when it was answered
    within *timeout* seconds, else why not.

    ``ping()`` waits as long as ZEO lets it, so it runs in a daemon thread
    of its own: a server that stops answering cannot hold the probe past
    its deadline (closing the storage then ends the call).
    """
    answered = threading.Event()
    failed = []

    def call():
        try:
            storage.ping()
        except Exception as e:
            failed.append(f'{type(e).__name__} {e}'.strip())
        finally:
            answered.set()

    threading.Thread(target=call, name='zeoconf ping call',
                     daemon=True).start()
    if not answered.wait(timeout):
        return f'no answer within {round(timeout, 2):g}s'
    return failed[0] if failed else None


def _unfinished(addr, timeout):
    return {'server': format_address(addr), 'status': 'timeout',
            'mode': None, 'connect_ms': None, 'latency_ms': None,
            'detail': f'no result within {timeout:g}s', 'usable': False}


def ping_storages(storages, timeout, progress=None):
    """Probe every server of every storage, all at once.

    *storages* is ``[(label, ClientStorageOpener)]``. Returns
    ``[{'label', 'usable', 'servers': [probe_server results]}]`` in
    configuration order, within *timeout* seconds and a second's grace
    whatever the servers do; writes one line per finished probe to
    *progress*.
    """
    jobs = [(index, opener, addr, label)
            for index, (label, opener) in enumerate(storages)
            for addr in opener.kwargs()['addr']]
    results = [{'label': label, 'usable': False, 'servers': []}
               for label, _ in storages]
    if not jobs:
        return results
    deadline = time.monotonic() + timeout
    finished = queue.Queue()

    def run(number, opener, addr):
        try:
            result = probe_server(opener, addr, timeout, deadline)
        except Exception as e:
            # A probe must report, whatever ZEO raised.
            result = _unfinished(addr, timeout)
            result.update(status='error', detail=f'{type(e).__name__}: {e}')
        finished.put((number, result))

    if progress is not None:
        print(f'ping: {len(jobs)} server{"s" if len(jobs) != 1 else ""} '
              f'of {len(storages)} storage{"s" if len(storages) != 1 else ""}'
              f', {timeout:g}s at most', file=progress, flush=True)
    for number, (_, opener, addr, _) in enumerate(jobs):
        # Daemon threads: one that a server holds past the deadline is
        # given up on, not waited for.
        threading.Thread(target=run, args=(number, opener, addr),
                         name=f'zeoconf ping {number}', daemon=True).start()
    done = {}
    while len(done) < len(jobs):
        left = deadline + GRACE - time.monotonic()
        try:
            number, result = finished.get(timeout=max(0, left))
        except queue.Empty:
            break
        done[number] = result
        if progress is not None:
            label, addr = jobs[number][3], result['server']
            print(f'ping: {label} {addr}: {result["status"]}',
                  file=progress, flush=True)
    for number, (index, _, addr, _) in enumerate(jobs):
        result = done.get(number) or _unfinished(addr, timeout)
        results[index]['servers'].append(result)
        results[index]['usable'] |= result['usable']
    return results
