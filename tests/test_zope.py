"""zeoconf inside Zope: zope.conf read with Zope's own schema and loader,
databases opened through Zope's DBTab as Zope's startup does.

Zope reads zope.conf with ``Zope2.Startup.options.ZopeWSGIOptions`` (its
schema, wsgischema.xml, has a conditional ``tempstorage`` import that
plain ``ZConfig.loadSchema`` does not understand). Each ``<zodb_db>``
becomes a ``ZopeDatabase`` in ``config.databases``; the schema's root
handler files them in ``config.dbtab``, and ``Zope2.App.startup`` opens
the root with ``dbtab.getDatabase('/', is_root=1)`` and then every mount
point.
"""

import subprocess
import sys

import pytest
import transaction
from example_files import example_text, localize

pytest.importorskip('Zope2')


def _load_zope_conf(path):
    from Zope2.Startup.options import ZopeWSGIOptions
    # Zope's own loader: its schema has a conditional import that plain
    # ZConfig.loadSchema does not understand.
    return ZopeWSGIOptions(str(path))().configroot


def _roundtrip(db, value):
    conn = db.open()
    try:
        conn.root()['zope'] = value
        transaction.commit()
    finally:
        conn.close()
    with db.transaction() as conn:
        assert conn.root()['zope'] == value


def test_zope_conf_with_tls_and_a_second_mount(make_server, certs, tmp_path):
    main = make_server(ssl_context=certs.server_context())
    catalog = make_server(storage_name='catalog')
    path = tmp_path / 'zope.conf'
    path.write_text(localize(example_text('zope.conf'), str(tmp_path),
                             [main, catalog], certs=certs))
    config = _load_zope_conf(path)
    from Zope2.Startup.datatypes import ZopeDatabase

    from zeoconf.openers import ClientStorageOpener
    assert all(isinstance(db, ZopeDatabase) for db in config.databases)
    assert all(isinstance(db.config.storage, ClientStorageOpener)
               for db in config.databases)
    dbtab = config.dbtab
    assert sorted(dbtab.listDatabaseNames()) == ['catalog', 'main']
    assert sorted(dbtab.listMountPaths()) == [('/', 'main'),
                                              ('/catalog', 'catalog')]
    root = dbtab.getDatabase('/', is_root=1)
    other = dbtab.getDatabase('/catalog')
    try:
        assert root.storage._server.client.ssl is not None
        assert root.storage._cache.path.endswith('main.zec')
        assert other.storage._storage == 'catalog'
        _roundtrip(root, 'root database')
        _roundtrip(other, 'catalog database')
    finally:
        root.close()
        other.close()


def test_migrated_zeoclient_configuration(zeo_server, tmp_path, caplog):
    path = tmp_path / 'zope.conf'
    path.write_text(localize(example_text('zeoclient-migrated.conf'),
                             str(tmp_path), [zeo_server]))
    config = _load_zope_conf(path)
    warnings = [r.getMessage() for r in caplog.records
                if r.name == 'zeoconf']
    assert len(warnings) == 1 and 'max-disconnect-poll' in warnings[0]
    db = config.dbtab.getDatabase('/', is_root=1)
    try:
        storage = db.storage
        assert storage._cache.path == f'{tmp_path}/srv-plone/var/' \
                                      'zeoclient1-1.zec'
        assert storage._server.client.connect_poll == 2
        assert storage.__name__ == 'zeostorage'
        _roundtrip(db, 'migrated')
    finally:
        db.close()


# Zope's WSGI entry point, as `runwsgi` and every paste.deploy set-up call
# it, then a change to the application root and to the mounted database.
_ZOPE_APP = """
import sys
import transaction
from Zope2.Startup.run import make_wsgi_app
make_wsgi_app({}, sys.argv[1])   # reads zope.conf, opens every database
import Zope2
from OFS.Folder import manage_addFolder
app = Zope2.app()
manage_addFolder(app, 'zeoconf', title='made through zeoconf')
app._p_jar.get_connection('catalog').root()['index'] = 'catalog data'
transaction.commit()
print(sorted(Zope2.DB.databases))
app._p_jar.close()
"""


def test_zope_starts_on_zeo_and_commits(make_server, certs, tmp_path):
    # In a child process: Zope's start-up fills process-wide registries
    # (App.config, Zope2.DB, the component registry from ZCML) that would
    # leak into every later test.
    main = make_server(ssl_context=certs.server_context())
    catalog = make_server(storage_name='catalog')
    path = tmp_path / 'zope.conf'
    path.write_text(localize(example_text('zope.conf'), str(tmp_path),
                             [main, catalog], certs=certs))
    child = subprocess.run([sys.executable, '-c', _ZOPE_APP, str(path)],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines()[-1] == "['catalog', 'main']"
    # Read back here, through new ZEO clients: the data is on the servers.
    dbtab = _load_zope_conf(path).dbtab
    root = dbtab.getDatabase('/', is_root=1)
    try:
        dbtab.getDatabase('/catalog')   # joins root.databases, as in Zope
        with root.transaction() as conn:
            folder = conn.root()['Application']['zeoconf']
            assert folder.title == 'made through zeoconf'
            assert conn.get_connection('catalog').root()['index'] == \
                'catalog data'
    finally:
        for db in list(dbtab.databases.values()):
            db.close()


def _before_migration(text):
    """The example as the buildout wrote it: no import, <zeoclient>."""
    lines = [line for line in text.splitlines(keepends=True)
             if line.strip() != '%import zeoconf']
    return ''.join(lines).replace('<clientstorage>', '<zeoclient>') \
        .replace('</clientstorage>', '</zeoclient>')


def test_migration_changes_only_what_zeo_got_wrong(zeo_server, tmp_path):
    # The same file before and after the two edits, both through Zope's
    # loader against the same server: the storages agree on every setting,
    # except that ZODB's <zeoclient> drops min-disconnect-poll.
    after = localize(example_text('zeoclient-migrated.conf'), str(tmp_path),
                     [zeo_server])
    storages = {}
    for label, text in (('before', _before_migration(after)),
                        ('after', after)):
        path = tmp_path / f'{label}.conf'
        path.write_text(text)
        dbtab = _load_zope_conf(path).dbtab
        db = dbtab.getDatabase('/', is_root=1)
        storage = db.storage
        storages[label] = (
            storage.__name__, storage._storage, storage._cache.path,
            storage.fshelper.base_dir, storage.shared_blob_dir,
            storage._is_read_only, storage._cache.maxsize,
            storage._server.client.connect_poll)
        _roundtrip(db, label)
        db.close()
    before, after = storages['before'], storages['after']
    assert before[:-1] == after[:-1]
    assert before[2] == f'{tmp_path}/srv-plone/var/zeoclient1-1.zec'
    assert (before[-1], after[-1]) == (1, 2)


def test_a_server_list_in_one_variable_under_zopes_loader(
        zeo_server, tmp_path, monkeypatch):
    # plone-backend's image: `server $(ZEO_ADDRESS)` in zope.conf, the
    # variable a whitespace-separated list (the first address refuses).
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        refused = f'127.0.0.1:{s.getsockname()[1]}'
    monkeypatch.setenv('ZEO_ADDRESS',
                       f'{refused} {zeo_server.config_address}')
    path = tmp_path / 'zope.conf'
    path.write_text(f'%import zeoconf\ninstancehome {tmp_path}\n'
                    '<zodb_db main>\n  mount-point /\n  <clientstorage>\n'
                    '    server $(ZEO_ADDRESS)\n  </clientstorage>\n'
                    '</zodb_db>\n')
    db = _load_zope_conf(path).dbtab.getDatabase('/', is_root=1)
    try:
        assert db.storage._addr == [('127.0.0.1', int(refused[10:])),
                                    ('127.0.0.1', zeo_server.port)]
        _roundtrip(db, 'from a list')
    finally:
        db.close()
