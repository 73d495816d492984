"""The loaders users call: ZODB.config's file and URL functions.

Each opens a database (or a storage) through a zeoconf configuration file
against a live server, with ZConfig 4's own substitution syntax:
``$(NAME)`` for an environment variable and ``%define NAME value`` with
``$NAME``. zodburi's ``zconfig://`` URIs are in test_zodburi.py.
"""

import io
import pathlib

import pytest
import ZConfig
import ZODB.config


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
