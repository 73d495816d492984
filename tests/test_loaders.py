"""The loaders users call: ZODB.config's file and URL functions.

Each opens a database (or a storage) through a zeoconf configuration file
against a live server, with ZConfig 4's own substitution syntax:
``$(NAME)`` for an environment variable and ``%define NAME value`` with
``$NAME``. zodburi's ``zconfig://`` URIs are in test_zodburi.py. Last, a
multi-database file: two ``<zodb>`` sections on two servers, one object
referring to another across them.
"""

import io
import pathlib

import pytest
import ZConfig
import ZODB.config
from persistent.mapping import PersistentMapping
from ZODB.serialize import get_refs
from ZODB.utils import z64


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


def test_storage_from_url_with_define_in_an_included_file(
        zeo_server, tmp_path):
    # A deployment keeps site values in one file that every other file
    # includes; the definitions reach the including file.
    (tmp_path / 'site.conf').write_text(
        f'%define ZEO_MAIN {zeo_server.config_address}\n'
        f'%define LABEL site-wide\n')
    path = tmp_path / 'storage.conf'
    path.write_text('%include site.conf\n%import zeoconf\n'
                    '<clientstorage>\n  server $ZEO_MAIN\n'
                    '  client-label $LABEL\n</clientstorage>\n')
    storage = ZODB.config.storageFromURL(path.as_uri())
    db = ZODB.DB(storage)
    try:
        assert storage._client_label == 'site-wide'
        _roundtrip(db, 'storage-url')
    finally:
        db.close()


def test_storage_from_file_reads_back_what_a_database_wrote(
        zeo_server, tmp_path, monkeypatch):
    monkeypatch.setenv('ZEO_ADDRESS', zeo_server.config_address)
    text = ('%import zeoconf\n<zodb>\n  <clientstorage>\n'
            '    server $(ZEO_ADDRESS)\n  </clientstorage>\n</zodb>\n')
    db = ZODB.config.databaseFromFile(io.StringIO(text))
    try:
        _roundtrip(db, 'first client')
    finally:
        db.close()
    storage = ZODB.config.storageFromFile(io.StringIO(
        '%import zeoconf\n<clientstorage>\n  server $(ZEO_ADDRESS)\n'
        '  read-only true\n</clientstorage>\n'))
    db = ZODB.DB(storage)
    try:
        with db.transaction() as conn:
            assert conn.root()['loader'] == 'first client'
        assert storage.isReadOnly()
    finally:
        db.close()


def test_an_unset_environment_variable_is_an_error_with_its_line(
        monkeypatch):
    monkeypatch.delenv('ZEOCONF_UNSET_ADDRESS', raising=False)
    text = ('%import zeoconf\n<zodb>\n  <clientstorage>\n'
            '    server $(ZEOCONF_UNSET_ADDRESS)\n'
            '  </clientstorage>\n</zodb>\n')
    with pytest.raises(ZConfig.ConfigurationError) as info:
        ZODB.config.databaseFromFile(io.StringIO(text))
    assert info.value.lineno == 4
    assert 'ZEOCONF_UNSET_ADDRESS' in str(info.value)


_MULTI = """\
%import zeoconf

<zodb main>
  database-name main
  <clientstorage>
    server {main}
  </clientstorage>
</zodb>

<zodb catalog>
  database-name catalog
  <clientstorage>
    server {catalog}
    storage catalog
  </clientstorage>
</zodb>
"""


def test_multi_database_from_string_with_cross_database_reference(
        make_server):
    main = make_server()
    catalog = make_server(storage_name='catalog')
    text = _MULTI.format(main=main.config_address,
                         catalog=catalog.config_address)
    db = ZODB.config.databaseFromString(text)
    try:
        # databaseFromString returns the first section's database; every
        # <zodb> of the file joins its multi-database under its name.
        assert db.database_name == 'main'
        assert sorted(db.databases) == ['catalog', 'main']
        assert db.databases['catalog'].storage._addr == [
            ('127.0.0.1', catalog.port)]
        with db.transaction() as conn:
            index = PersistentMapping(word='zeo')
            conn.get_connection('catalog').add(index)   # lives in catalog
            conn.root()['index'] = index                # referred from main
            oid = index._p_oid
    finally:
        for database in list(db.databases.values()):
            database.close()

    # A second process would open new ZEO clients from the same text; the
    # reference must resolve through them, so it is on the servers.
    db = ZODB.config.databaseFromString(text)
    try:
        with db.transaction() as conn:
            index = conn.root()['index']
            assert index['word'] == 'zeo'
            assert index._p_jar.db() is db.databases['catalog']
        # On the servers themselves: main's root holds a cross-database
        # reference naming 'catalog' (no plain oid reference, which
        # get_refs would list), and the catalog server has the record.
        root_record, _ = db.storage.load(z64)
        assert get_refs(root_record) == []
        assert b'catalog' in root_record
        record, _ = db.databases['catalog'].storage.load(oid)
        assert b'zeo' in record
    finally:
        for database in list(db.databases.values()):
            database.close()
