"""zeoconf inside Zope: zope.conf read with Zope's own schema and loader,
databases opened through Zope's DBTab as Zope's startup does."""

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
    dbtab = config.dbtab
    assert sorted(dbtab.listDatabaseNames()) == ['catalog', 'main']
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
