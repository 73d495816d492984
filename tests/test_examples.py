"""Every file in examples/ parses, and opens against live servers.

The examples name a deployment's hosts and paths; tests/example_files.py
swaps exactly those for live test servers, temporary directories and
test certificates, and leaves every other line as the user copies it.
That keeps the examples free of test scaffolding (a %define per value
would make them harder to read and copy). The Zope examples are opened
in test_zope.py.

The configuration blocks of README.md are checked the same way (parsed,
not opened): a reader copies them as much as the files.
"""

import io
import json
import os
import re
import shutil
import tempfile

import pytest
import transaction
import ZConfig
import ZODB.config
from example_files import EXAMPLES, example_text, leftovers, localize

from zeoconf import cli
from zeoconf.testing import ThrowawayServer

ZODB_EXAMPLES = ['zodb.conf', 'zodb-tls.conf', 'zodb-unix-socket.conf',
                 'multi-database.conf']
ZOPE_EXAMPLES = ['zope.conf', 'zeoclient-migrated.conf']


def test_every_example_is_covered():
    assert sorted(os.listdir(EXAMPLES)) == sorted(ZODB_EXAMPLES +
                                                  ZOPE_EXAMPLES)


@pytest.mark.parametrize('name', ZODB_EXAMPLES + ZOPE_EXAMPLES)
def test_example_passes_zeoconf_check_as_written_apart_from_paths(
        name, tmp_path):
    # As written, the example's files do not exist here; with the paths
    # swapped (servers need not be up for a parse) it is valid.
    text = example_text(name)
    if '<ssl>' in text:
        from zeoconf.testing import Certificates
        certs = Certificates(str(tmp_path))
    else:
        certs = None
    text = localize(text, str(tmp_path), certs=certs,
                    shared_blob_dir=str(tmp_path))
    path = tmp_path / name
    path.write_text(text)
    schema = ['--schema', 'zope'] if name in ZOPE_EXAMPLES else []
    out = _Capture()
    assert cli.main(['check', *schema, str(path)], out=out) == 0, out.text
    assert ': ok, ' in out.text


@pytest.mark.parametrize('name', ZODB_EXAMPLES + ZOPE_EXAMPLES)
def test_example_as_written_passes_zeoconf_check_offline(name):
    # The file as a user copies it names hosts, certificates and
    # directories of another machine (zope.conf's instancehome among
    # them): reviewed offline, it is valid as it stands, each storage
    # read with its own servers.
    path = os.path.join(EXAMPLES, name)
    out = _Capture()
    assert cli.main(['check', '--offline', path], out=out) == 0, out.text
    assert ': ok, ' in out.text
    out = _Capture()
    assert cli.main(['show', '--offline', '--json', path], out=out) == 0
    servers = [a for storage in json.loads(out.text)['storages']
               for a in storage['keys']['server']['value']]
    written = re.findall(r'^\s*server\s+(.+)$', example_text(name), re.M)
    assert servers
    assert sorted(servers) == sorted(a for line in written
                                     for a in line.split())


class _StandIn:
    """What localize() reads of a ThrowawayServer, for a parse-only test."""

    ssl_context = None

    def __init__(self, port):
        self.port = port
        self.config_address = f'127.0.0.1:{port}'


class _StandInCertificates:
    def __init__(self, directory):
        self.ca = self.client_cert = self.client_key = directory


@pytest.mark.parametrize('name', ZODB_EXAMPLES + ZOPE_EXAMPLES)
def test_localize_knows_every_deployment_value(name, tmp_path):
    # Otherwise a host or path added to an example would make its live
    # test try to reach zeo3.example.com or read /etc/zeo/new.pem.
    text = localize(example_text(name), str(tmp_path),
                    [_StandIn(8100), _StandIn(8200)],
                    certs=_StandInCertificates(str(tmp_path)),
                    socket='/tmp/zeo.sock', shared_blob_dir=str(tmp_path))
    assert leftovers(text) == []


def test_unix_socket_example_with_ssl_is_refused_at_parse_time(tmp_path):
    # ZEO's client cannot do TLS over a Unix socket: said when the file is
    # read, with a line, not at connection time.
    text = localize(example_text('zodb-unix-socket.conf'), str(tmp_path),
                    socket=str(tmp_path / 'zeo.sock'),
                    shared_blob_dir=str(tmp_path))
    text = text.replace('  </clientstorage>',
                        '    <ssl>\n      server-hostname zeo\n'
                        '    </ssl>\n  </clientstorage>')
    with pytest.raises(ZConfig.ConfigurationError) as info:
        ZODB.config.databaseFromString(text)
    assert 'Unix socket' in str(info.value)
    assert 'TLS' in str(info.value) and info.value.lineno


class _Capture:
    def __init__(self):
        self.text = ''

    def write(self, text):
        self.text += text


def _roundtrip(db, value):
    with db.transaction() as conn:
        conn.root()['example'] = value
    with db.transaction() as conn:
        assert conn.root()['example'] == value


def test_zodb_conf_example_opens(zeo_server, tmp_path):
    text = localize(example_text('zodb.conf'), str(tmp_path), [zeo_server])
    db = ZODB.config.databaseFromString(text)
    try:
        _roundtrip(db, 'zodb.conf')
        assert db.storage._cache.path.endswith('zeo-main.zec')
        assert db.storage._client_label == 'app-1'
    finally:
        db.close()


def test_tls_example_opens_with_two_servers(make_server, certs, tmp_path):
    one = make_server(ssl_context=certs.server_context())
    two = make_server(ssl_context=certs.server_context())
    text = localize(example_text('zodb-tls.conf'), str(tmp_path),
                    [one, two], certs=certs)
    db = ZODB.config.databaseFromString(text)
    try:
        _roundtrip(db, 'tls')
        assert db.storage._server.client.ssl is not None
    finally:
        db.close()


@pytest.fixture
def short_dir():
    """A directory with a short path under /tmp, removed after the test.

    A Unix socket's path must fit in about 100 bytes, which pytest's
    tmp_path can exceed. Asked for before make_server, it is removed after
    the server has stopped.
    """
    directory = tempfile.mkdtemp(prefix='zc', dir='/tmp')
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_unix_socket_example_opens(short_dir, make_server):
    socket = os.path.join(short_dir, 'zeo.sock')
    server = make_server(address=socket)
    text = localize(example_text('zodb-unix-socket.conf'), short_dir,
                    socket=socket, shared_blob_dir=server.blob_dir)
    db = ZODB.config.databaseFromString(text)
    try:
        assert db.storage._addr == [socket]
        _roundtrip(db, 'socket')
        assert db.storage.shared_blob_dir
    finally:
        db.close()


def test_multi_database_example_links_two_servers(make_server, tmp_path):
    main = make_server()
    catalog = make_server(storage_name='catalog')
    text = localize(example_text('multi-database.conf'), str(tmp_path),
                    [main, catalog])
    db = ZODB.config.databaseFromString(text)
    try:
        assert sorted(db.databases) == ['catalog', 'main']
        conn = db.open()
        try:
            from persistent.mapping import PersistentMapping
            index = PersistentMapping(word='zeo')
            catalog_conn = conn.get_connection('catalog')
            catalog_conn.add(index)           # it lives in catalog
            catalog_conn.root()['index'] = index
            conn.root()['index'] = index      # a cross-database reference
            transaction.commit()
        finally:
            conn.close()
        with db.transaction() as conn:
            assert conn.root()['index']['word'] == 'zeo'
            assert conn.root()['index']._p_jar.db().database_name == \
                'catalog'
    finally:
        for database in list(db.databases.values()):
            database.close()


def test_server_started_late_is_not_needed_for_check(tmp_path):
    # `check` parses only: an example whose servers are all down passes.
    with ThrowawayServer(str(tmp_path / 's')) as server:
        text = localize(example_text('zodb.conf'), str(tmp_path), [server])
    path = tmp_path / 'zodb.conf'
    path.write_text(text)
    out = _Capture()
    assert cli.main(['check', str(path)], out=out) == 0


def _readme_configurations():
    """The configuration blocks of README.md: whole files and fragments."""
    with open(os.path.join(os.path.dirname(EXAMPLES), 'README.md')) as f:
        blocks = re.findall(r'^```\w*\n(.*?)^```$', f.read(),
                            re.M | re.S)
    # Configuration, not output that mentions it: the block starts with
    # the import or a section.
    return [block for block in blocks
            if '<clientstorage>' in block
            and block.lstrip().startswith(('%import', '<'))]


def test_readme_has_configurations_to_check():
    # The tour shows ZODB, several servers, TLS and Zope; were the blocks
    # no longer found, the test below would check nothing.
    assert len(_readme_configurations()) >= 4


@pytest.mark.parametrize('block', _readme_configurations())
def test_readme_configuration_is_valid(block, tmp_path, certs):
    # What a reader copies from the README must parse. Fragments are put
    # in a <zodb> section; paths are swapped as for the examples. Parsing
    # only (the servers named do not exist): ZConfig with ZODB's schema,
    # or Zope's loader for a <zodb_db>, which opens no database either.
    if '%import zeoconf' not in block:
        block = f'%import zeoconf\n<zodb>\n{block}</zodb>\n'
    text = localize(block, str(tmp_path), certs=certs)
    # Host names may stay (nothing connects); every path must be swapped.
    assert set(leftovers(text)) <= {'example.com'}
    if '<zodb_db' in text:
        pytest.importorskip('Zope2')
        from Zope2.Startup.options import ZopeWSGIOptions
        # The README shows what a zope.conf gains; the file it goes into
        # has the instancehome Zope's schema requires.
        if 'instancehome' not in text:
            text += f'instancehome {tmp_path}\n'
        path = tmp_path / 'zope.conf'
        path.write_text(text)
        config = ZopeWSGIOptions(str(path))().configroot
        storages = [db.config.storage for db in config.databases]
    else:
        config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                           io.StringIO(text))
        storages = [db.config.storage for db in config.database]
    assert storages
    for storage in storages:
        # Every section resolves to ClientStorage arguments.
        assert storage.kwargs()['addr']
