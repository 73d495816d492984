"""The loaders users call: ZODB.config's file and URL functions, zodburi.

Each opens a database through a zeoconf configuration file against a live
server, with ZConfig's own substitution syntax: ``$(NAME)`` for an
environment variable and ``%define NAME value`` with ``$NAME``.
"""

import pathlib

import ZODB.config
import zodburi


def _roundtrip(db, value):
    with db.transaction() as conn:
        conn.root()['loader'] = value
    with db.transaction() as conn:
        assert conn.root()['loader'] == value


def test_database_from_file_with_environment_substitution(
        zeo_server, tmp_path, monkeypatch):
    monkeypatch.setenv('ZEO_ADDRESS', zeo_server.config_address)
    monkeypatch.setenv('ZEO_CACHE', str(tmp_path))
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n<zodb>\n  <clientstorage>\n'
                    '    server $(ZEO_ADDRESS)\n'
                    '    cache-path $(ZEO_CACHE)/app.zec\n'
                    '  </clientstorage>\n</zodb>\n')
    with open(path) as f:
        db = ZODB.config.databaseFromFile(f)
    try:
        _roundtrip(db, 'env')
        assert db.storage._cache.path == f'{tmp_path}/app.zec'
    finally:
        db.close()


def test_database_from_url_with_define(zeo_server, tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text(f'%define ZEO {zeo_server.config_address}\n'
                    f'%import zeoconf\n<zodb>\n  <clientstorage>\n'
                    f'    server $ZEO\n    client-label via-define\n'
                    f'  </clientstorage>\n</zodb>\n')
    db = ZODB.config.databaseFromURL(pathlib.Path(path).as_uri())
    try:
        _roundtrip(db, 'define')
        assert db.storage._client_label == 'via-define'
    finally:
        db.close()


def test_include_of_a_shared_clientstorage_file(zeo_server, tmp_path):
    (tmp_path / 'zeo.conf').write_text(
        f'server {zeo_server.config_address}\nread-only-fallback true\n')
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n<zodb>\n  <clientstorage>\n'
                    '    %include zeo.conf\n  </clientstorage>\n</zodb>\n')
    db = ZODB.config.databaseFromURL(path.as_uri())
    try:
        _roundtrip(db, 'include')
        assert db.storage._read_only_fallback
    finally:
        db.close()


def test_zodburi_zconfig_resolves_each_named_section(make_server, tmp_path):
    first, second = make_server(), make_server()
    path = tmp_path / 'zodb.conf'
    path.write_text(f"""%import zeoconf
<zodb first>
  <clientstorage>
    server {first.config_address}
  </clientstorage>
</zodb>
<zodb second>
  database-name second
  <clientstorage>
    server {second.config_address}
  </clientstorage>
</zodb>
""")
    for name, server in (('first', first), ('second', second)):
        factory, dbkw = zodburi.resolve_uri(f'zconfig://{path}#{name}')
        storage = factory()
        try:
            assert storage._addr == [('127.0.0.1', server.port)]
            db = ZODB.DB(storage, **dbkw)
            _roundtrip(db, name)
            db.close()
        finally:
            storage.close()
    # Each server holds the value written through its own section.
    import ZEO
    for name, server in (('first', first), ('second', second)):
        db = ZEO.DB(server.address)
        try:
            with db.transaction() as conn:
                assert conn.root()['loader'] == name
        finally:
            db.close()
