"""What only ZEO's own state shows: an option reaches the ClientStorage.

Every other test checks public behaviour (``kwargs()``, a live round
trip). These few read ZEO's private attributes, to prove that a value
zeoconf resolves is the one the running ClientStorage uses; they are kept
together here so that a ZEO release that renames its internals breaks one
file. ``disconnect-poll`` above all: ZEO's ClientStorage accepts
``disconnect_poll`` and drops it, and only its connection thread's
``connect_poll`` shows that zeoconf's ``open()`` made it take effect.
"""

import logging

import pytest
import ZODB.config

import zeoconf
from zeoconf import openers


def _clientstorage(body):
    return zeoconf.parse_clientstorage(
        f'<clientstorage>\n{body}\n</clientstorage>\n')


@pytest.fixture
def opened():
    storages = []

    def open_(opener, **kwargs):
        if kwargs:
            from ZEO.ClientStorage import ClientStorage
            storage = ClientStorage(**kwargs)
        else:
            storage = opener.open()
        storages.append(storage)
        return storage

    yield open_
    for storage in storages:
        storage.close()


def test_defaults_reach_zeo(zeo_server, zodb_conf, open_db):
    storage = open_db(zodb_conf(f'server {zeo_server.config_address}')).storage
    assert storage._addr == [('127.0.0.1', zeo_server.port)]
    assert storage._storage == '1'
    assert storage._cache.maxsize == 20 * 1024 * 1024
    assert storage._cache.path is None
    assert storage._server.timeout == 30
    assert storage._server.client.connect_poll == 1
    assert storage._client_label is None


def test_every_key_reaches_zeo(make_server, zodb_conf, open_db, tmp_path):
    server = make_server(storage_name='main')
    storage = open_db(zodb_conf(f"""
        server {server.config_address}
        storage main
        cache-size 3MB
        cache-path {tmp_path}/main.zec
        blob-dir {tmp_path}/blobcache
        blob-cache-size 100MB
        blob-cache-size-check 25%
        wait-timeout 7s
        disconnect-poll 250ms
        client-label web-1
    """)).storage
    assert storage._storage == 'main'
    assert storage._cache.maxsize == 3 * 1024 * 1024
    assert storage._cache.path == f'{tmp_path}/main.zec'
    assert storage._blob_cache_size == 100 * 1024 * 1024
    # ZEO keeps the check as bytes: 25% of the size.
    assert storage._blob_cache_size_check == 25 * 1024 * 1024
    assert storage._server.timeout == 7
    assert storage._server.client.connect_poll == 0.25
    assert storage._client_label == 'web-1'


@pytest.mark.parametrize('line, poll', [
    ('disconnect-poll 2.5', 2.5),
    ('min-disconnect-poll 3', 3),
    ('', openers.ZEO_DISCONNECT_POLL),
])
def test_open_makes_the_poll_reach_the_connection_thread(zeo_server, opened,
                                                         line, poll):
    opener = _clientstorage(f'server {zeo_server.config_address}\n{line}')
    assert opener.kwargs()['disconnect_poll'] == poll
    assert opened(opener)._server.client.connect_poll == poll


def test_zeo_alone_drops_disconnect_poll(zeo_server, opened):
    """Why open() needs ZEO's hook: ClientStorage(**kwargs()) ignores the
    value. If this fails, the installed ZEO honours disconnect_poll by
    itself and openers._client_factory can go."""
    opener = _clientstorage(f'server {zeo_server.config_address}\n'
                            f'disconnect-poll 10')
    storage = opened(opener, **opener.kwargs())
    assert storage._server.client.connect_poll == openers.ZEO_DISCONNECT_POLL


def test_a_zeo_without_the_hook_gives_one_warning_and_opens(
        zeo_server, opened, monkeypatch, zeoconf_warnings):
    # The one thing no real peer can stand for: an installed ZEO whose
    # connection thread takes no disconnect_poll. ClientStorage's default
    # thread class is bound at its definition, so the storage itself
    # still runs on the real one.
    import ZEO.asyncio.client

    class ThreadWithoutPoll:
        def __init__(self, addrs, client, cache, storage_key='1',
                     read_only=False, timeout=30, ssl=None,
                     ssl_server_hostname=None):
            raise AssertionError('zeoconf must not pass this on')

    monkeypatch.setattr(ZEO.asyncio.client, 'ClientThread', ThreadWithoutPoll)
    opener = _clientstorage(f'server {zeo_server.config_address}\n'
                            f'disconnect-poll 3')
    db = ZODB.DB(opened(opener))
    with db.transaction() as conn:
        conn.root()['x'] = 1
    [warning] = zeoconf_warnings()
    assert warning.startswith('disconnect-poll 3s cannot take effect')
    assert 'ZEO retries every 1s' in warning
    # ZEO's own default needs no hook, and no warning.
    opened(_clientstorage(f'server {zeo_server.config_address}'))
    assert len(zeoconf_warnings()) == 1


def test_shared_blob_dir_drops_blob_cache_size_before_zeo(
        zeo_server, zodb_conf, open_db, caplog):
    caplog.set_level(logging.WARNING, logger='zeoconf')
    storage = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        blob-dir {zeo_server.blob_dir}
        shared-blob-dir true
        blob-cache-size 1MB""")).storage
    assert storage.shared_blob_dir is True
    assert storage._blob_cache_size is None


@pytest.mark.parametrize('body, path', [
    ('client web1\nvar {tmp}', '{tmp}/web1-1.zec'),
    ('cache-path {tmp}/direct.zec\nclient web1\nvar {tmp}',
     '{tmp}/direct.zec'),
    ('var {tmp}', None),
])
def test_the_cache_file_zeo_uses(zeo_server, zodb_conf, open_db, tmp_path,
                                 caplog, body, path):
    caplog.set_level(logging.WARNING, logger='zeoconf')
    storage = open_db(zodb_conf(
        f'server {zeo_server.config_address}\n'
        + body.format(tmp=tmp_path))).storage
    assert storage._cache.path == (path and path.format(tmp=tmp_path))
