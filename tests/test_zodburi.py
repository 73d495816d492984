"""zodburi's ``zconfig://`` URIs on a file that imports zeoconf.

zodburi (used by pyramid_zodbconn, repoze.zodbconn and others) loads the
file with its own schema importing ZODB; ``%import zeoconf`` in the file
brings ``<clientstorage>`` in. ``zconfig:///path#name`` picks the
``<zodb name>`` (or top-level storage section) of that name and returns a
storage factory and ``ZODB.DB`` keyword arguments. Every URI is resolved
and used as such an application would, against live servers: one plain,
one requiring TLS client certificates.
"""

import pytest
import ZODB
import zodburi


@pytest.fixture
def two_servers(make_server, tls_server, certs, tmp_path):
    """A plain server, a TLS server and a file naming both, three ways."""
    plain = make_server()
    path = tmp_path / 'zodb.conf'
    path.write_text(f"""\
%import zeoconf

<zodb plain>
  cache-size-bytes 64MB
  <clientstorage>
    server {plain.config_address}
    client-label zodburi-plain
  </clientstorage>
</zodb>

<zodb secure>
  database-name secure
  <clientstorage>
    server localhost:{tls_server.port}
    <ssl>
      authenticate {certs.ca}
      certificate {certs.client_cert}
      key {certs.client_key}
    </ssl>
  </clientstorage>
</zodb>

# A storage section at top level: zodburi takes database arguments from
# the URI's query string instead.
<clientstorage bare>
  server {plain.config_address}
  read-only true
</clientstorage>
""")
    return plain, tls_server, path


def _commit(factory, dbkw, key, value):
    db = ZODB.DB(factory(), **dbkw)
    try:
        with db.transaction() as conn:
            conn.root()[key] = value
    finally:
        db.close()


def _read(factory, dbkw, key):
    # A new storage from the factory: a second ZEO client, which can only
    # see the value if the first one really committed it to the server.
    db = ZODB.DB(factory(), **dbkw)
    try:
        with db.transaction() as conn:
            return conn.root().get(key)
    finally:
        db.close()


def test_each_named_zodb_section_resolves_to_its_own_server(two_servers):
    plain, secure, path = two_servers
    for name, server in (('plain', plain), ('secure', secure)):
        factory, dbkw = zodburi.resolve_uri(f'zconfig://{path}#{name}')
        storage = factory()
        try:
            host = 'localhost' if server.ssl_context else '127.0.0.1'
            assert storage._addr == [(host, server.port)]
            assert storage.is_connected()
        finally:
            storage.close()
        _commit(factory, dbkw, 'written-via', name)
        assert _read(factory, dbkw, 'written-via') == name
    # Each server holds only what its own section wrote: had both
    # sections reached one server, 'secure' would now be read here.
    factory, dbkw = zodburi.resolve_uri(f'zconfig://{path}#plain')
    assert _read(factory, dbkw, 'written-via') == 'plain'


def test_database_arguments_come_from_the_zodb_section(two_servers):
    _, _, path = two_servers
    _, dbkw = zodburi.resolve_uri(f'zconfig://{path}#plain')
    assert dbkw['cache_size_bytes'] == 64 * 1024 ** 2
    _, dbkw = zodburi.resolve_uri(f'zconfig://{path}#secure')
    assert dbkw['database_name'] == 'secure'


def test_tls_section_opens_with_the_configured_context(two_servers):
    _, secure, path = two_servers
    factory, _ = zodburi.resolve_uri(f'zconfig://{path}#secure')
    storage = factory()
    try:
        context = storage._server.client.ssl
        assert context is not None and context.check_hostname
        assert storage.is_connected()
    finally:
        storage.close()


def test_without_a_fragment_the_first_section_is_used(two_servers):
    plain, _, path = two_servers
    factory, _ = zodburi.resolve_uri(f'zconfig://{path}')
    storage = factory()
    try:
        assert storage._client_label == 'zodburi-plain'
        assert storage._addr == [('127.0.0.1', plain.port)]
    finally:
        storage.close()


def test_top_level_clientstorage_with_query_arguments(two_servers):
    plain, _, path = two_servers
    # Something to read first, through the writable section.
    factory, dbkw = zodburi.resolve_uri(f'zconfig://{path}#plain')
    _commit(factory, dbkw, 'for-readers', 42)
    factory, dbkw = zodburi.resolve_uri(
        f'zconfig://{path}?database_name=reader&connection_pool_size=3'
        f'#bare')
    assert dbkw['database_name'] == 'reader' and dbkw['pool_size'] == 3
    storage = factory()
    assert storage.isReadOnly()
    db = ZODB.DB(storage, **dbkw)
    try:
        with db.transaction() as conn:
            assert conn.root()['for-readers'] == 42
    finally:
        db.close()


def test_an_unknown_name_is_a_key_error(two_servers):
    _, _, path = two_servers
    with pytest.raises(KeyError, match='nosuch'):
        zodburi.resolve_uri(f'zconfig://{path}#nosuch')
