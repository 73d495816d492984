"""``zeoconf ping``: reach every configured server, say how it went.

Each server is probed twice, concurrently with the others:

1. a raw connection with the storage's own TLS context, which gives the
   precise reason when it fails (refused, time-out, the certificate's
   verification error, the server closing on us) and the time to the
   server's first message;
2. a ZEO session (``ClientStorage`` with only that server, in memory, with
   ``read_only_fallback`` so that a read-only server still answers), which
   tells read-only from writable, a missing storage name, and the round
   trip of one server call.
"""

import concurrent.futures
import logging
import socket
import ssl
import time

from zeoconf.datatypes import format_address

__all__ = ['ping_storages', 'probe_server']


class _RegistrationFailures(logging.Handler):
    """Collects ZEO's 'registration failed' log records (wrong storage)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        # logging holds this handler's own lock around emit().
        text = record.getMessage()
        if 'Registration' in text:
            self.messages.append(text)


def _raw_probe(addr, context, server_hostname, timeout):
    """(status, detail, seconds to the first message) of a raw connection."""
    start = time.monotonic()
    try:
        if isinstance(addr, str):
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(timeout)
            sock.connect(addr)
        else:
            sock = socket.create_connection(addr, timeout)
    except ConnectionRefusedError:
        return 'refused', 'connection refused: nothing listens there', None
    except socket.timeout:
        return 'timeout', f'no answer within {timeout:g}s', None
    except socket.gaierror as e:
        return 'error', f'cannot resolve the host name: {e.strerror}', None
    except OSError as e:
        return 'error', e.strerror or str(e), None
    try:
        sock.settimeout(max(0.1, timeout - (time.monotonic() - start)))
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
                return 'tls-failed', f'TLS failed: {e.reason or e}', None
        try:
            first = sock.recv(64)
        except ssl.SSLError as e:
            return ('tls-failed', f'the server ended TLS: {e.reason or e}'
                    ' (does it need a client certificate?)', None)
        except socket.timeout:
            return 'timeout', 'connected, but the server said nothing', None
        except OSError as e:
            return 'error', e.strerror or str(e), None
        if not first:
            return ('closed', 'the server closed the connection at once' +
                    (' (does it need a client certificate?)'
                     if context is not None else
                     ' (does it expect TLS?)'), None)
        return 'ok', None, time.monotonic() - start
    finally:
        sock.close()


def probe_server(opener, addr, timeout):
    """Probe one server of one storage; return a JSON-able dict."""
    kwargs = opener.kwargs()
    result = {'server': format_address(addr), 'status': None, 'mode': None,
              'latency_ms': None, 'detail': None, 'usable': False}
    deadline = time.monotonic() + timeout
    status, detail, first = _raw_probe(
        addr, kwargs['ssl'], kwargs['ssl_server_hostname'], timeout)
    result['status'], result['detail'] = status, detail
    if status != 'ok':
        return result

    from ZEO.ClientStorage import ClientStorage
    from ZEO.Exceptions import ClientDisconnected
    # The session gets what is left of the server's time.
    remaining = max(0.5, deadline - time.monotonic())
    kwargs.update(addr=[addr], wait_timeout=remaining, wait=True,
                  read_only=False, read_only_fallback=True, cache=None,
                  blob_dir=None, shared_blob_dir=False,
                  blob_cache_size=None, client_label='zeoconf ping')
    failures = _RegistrationFailures()
    zeo_log = logging.getLogger('ZEO')
    zeo_log.addHandler(failures)
    try:
        try:
            storage = ClientStorage(**kwargs)
        except ClientDisconnected:
            if failures.messages:
                result['status'] = 'no-storage'
                result['detail'] = (f'the server refused storage '
                                    f'{kwargs["storage"]!r}: is the name '
                                    f'right?')
            else:
                result['status'] = 'timeout'
                result['detail'] = f'no ZEO session within {timeout:g}s'
            return result
        try:
            read_only = storage.isReadOnly()
            start = time.monotonic()
            storage._call('lastTransaction')
            result['latency_ms'] = (time.monotonic() - start) * 1000
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


def ping_storages(storages, timeout, progress=None):
    """Probe every server of every storage concurrently.

    *storages* is ``[(label, ClientStorageOpener)]``. Returns
    ``[{'label', 'usable', 'servers': [probe_server results]}]`` in
    configuration order; writes one line per finished probe to
    *progress*.
    """
    jobs = [(index, opener, addr, label)
            for index, (label, opener) in enumerate(storages)
            for addr in opener.kwargs()['addr']]
    results = [{'label': label, 'usable': False, 'servers': []}
               for label, _ in storages]
    if not jobs:
        return results
    done = {}
    with concurrent.futures.ThreadPoolExecutor(min(16, len(jobs))) as pool:
        futures = {pool.submit(probe_server, opener, addr, timeout): job
                   for job in jobs for (_, opener, addr, _) in [job]}
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            result = future.result()
            done[id(job)] = result
            if progress is not None:
                print(f'ping: {job[3]} {result["server"]}: '
                      f'{result["status"]}', file=progress, flush=True)
    for job in jobs:
        index = job[0]
        result = done[id(job)]
        results[index]['servers'].append(result)
        results[index]['usable'] |= result['usable']
    return results
