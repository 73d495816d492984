"""ClientStorageOpener against live ZEO servers: every key lands.

Each test reads a ``%import zeoconf`` configuration with ZODB's own
schema, checks the keyword arguments its opener resolves (``kwargs()``),
and opens a real database through ``ZODB.config`` against a real ZEO
server. What can only be seen in ZEO's own state is in test_zeo_state.py.
"""

import io
import os
import socket
import time

import pytest
import transaction
import ZConfig
import ZODB.blob
import ZODB.config
import ZODB.POSException
from ZEO.Exceptions import ClientDisconnected

import zeoconf
from zeoconf.testing import ThrowawayServer


def _commit_and_read_back(db, value='hello'):
    with db.transaction() as conn:
        conn.root()['key'] = value
    with db.transaction() as conn:
        assert conn.root()['key'] == value


def _opener(text):
    """The opener of the first database's storage, as ZODB.config's own
    schema gives it (``ZODB.config.databaseFromString`` opens it)."""
    config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                       io.StringIO(text))
    return config.database[0].config.storage


def _free_port():
    # A port nothing listens on: bind, read the number, close.
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


DEFAULTS = {
    'storage': '1', 'name': '', 'cache_size': 20 * 1024 * 1024,
    'cache': None, 'blob_dir': None, 'shared_blob_dir': False,
    'blob_cache_size': None, 'blob_cache_size_check': 10,
    'read_only': False, 'read_only_fallback': False, 'server_sync': False,
    'wait_timeout': 30.0, 'disconnect_poll': 1.0, 'client_label': None,
    'wait': True, 'ssl': None, 'ssl_server_hostname': None,
}


def test_defaults_are_zeos_own(zeo_server, zodb_conf, open_db):
    text = zodb_conf(f'server {zeo_server.config_address}')
    assert _opener(text).kwargs() == dict(
        DEFAULTS, addr=[('127.0.0.1', zeo_server.port)])
    _commit_and_read_back(open_db(text))


def test_every_key_resolves_and_opens_a_working_storage(
        make_server, zodb_conf, open_db, tmp_path):
    server = make_server(storage_name='main')
    blobs = tmp_path / 'blobcache'
    text = zodb_conf(f"""
        server {server.config_address}
        storage main
        name primary
        cache-size 3MB
        cache-path {tmp_path}/main.zec
        blob-dir {blobs}
        blob-cache-size 100MB
        blob-cache-size-check 25%
        server-sync on
        wait-timeout 7s
        disconnect-poll 250ms
        client-label web-1
    """)
    assert _opener(text).kwargs() == dict(
        DEFAULTS, addr=[('127.0.0.1', server.port)], storage='main',
        name='primary', cache_size=3 * 1024 * 1024,
        cache=f'{tmp_path}/main.zec', blob_dir=str(blobs),
        blob_cache_size=100 * 1024 * 1024, blob_cache_size_check=25,
        server_sync=True, wait_timeout=7.0, disconnect_poll=0.25,
        client_label='web-1')
    db = open_db(text)
    storage = db.storage
    assert storage.__name__ == 'primary'
    assert storage.blob_dir == str(blobs)
    assert storage.shared_blob_dir is False
    assert storage.server_sync is True
    _commit_and_read_back(db)
    with db.transaction() as conn:
        conn.root()['blob'] = ZODB.blob.Blob(b'blob data')
    with db.transaction() as conn:
        with conn.root()['blob'].open() as f:
            assert f.read() == b'blob data'
        assert conn.root()['blob'].committed().startswith(str(blobs))
    assert os.path.getsize(f'{tmp_path}/main.zec') > 0


def test_kwargs_are_what_open_passes(zeo_server, tmp_path):
    text = f"""
        <clientstorage>
          server {zeo_server.config_address}
          server other.example.com:8200
          cache-size 1.5GB
          read-only true
        </clientstorage>"""
    kwargs = zeoconf.client_kwargs(text)
    assert kwargs['addr'] == [('127.0.0.1', zeo_server.port),
                              ('other.example.com', 8200)]
    assert type(kwargs['addr'][0]) is tuple
    assert kwargs['cache_size'] == 1610612736
    assert kwargs['read_only'] is True
    assert kwargs['disconnect_poll'] == 1.0
    assert kwargs['ssl'] is None
    # ClientStorage(**kwargs) alone accepts every argument.
    from ZEO.ClientStorage import ClientStorage
    storage = ClientStorage(**dict(kwargs, addr=kwargs['addr'][:1]))
    try:
        assert storage.isReadOnly()
    finally:
        storage.close()


def test_import_line_is_optional_for_client_kwargs():
    with_import = zeoconf.client_kwargs(
        '%import zeoconf\n<clientstorage>\nserver zeo:1\n</clientstorage>')
    without = zeoconf.client_kwargs('<clientstorage>\nserver zeo:1\n'
                                    '</clientstorage>')
    assert with_import == without


def test_read_only_refuses_commits(zeo_server, zodb_conf, open_db):
    _commit_and_read_back(open_db(zodb_conf(
        f'server {zeo_server.config_address}')))
    db = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        read-only true"""))
    assert db.storage.isReadOnly()
    conn = db.open()
    conn.root()['x'] = 1
    with pytest.raises(ZODB.POSException.ReadOnlyError):
        transaction.commit()
    transaction.abort()
    conn.close()


def test_read_only_server_refuses_a_writable_client(make_server, zodb_conf):
    server = make_server(read_only=True)
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(zodb_conf(f"""
            server {server.config_address}
            wait-timeout 1"""))


def test_read_only_fallback_accepts_a_read_only_server(make_server,
                                                       zodb_conf, open_db):
    server = make_server(read_only=True)
    db = open_db(zodb_conf(f"""
        server {server.config_address}
        read-only-fallback true
        wait-timeout 5"""))
    assert db.storage.isReadOnly()
    with db.transaction() as conn:
        assert conn.root() == {}


def test_read_only_is_ignored_with_read_only_fallback(zeo_server, zodb_conf,
                                                      open_db):
    db = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        read-only-fallback true
        read-only true"""))
    # A writable server is preferred, and read-only does not stop it.
    assert not db.storage.isReadOnly()
    _commit_and_read_back(db)


def test_several_servers_fail_over_to_the_second(zeo_server, zodb_conf,
                                                 open_db):
    dead = _free_port()
    text = zodb_conf(f"""
        server 127.0.0.1:{dead}
        server {zeo_server.config_address}
        wait-timeout 5""")
    assert _opener(text).kwargs()['addr'] == [
        ('127.0.0.1', dead), ('127.0.0.1', zeo_server.port)]
    db = open_db(text)
    _commit_and_read_back(db)


def test_bare_port_means_localhost(zeo_server, zodb_conf, open_db):
    db = open_db(zodb_conf(f'server {zeo_server.port}'))
    _commit_and_read_back(db)


def test_ipv6_address(make_server, zodb_conf, open_db):
    server = make_server(address=('::1', 0))
    text = zodb_conf(f'server {server.config_address}')
    assert _opener(text).kwargs()['addr'] == [('::1', server.address[1])]
    db = open_db(text)
    _commit_and_read_back(db)


def test_unix_socket_server(make_server, zodb_conf, open_db):
    # Socket paths are limited to about 100 bytes: use a short directory.
    import tempfile
    directory = tempfile.mkdtemp(prefix='zc', dir='/tmp')
    path = os.path.join(directory, 'zeo.sock')
    try:
        make_server(address=path)
        text = zodb_conf(f'server {path}')
        assert _opener(text).kwargs()['addr'] == [path]
        db = open_db(text)
        _commit_and_read_back(db)
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(directory)


def test_shared_blob_dir_reads_the_servers_blobs(zeo_server, zodb_conf,
                                                 open_db):
    db = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        blob-dir {zeo_server.blob_dir}
        shared-blob-dir true"""))
    assert db.storage.shared_blob_dir is True
    with db.transaction() as conn:
        conn.root()['blob'] = ZODB.blob.Blob(b'shared')
    with db.transaction() as conn:
        blob = conn.root()['blob']
        # The committed file is the server's own, read in place.
        assert blob.committed().startswith(zeo_server.blob_dir)
        with blob.open() as f:
            assert f.read() == b'shared'


def test_blobs_through_blob_dir_reach_a_second_client(zeo_server, zodb_conf,
                                                      open_db, tmp_path):
    first = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        blob-dir {tmp_path}/one"""))
    # server-sync: the second client's next transaction waits for the
    # invalidation of the first client's commit (no race under load).
    second = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        blob-dir {tmp_path}/two
        server-sync true"""))
    with first.transaction() as conn:
        conn.root()['blob'] = ZODB.blob.Blob(b'x' * 100000)
    with second.transaction() as conn:
        blob = conn.root()['blob']
        with blob.open() as f:
            assert len(f.read()) == 100000
        assert blob.committed().startswith(f'{tmp_path}/two')


def test_persistent_cache_through_cache_path_survives_restart(
        zeo_server, zodb_conf, tmp_path):
    text = zodb_conf(f"""
        server {zeo_server.config_address}
        cache-path {tmp_path}/app.zec""")
    db = ZODB.config.databaseFromString(text)
    _commit_and_read_back(db, 'cached')
    db.close()
    size = os.path.getsize(tmp_path / 'app.zec')
    assert size > 0
    db = ZODB.config.databaseFromString(text)
    try:
        _commit_and_read_back(db, 'cached')
    finally:
        db.close()
    # The same file, kept and grown, not a new one beside it.
    assert os.path.getsize(tmp_path / 'app.zec') >= size
    assert sorted(tmp_path.glob('*.zec')) == [tmp_path / 'app.zec']


def test_persistent_cache_through_client_and_var(zeo_server, zodb_conf,
                                                 open_db, tmp_path):
    db = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        client web1
        var {tmp_path}"""))
    _commit_and_read_back(db)
    assert (tmp_path / 'web1-1.zec').stat().st_size > 0


def test_client_without_var_uses_the_current_directory(
        zeo_server, zodb_conf, open_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = zodb_conf(f"""
        server {zeo_server.config_address}
        client web2""")
    assert _opener(text).kwargs()['cache'] == f'{tmp_path}/web2-1.zec'
    _commit_and_read_back(open_db(text))
    assert (tmp_path / 'web2-1.zec').stat().st_size > 0


def test_client_without_var_in_a_removed_working_directory_is_refused(
        zodb_conf, tmp_path, monkeypatch):
    gone = tmp_path / 'gone'
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    text = zodb_conf("""
        server zeo:8100
        client web2""")
    with pytest.raises(ZConfig.ConfigurationError) as e:
        _opener(text)
    assert 'client web2 names a cache file in the working directory' in str(
        e.value)
    assert 'add var' in str(e.value)


def test_cache_path_beats_client_and_var_with_a_warning(
        zeo_server, zodb_conf, open_db, tmp_path, zeoconf_warnings):
    db = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        cache-path {tmp_path}/direct.zec
        client web1
        var {tmp_path}"""))
    _commit_and_read_back(db)
    assert sorted(tmp_path.glob('*.zec')) == [tmp_path / 'direct.zec']
    [warning] = zeoconf_warnings()
    assert 'client' in warning and 'cache-path' in warning


def _open_storage(body):
    return zeoconf.parse_clientstorage(
        f'<clientstorage>\n{body}\n</clientstorage>').open()


def test_wait_false_returns_before_a_server_answers():
    storage = _open_storage(f"""
        server 127.0.0.1:{_free_port()}
        wait false""")
    try:
        assert not storage.is_connected()
    finally:
        storage.close()


def test_wait_false_connects_when_the_server_comes_up(tmp_path):
    port = _free_port()
    storage = _open_storage(f"""
        server 127.0.0.1:{port}
        wait false
        disconnect-poll 100ms""")
    try:
        with ThrowawayServer(str(tmp_path / 'late'), ('127.0.0.1', port)):
            # A guard against hanging, not a timing: the client retries
            # every 100ms on its own.
            for _ in range(400):
                if storage.is_connected():
                    break
                time.sleep(0.05)
            assert 'connections' in storage.server_status()
    finally:
        storage.close()


def test_wait_timeout_fails_with_client_disconnected(zodb_conf):
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(zodb_conf(f"""
            server 127.0.0.1:{_free_port()}
            wait-timeout 500ms"""))


def test_min_disconnect_poll_means_disconnect_poll(zeo_server, zodb_conf,
                                                   open_db):
    text = zodb_conf(f"""
        server {zeo_server.config_address}
        min-disconnect-poll 3""")
    assert _opener(text).kwargs()['disconnect_poll'] == 3.0
    _commit_and_read_back(open_db(text))


@pytest.mark.parametrize('key, value', [
    ('max-disconnect-poll', '300'),
    ('drop-cache-rather-verify', 'true'),
    ('username', 'admin'),
    ('password', 'hunter2-secret'),
    ('realm', 'zeo'),
])
def test_ignored_zeoclient_keys_warn_once(zeo_server, zodb_conf, open_db,
                                          zeoconf_warnings, key, value):
    db = open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        {key} {value}"""))
    _commit_and_read_back(db)
    [warning] = zeoconf_warnings()
    assert warning.startswith(
        f'<clientstorage> for 127.0.0.1:{zeo_server.port}: {key} is '
        f'ignored: ')
    assert 'hunter2' not in warning


def test_multi_database_with_two_servers(make_server, open_db):
    one, two = make_server(), make_server()
    db = open_db(f"""
        %import zeoconf
        <zodb first>
          database-name first
          <clientstorage>
            server {one.config_address}
          </clientstorage>
        </zodb>
        <zodb second>
          database-name second
          <clientstorage>
            server {two.config_address}
          </clientstorage>
        </zodb>
    """)
    assert sorted(db.databases) == ['first', 'second']
    other = db.databases['second']
    conn = db.open()
    try:
        root2 = conn.get_connection('second').root()
        conn.root()['here'] = 1
        root2['there'] = 2
        transaction.commit()
    finally:
        conn.close()
    with other.transaction() as conn:
        assert conn.root()['there'] == 2
    # Each database wrote to its own server.
    from ZEO.ClientStorage import ClientStorage
    for server, key, absent in ((one, 'here', 'there'),
                                (two, 'there', 'here')):
        direct = ZODB.DB(ClientStorage(server.address))
        try:
            with direct.transaction() as conn:
                assert key in conn.root() and absent not in conn.root()
        finally:
            direct.close()


def test_storage_from_string_opens_a_bare_section(zeo_server):
    storage = ZODB.config.storageFromString(
        f'%import zeoconf\n<clientstorage>\nserver '
        f'{zeo_server.config_address}\n</clientstorage>\n')
    try:
        assert storage.is_connected()
    finally:
        storage.close()


def test_blob_cache_size_is_ignored_with_shared_blob_dir(
        zeo_server, zodb_conf, open_db, zeoconf_warnings):
    text = zodb_conf(f"""
        server {zeo_server.config_address}
        blob-dir {zeo_server.blob_dir}
        shared-blob-dir true
        blob-cache-size 1MB""")
    open_db(text)
    [warning] = zeoconf_warnings()
    assert 'blob-cache-size is ignored with shared-blob-dir' in \
        warning
    # ZEO would trim the server's own blob directory; zeoconf drops it.
    assert _opener(text).kwargs()['blob_cache_size'] is None


def test_var_without_client_warns(zeo_server, zodb_conf, open_db, tmp_path,
                                  zeoconf_warnings):
    text = zodb_conf(f"""
        server {zeo_server.config_address}
        var {tmp_path}""")
    _commit_and_read_back(open_db(text))
    assert list(tmp_path.glob('*.zec')) == []
    [warning] = zeoconf_warnings()
    assert 'var is ignored without client' in warning
    assert _opener(text).kwargs()['cache'] is None


# The layout ZODB writes into a blob directory decides what it can serve.

def _layout_config(blob_dir, shared):
    return (f'<clientstorage>\nserver zeo:8100\nblob-dir {blob_dir}\n'
            f'shared-blob-dir {shared}\n</clientstorage>\n')


@pytest.fixture
def private_blob_cache(zeo_server, zodb_conf, tmp_path):
    """A blob directory ZEO's own client made: layout 'zeocache'."""
    path = tmp_path / 'private'
    db = ZODB.config.databaseFromString(zodb_conf(f"""
        server {zeo_server.config_address}
        blob-dir {path}"""))
    db.close()
    return path


@pytest.mark.parametrize('made_by, shared, layout, fix', [
    ('server', 'false', 'bushy', 'set shared-blob-dir true if it is the '
                                 "server's blob directory"),
    ('client', 'true', 'zeocache', 'set shared-blob-dir false, or give the '
                                   "server's blob directory"),
])
def test_a_blob_directory_of_the_other_layout_is_refused_naming_both_keys(
        zeo_server, private_blob_cache, made_by, shared, layout, fix):
    blob_dir = zeo_server.blob_dir if made_by == 'server' else \
        str(private_blob_cache)
    assert (open(os.path.join(blob_dir, '.layout')).read().strip()
            == layout)           # ZODB's own marker
    text = _layout_config(blob_dir, shared)
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.parse_clientstorage(text)
    message = e.value.message
    assert e.value.lineno == 4
    assert f'blob-dir {blob_dir!r}' in message
    assert f'(layout {layout!r}), but shared-blob-dir is {shared}' in message
    assert fix in message
    assert message.endswith('(blob-dir: line 3)')
    # Under ZODB.config too, at parse time.
    with pytest.raises(ZConfig.ConfigurationError) as plain:
        ZODB.config.storageFromString('%import zeoconf\n' + text)
    assert f'(layout {layout!r}), but shared-blob-dir is {shared}' in \
        plain.value.message
    # Reviewed for another machine, the disk is not looked at.
    opener = zeoconf.parse_clientstorage(text, offline=True)
    assert opener.kwargs()['blob_dir'] == blob_dir


def test_a_private_blob_cache_made_by_zeo_serves_again(
        zeo_server, zodb_conf, open_db, private_blob_cache):
    _commit_and_read_back(open_db(zodb_conf(f"""
        server {zeo_server.config_address}
        blob-dir {private_blob_cache}
        shared-blob-dir false""")))


def test_several_servers_on_one_line_under_zodb_config(
        zeo_server, zodb_conf, open_db):
    dead = _free_port()
    text = zodb_conf(f"""
        server 127.0.0.1:{dead} {zeo_server.config_address}
        wait-timeout 10""")
    assert _opener(text).kwargs()['addr'] == [
        ('127.0.0.1', dead), ('127.0.0.1', zeo_server.port)]
    _commit_and_read_back(open_db(text))
