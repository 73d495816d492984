"""zeoconf.ping's round trip: one server call through ClientStorage's
public ``ping()``, bounded by the probe's deadline."""

from ZEO.ClientStorage import ClientStorage

from zeoconf.ping import _round_trip


def test_a_connected_storage_answers_the_round_trip(zeo_server):
    storage = ClientStorage(zeo_server.address, wait_timeout=5)
    try:
        assert _round_trip(storage, 5) is None
    finally:
        storage.close()


def test_a_server_gone_silent_is_reported_by_the_deadline(make_server):
    # Stopped in this process, the server leaves the session's connection
    # open and never answers (no real peer does it more plainly): the call
    # would wait for as long as ZEO lets it, and the round trip ends by
    # its deadline instead.
    server = make_server()
    storage = ClientStorage(server.address, wait_timeout=1)
    try:
        assert _round_trip(storage, 5) is None
        server.stop()
        failure = _round_trip(storage, 0.5)
    finally:
        storage.close()
    assert failure == 'no answer within 0.5s'
