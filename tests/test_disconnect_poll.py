"""disconnect-poll really sets how often a disconnected client retries.

ZEO's ClientStorage accepts ``disconnect_poll`` and drops it; its
connection thread waits ``disconnect_poll + random()`` seconds (random()
in [0, 1)) after each failed attempt, always with 1. zeoconf's ``open()``
passes the value to that thread through ClientStorage's ``_client_factory``.

The peer is a real listener whose TLS handshake always fails (it accepts
and closes at once), so each connection attempt is one ``accept``; the
client uses real TLS. Counting attempts in a window gives bounds that do
not depend on the machine's speed:

- poll 10 s: the second attempt comes 10-11 s after the first, so a 2.5 s
  window sees exactly one;
- ZEO's own 1 s: the second comes within 2 s, so the window sees two or
  more;
- poll 10 ms: attempts come at most 1.01 s apart, so the window sees three
  or more.
"""

import socket
import threading
import time

import pytest

import zeoconf
from zeoconf import openers, poll

WINDOW = 2.5


class FailingTLSListener:
    """Accepts TCP connections and closes them at once; counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def listener():
    server = FailingTLSListener()
    yield server
    server.close()


def _opener(listener, certs, poll_line):
    return zeoconf.parse_clientstorage(f"""
        <clientstorage>
          server localhost:{listener.port}
          wait false
          {poll_line}
          <ssl>
            authenticate {certs.ca}
          </ssl>
        </clientstorage>""")


def _attempts_in_window(storage, listener):
    try:
        time.sleep(WINDOW)
        return listener.accepted
    finally:
        storage.close()


@pytest.mark.slow
def test_long_poll_delays_the_retry(listener, certs):
    storage = _opener(listener, certs, 'disconnect-poll 10').open()
    assert _attempts_in_window(storage, listener) == 1


@pytest.mark.slow
def test_short_poll_retries_often(listener, certs):
    storage = _opener(listener, certs, 'disconnect-poll 10ms').open()
    assert _attempts_in_window(storage, listener) >= 3


@pytest.mark.slow
def test_zeo_alone_drops_disconnect_poll(listener, certs):
    """Why open() needs the hook: plain ClientStorage ignores the value.

    If this starts failing, the installed ZEO honours disconnect_poll by
    itself and the hook in zeoconf.openers can go.
    """
    from ZEO.ClientStorage import ClientStorage
    kwargs = _opener(listener, certs, 'disconnect-poll 10').kwargs()
    assert kwargs['disconnect_poll'] == 10
    storage = ClientStorage(**kwargs)
    assert _attempts_in_window(storage, listener) >= 2


def test_open_passes_the_poll_to_the_connection_thread(zeo_server):
    storage = zeoconf.parse_clientstorage(f"""
        <clientstorage>
          server {zeo_server.config_address}
          disconnect-poll 2.5
        </clientstorage>""").open()
    try:
        assert storage._server.client.connect_poll == 2.5
    finally:
        storage.close()


def test_open_fails_loudly_without_the_hook(monkeypatch):
    # The one thing no real peer can stand for: a ZEO without the hook.
    import ZEO.asyncio.client

    class ThreadWithoutPoll:
        def __init__(self, addrs, client, cache, storage_key='1',
                     read_only=False, timeout=30, ssl=None,
                     ssl_server_hostname=None):
            raise AssertionError('not to be reached')

    monkeypatch.setattr(ZEO.asyncio.client, 'ClientThread', ThreadWithoutPoll)
    with pytest.raises(poll.ZEOCompatibilityError,
                       match='disconnect-poll 3 cannot take effect'):
        poll.client_factory(3.0)
    # ZEO's own default needs no hook.
    assert poll.client_factory(1.0) is None
    # Where zeoconf 0.1 had it, without a process start paying for it.
    assert openers.ZEOCompatibilityError is poll.ZEOCompatibilityError
