"""zeoconf.ping's round trip: one server call through ClientStorage's
public ``ping()``, bounded by the probe's deadline."""

import os
import signal
import subprocess
import sys

from ZEO.ClientStorage import ClientStorage

from zeoconf.ping import _round_trip


def test_a_connected_storage_answers_the_round_trip(zeo_server):
    storage = ClientStorage(zeo_server.address, wait_timeout=5)
    try:
        assert _round_trip(storage, 5) is None
    finally:
        storage.close()


_SERVER = """
import sys
import ZODB.FileStorage
from ZEO.StorageServer import StorageServer
server = StorageServer(('127.0.0.1', 0),
                       {'1': ZODB.FileStorage.FileStorage(sys.argv[1])})
print(server.acceptor.addr[1], flush=True)
server.loop()
"""


def test_a_server_gone_silent_is_reported_by_the_deadline(tmp_path):
    # A real server in a child process, stopped (SIGSTOP) after its first
    # answer: the connection stays open and nothing answers, on every ZEO
    # (a server closed in this process drops its connections on ZEO 5).
    # The call would wait for as long as ZEO lets it; the round trip ends
    # by its deadline instead.
    child = subprocess.Popen(
        [sys.executable, '-c', _SERVER, str(tmp_path / 'Data.fs')],
        stdout=subprocess.PIPE, text=True)
    try:
        port = int(child.stdout.readline())
        storage = ClientStorage(('127.0.0.1', port), wait_timeout=10)
        try:
            assert _round_trip(storage, 5) is None
            os.kill(child.pid, signal.SIGSTOP)
            failure = _round_trip(storage, 0.5)
        finally:
            child.kill()
            storage.close()
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()
    assert failure == 'no answer within 0.5s'
