"""zeoconf migrate: the rewrite, the equivalence proof and the command.

The files are the shapes operators have: a ``%import ZEO`` zodb.conf with
TLS, and the zope.conf plone.recipe.zope2instance writes (``%define``,
``instancehome``, ``<zodb_db main>`` holding a ``<zeoclient>``, a second
database). Both are parsed for real with their own component before and
with zeoconf after, and the migrated files are opened against real ZEO
servers.
"""

import contextlib
import io
import os
import re
import ssl
import sys
import textwrap

import pytest
import transaction
import ZConfig
import ZEO.ClientStorage
import ZODB.config
from hypothesis import given, settings
from hypothesis import strategies as st

from zeoconf.cli import main
from zeoconf.cli.migrate import (
    _kwargs,
    compare,
    migrate_file,
    migrate_text,
)
from zeoconf.cli.scanner import scan
from zeoconf.cli.storages import clients
from zeoconf.loader import load_text

PASSWORD = 'Pl0ne-s3cret-pw'

# Where CPython's default client context still allows TLS below 1.2
# (Python 3.9), zeoconf's, which requires 1.2, is stricter than the one
# of ZEO's component: an intended difference.
STRICTER = (ssl.create_default_context().minimum_version
            < ssl.TLSVersion.TLSv1_2)


def _plone_zope_conf(root, server, shared_blob_dir=None, extra=''):
    """A zope.conf as plone.recipe.zope2instance writes it for a ZEO
    client (the temporary database on a mappingstorage: tempstorage is
    not installed here)."""
    instance = os.path.join(root, 'parts', 'instance')
    var = os.path.join(root, 'var')
    for directory in (instance, var, os.path.join(var, 'cache')):
        os.makedirs(directory, exist_ok=True)
    blob_dir = shared_blob_dir or os.path.join(var, 'blobcache')
    shared = 'on' if shared_blob_dir else 'off'
    return f"""\
# Generated from template; don't edit manually!
# This file is part of the instance part of the buildout.

%define INSTANCEHOME {instance}
instancehome $INSTANCEHOME
%define CLIENTHOME {var}
clienthome $CLIENTHOME
debug-mode off
security-policy-implementation C
verbose-security off
default-zpublisher-encoding utf-8

<environment>
    CHAMELEON_CACHE {var}/cache
</environment>

<zodb_db main>
    # Main database
    cache-size 30000
    # Blob-enabled ZEOStorage database
    <zeoclient>
      read-only false
      read-only-fallback false
      blob-dir {blob_dir}
      shared-blob-dir {shared}
      server {server}
      storage 1
      name zeostorage
      var {var}
      client zeoclient1
      cache-size 128MB
      username admin
      password {PASSWORD}
      realm plone
{extra}    </zeoclient>
    mount-point /
</zodb_db>

<zodb_db temporary>
    # Temporary storage database (for sessions)
    <mappingstorage>
      name temporary storage for sessioning
    </mappingstorage>
    mount-point /temp_folder
</zodb_db>
"""


def _zeo_tls_conf(port, certs, extra=''):
    return f"""\
# The application's database, on ZEO over TLS, through ZEO's own
# component.
%import ZEO

<zodb main>
  cache-size-bytes 256MB
  <clientstorage>
    server localhost:{port}
    cache-size 64MB
{extra}    <ssl>
      # ZEO's server asks every client for a certificate.
      certificate {certs.client_cert}
      key {certs.client_key}
      authenticate {certs.ca}
    </ssl>
  </clientstorage>
</zodb>
"""


def _run(path, text=None, **options):
    """``run`` on *path* (written with *text* first, when given)."""
    if text is not None:
        path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    code = migrate_file(str(path), out=out, err=err, **options)
    return code, out.getvalue(), err.getvalue()


def _roundtrip(db, value):
    with db.transaction() as conn:
        conn.root()['migrated'] = value
    with db.transaction() as conn:
        assert conn.root()['migrated'] == value


def _load_with_zopes_loader(text, url):
    from Zope2.Startup.options import ZopeWSGIOptions
    options = ZopeWSGIOptions()
    options.load_schema()
    config, _ = ZConfig.loadConfigFile(options.schema, io.StringIO(text),
                                       url)
    return config


# The rewrite.

def test_zeoclient_becomes_clientstorage_and_every_other_line_is_kept():
    original = _plone_zope_conf('/srv/plone', '127.0.0.1:8100')
    migration = migrate_text(original)
    before = original.splitlines(keepends=True)
    after = migration.text.splitlines(keepends=True)
    assert migration.changed and not migration.already_zeoconf
    changed = {}
    for line, number in zip(after, migration.line_map):
        if number is None:
            assert line == '%import zeoconf\n'
        elif line != before[number - 1]:
            changed[number] = line
    # Only the two tags changed, and kept their indentation.
    assert {before[n - 1]: line for n, line in changed.items()} == {
        '    <zeoclient>\n': '    <clientstorage>\n',
        '    </zeoclient>\n': '    </clientstorage>\n'}
    # Every original line is there but the three dropped ones.
    kept = [n for n in migration.line_map if n is not None]
    assert sorted(set(range(1, len(before) + 1)) - set(kept)) == [
        d.line for d in migration.dropped]
    assert [(before[d.line - 1].split()[0], d.key)
            for d in migration.dropped] == [
        ('username', 'username'), ('password', 'password'),
        ('realm', 'realm')]
    assert PASSWORD not in migration.text


def test_import_is_added_after_the_leading_comment_block():
    migration = migrate_text(_plone_zope_conf('/srv/plone', '8100'))
    lines = migration.text.splitlines()
    assert lines[:5] == [
        "# Generated from template; don't edit manually!",
        '# This file is part of the instance part of the buildout.',
        '',
        '%import zeoconf',
        '%define INSTANCEHOME /srv/plone/parts/instance']
    assert migration.added_import == 4


def test_import_zeo_becomes_import_zeoconf_and_none_is_added(certs):
    original = _zeo_tls_conf(8100, certs)
    migration = migrate_text(original)
    assert migration.imports == [3] and migration.added_import is None
    assert migration.renamed == [] and migration.dropped == []
    assert migration.text == original.replace('%import ZEO\n',
                                              '%import zeoconf\n')


def test_crlf_line_endings_tabs_and_case_are_kept():
    original = ('# top\r\n\r\n<zodb>\r\n\t<ZEOClient named>\r\n'
                '\t\tserver 8100\r\n\t\trealm x\r\n\t</ZEOClient>\r\n'
                '</zodb>\r\n')
    migration = migrate_text(original)
    assert migration.text == (
        '# top\r\n\r\n%import zeoconf\r\n<zodb>\r\n'
        '\t<clientstorage named>\r\n\t\tserver 8100\r\n'
        '\t</clientstorage>\r\n</zodb>\r\n')


def test_define_used_only_by_the_password_goes_with_it():
    original = ('%define ZEO_PW hunter2-secret\n%define VAR /srv/var\n'
                '<zodb>\n  <zeoclient>\n    server 8100\n    var $VAR\n'
                '    client c1\n    password $ZEO_PW\n  </zeoclient>\n'
                '</zodb>\n')
    migration = migrate_text(original)
    assert 'hunter2' not in migration.text
    assert '%define VAR /srv/var\n' in migration.text
    assert [(d.line, d.key) for d in migration.dropped] == [
        (1, '%define ZEO_PW'), (8, 'password')]


def test_define_also_used_elsewhere_is_kept_and_said():
    original = ('%define NAME shared\n<zodb>\n  <zeoclient>\n'
                '    server 8100\n    name $NAME\n    username $NAME\n'
                '  </zeoclient>\n</zodb>\n')
    migration = migrate_text(original)
    assert '%define NAME shared\n' in migration.text
    assert migration.kept_defines == [(1, 'NAME', [5])]


def test_file_already_on_zeoconf_comes_back_unchanged_and_flagged():
    text = '%import zeoconf\n<zodb>\n  <clientstorage>\n    server 8100\n' \
           '  </clientstorage>\n</zodb>\n'
    migration = migrate_text(text)
    assert migration.text == text
    assert migration.already_zeoconf and not migration.changed


def test_a_password_in_zeoconfs_clientstorage_is_dropped_with_its_define(
        tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text(f'%import zeoconf\n%define PW {PASSWORD}\n<zodb>\n'
                    f'  <clientstorage>\n    server zeo:8100\n'
                    f'    username zope\n    password $PW\n'
                    f'  </clientstorage>\n</zodb>\n')
    code, out, err = _run(path, path.read_text())
    assert code == 0, err
    assert out == ('%import zeoconf\n<zodb>\n  <clientstorage>\n'
                   '    server zeo:8100\n  </clientstorage>\n</zodb>\n')
    assert f'{path}:7: dropped password: ' in err
    assert f'{path}:2: dropped %define PW: ' in err
    assert PASSWORD not in out + err
    assert err.endswith('after migration\n')


def test_file_without_zeo_is_unchanged_and_not_called_zeoconf():
    text = '<zodb>\n  <mappingstorage/>\n</zodb>\n'
    migration = migrate_text(text)
    assert (migration.text, migration.changed,
            migration.already_zeoconf) == (text, False, False)


_LINE = st.sampled_from([
    '', '# a comment', '%import ZEO', '%import zeoconf', '%define X 1',
    '%include other.conf', '<zeoclient>', '</zeoclient>', '<zodb>',
    '</zodb>', '  <ZEOCLIENT x>', '  </ZeoClient>', 'server 8100',
    'password $X', 'username u', 'realm r', 'blob-dir /b', '<ssl>',
    '</ssl>', '<zeoclient></zeoclient>', '<', 'key  value  ', '\t# tab',
]) | st.text(max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=25), st.sampled_from(['\n', '\r\n']))
def test_migrate_text_never_raises_and_touches_only_its_lines(lines, end):
    text = end.join(lines)
    migration = migrate_text(text)
    before = io.StringIO(text).readlines()  # numbered as ZConfig numbers
    touched = set(migration.imports) | {d.line for d in migration.dropped}
    scanned = scan(text)
    touched |= {line.number for line in scanned.lines
                if line.kind in ('open', 'close', 'empty')
                and line.section.type == 'zeoclient'}
    for line, number in zip(io.StringIO(migration.text).readlines(),
                            migration.line_map):
        if number is not None and number not in touched:
            assert line == before[number - 1]
    if not migration.changed:
        assert migration.text == text


# The command on real shapes.

def test_plone_zope_conf_migrates_with_the_same_arguments_and_opens_in_zope(
        zeo_server, tmp_path):
    pytest.importorskip('Zope2')
    path = tmp_path / 'zope.conf'
    code, out, err = _run(path, _plone_zope_conf(
        str(tmp_path), zeo_server.config_address,
        shared_blob_dir=zeo_server.blob_dir), schema=None)
    assert code == 0, err
    assert PASSWORD not in out + err
    assert f"{path}: read as a zope.conf (Zope's schema)\n" in err
    assert f'{path}:33: dropped password: ZEO ignores it' in err
    assert "<zodb_db main> <zeoclient>: ZODB's <zeoclient> and zeoconf " \
           "resolve to the same ClientStorage arguments\n" in err
    assert err.endswith(f'{path}: same: every ZEO client storage resolves '
                        f'to the same ClientStorage arguments after '
                        f'migration\n')
    # The cache file ZODB builds from client and var is the one zeoconf
    # names.
    assert f"'{tmp_path}/var/zeoclient1-1.zec'" in err
    assert path.read_text() == _plone_zope_conf(
        str(tmp_path), zeo_server.config_address, zeo_server.blob_dir)

    # Zope's own loader reads the result, and the database opens.
    from zeoconf.openers import ClientStorageOpener
    config = _load_with_zopes_loader(out, path.as_uri())
    main, temporary = config.databases
    assert isinstance(main.config.storage, ClientStorageOpener)
    assert sorted(config.dbtab.listMountPaths()) == [
        ('/', 'main'), ('/temp_folder', 'temporary')]
    db = config.dbtab.getDatabase('/', is_root=1)
    try:
        assert db.storage.__name__ == 'zeostorage'
        assert db.storage.shared_blob_dir
        _roundtrip(db, 'plone')
    finally:
        db.close()


def test_zeo_tls_zodb_conf_migrates_with_the_same_arguments_and_opens(
        make_server, certs, tmp_path, monkeypatch, open_db):
    server = make_server(ssl_context=certs.server_context())
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'cache').mkdir()
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, _zeo_tls_conf(
        server.port, certs, extra='    cache-path cache/main.zec\n'))
    assert code == 0, err
    assert err.splitlines()[0] == \
        f'{path}:3: %import ZEO is now %import zeoconf'
    # The SSLContexts are compared by their settings, not identity.
    if STRICTER:
        assert "  ssl: an SSLContext -> an SSLContext (differs, as " \
               "intended): zeoconf's SSLContext is stricter" in err
        assert err.endswith('same, but for the intended differences listed '
                            'above\n')
    else:
        assert "<zodb main> <clientstorage>: ZEO's <clientstorage> and " \
               "zeoconf resolve to the same ClientStorage arguments\n" in err
        assert '  ssl: an SSLContext -> an SSLContext (same effect): two ' \
               'SSLContext objects, compared by their settings' in err
        assert err.endswith('after migration\n')
    # Both pass no host name: each server is checked against its own.
    assert 'ssl_server_hostname' not in err
    # A relative cache-path is kept as written on both sides: no note.
    assert '  cache: ' not in err
    assert out == path.read_text().replace('%import ZEO', '%import zeoconf')

    # The server speaks TLS only: the round trip proves the migrated
    # client does.
    _roundtrip(open_db(out), 'tls')


@pytest.mark.parametrize('body', [
    # ZODB's <zeoclient>, every key it has set.
    '<zeoclient>\n  server zeo1:8100\n  server zeo2:8100\n  storage main\n'
    '  name app\n  cache-size 30MB\n  client web1\n  var /tmp\n'
    '  min-disconnect-poll 2\n  max-disconnect-poll 30\n  wait false\n'
    '  read-only-fallback true\n  drop-cache-rather-verify true\n'
    '  blob-dir /tmp/blobs\n  blob-cache-size 1GB\n'
    '  blob-cache-size-check 20\n  client-label web\n  username u\n'
    '  password p\n  realm r\n</zeoclient>',
    # ZEO's <clientstorage>, as few keys as it takes.
    '<clientstorage>\n  server zeo:8100\n</clientstorage>',
], ids=['zeoclient', 'ZEO clientstorage'])
def test_the_arguments_compared_are_those_the_original_component_passes(
        body, monkeypatch):
    # migrate transcribes what ZODB's and ZEO's open() pass ClientStorage;
    # a ZEO or ZODB that passes something else fails here. No real peer
    # shows what a component passes: ClientStorage is replaced by a
    # recorder for this test alone.
    text = ('%import ZEO\n' if 'clientstorage' in body else '') + (
        f'<zodb>\n{body}\n</zodb>\n')
    config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                       io.StringIO(text))
    passed = {}

    def recorder(addr, **kwargs):
        passed.update(kwargs, addr=addr)

    monkeypatch.setattr(ZEO.ClientStorage, 'ClientStorage', recorder)
    config.database[0].config.storage.open()
    [client] = clients(config)
    for ignored in ('username', 'password', 'realm'):
        passed.pop(ignored, None)
    assert _kwargs(client) == passed


def test_compare_of_the_parsed_files_lists_only_same_effect_notes(certs):
    schema = ZODB.config.getDbSchema()
    text = _zeo_tls_conf(8100, certs)
    before = clients(load_text(text, schema).config)
    after = clients(load_text(migrate_text(text).text, schema).config)
    assert [(c.kind, c.label) for c in before] == [
        ('ZEO', '<zodb main> <clientstorage>')]
    assert [(c.kind, c.label) for c in after] == [
        ('zeoconf', '<zodb main> <clientstorage>')]
    differences = compare(before, after)
    assert {d.effect for d in differences} == {
        'intended' if STRICTER else 'same'}
    assert [d.argument for d in differences] == ['ssl']


def test_compare_calls_a_real_difference_unexplained():
    # Two real parses that would not open the same storage.
    schema = ZODB.config.getDbSchema()
    one = clients(load_text(
        '<zodb>\n<zeoclient>\nserver 8100\ncache-size 10MB\n</zeoclient>\n'
        '</zodb>\n', schema).config)
    other = clients(load_text(
        '%import zeoconf\n<zodb>\n<clientstorage>\nserver 8100\n'
        'cache-size 20MB\n</clientstorage>\n</zodb>\n', schema).config)
    [difference] = [d for d in compare(one, other)
                    if d.effect != 'same']
    assert (difference.argument, difference.original, difference.migrated,
            difference.effect) == ('cache_size', '10485760', '20971520',
                                   'unexplained')


def test_min_disconnect_poll_is_an_intended_difference(tmp_path):
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, '<zodb>\n  <zeoclient>\n    server 8100\n'
                          '    min-disconnect-poll 3\n  </zeoclient>\n'
                          '</zodb>\n')
    assert code == 0, err
    assert '  disconnect_poll: 1.0 -> 3.0 (differs, as intended): ' in err
    assert err.endswith(f'{path}: same, but for the intended differences '
                        f'listed above\n')
    assert '    min-disconnect-poll 3\n' in out


def test_write_replaces_the_file_and_keeps_the_original_as_orig(tmp_path):
    path = tmp_path / 'zodb.conf'
    original = (f'# mine\n<zodb>\n  <zeoclient>\n    server 8100\n'
                f'    password {PASSWORD}\n  </zeoclient>\n</zodb>\n')
    path.write_text(original)
    path.chmod(0o600)
    code, out, err = _run(path, write=True)
    assert code == 0, err
    assert out == ''
    assert PASSWORD not in err
    assert err.endswith(f'{path}: written; the original is {path}.orig\n')
    orig = tmp_path / 'zodb.conf.orig'
    assert orig.read_text() == original
    # It holds the password: no more readable than the file was.
    assert orig.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == ('# mine\n%import zeoconf\n<zodb>\n'
                                '  <clientstorage>\n    server 8100\n'
                                '  </clientstorage>\n</zodb>\n')


def test_write_refuses_to_overwrite_an_existing_orig(tmp_path):
    path = tmp_path / 'zodb.conf'
    original = '<zodb>\n  <zeoclient>\n    server 8100\n  </zeoclient>\n' \
               '</zodb>\n'
    path.write_text(original)
    (tmp_path / 'zodb.conf.orig').write_text('an earlier original\n')
    code, out, err = _run(path, write=True)
    assert code == 1
    assert (out, err) == ('', f'{path}.orig already exists: not '
                              f'overwriting it (move it away to migrate '
                              f'{path} again)\n')
    assert path.read_text() == original
    assert (tmp_path / 'zodb.conf.orig').read_text() == \
        'an earlier original\n'


def test_already_migrated_file_is_printed_unchanged_with_exit_0(tmp_path):
    path = tmp_path / 'zodb.conf'
    text = '%import zeoconf\n\n<zodb>\n  <clientstorage>\n' \
           '    server 8100\n  </clientstorage>\n</zodb>\n'
    code, out, err = _run(path, text)
    assert (code, out) == (0, text)
    assert err == f'{path}: already uses zeoconf (%import zeoconf, no ' \
                  f'%import ZEO, no <zeoclient>): nothing to change\n'


def test_unparsable_original_gives_file_line_exit_1_and_no_output(tmp_path):
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, '# a typo\n<zodb>\n  <zeoclient>\n'
                          '    server 8100\n    cache-sise 20MB\n'
                          '  </zeoclient>\n</zodb>\n')
    assert (code, out) == (1, '')
    assert err == f"{path}:5: 'cache-sise' is not a known key name\n"
    assert not os.path.exists(f'{path}.orig')


def test_zope_conf_read_with_zodbs_schema_says_to_use_schema_zope(tmp_path):
    path = tmp_path / 'zope.conf'
    code, out, err = _run(path, _plone_zope_conf(str(tmp_path), '8100'),
                          schema='zodb')
    assert (code, out) == (1, '')
    assert err.startswith(f'{path}:5: ')
    assert err.endswith("this reads like a zope.conf: read it with Zope's "
                        "schema (zeoconf check --schema zope FILE)\n")
    assert PASSWORD not in err


def test_what_zeoconf_refuses_after_migration_names_the_original_line(
        tmp_path):
    # ZEO's component takes 'localhost:' for a host with no port; zeoconf
    # refuses it. Line 5 of the original is line 6 of the migrated text.
    path = tmp_path / 'zodb.conf'
    original = ('# ZEO client\n<zodb>\n  <zeoclient>\n    storage 1\n'
                '    server localhost:\n  </zeoclient>\n</zodb>\n')
    code, out, err = _run(path, original, write=True)
    assert (code, out) == (1, '')
    assert err.startswith(f"{path}:5: server: 'localhost:' ")
    assert err.endswith(f'(after migration: zeoconf refuses it; {path} is '
                        f'unchanged)\n')
    assert path.read_text() == original
    assert not os.path.exists(f'{path}.orig')


@pytest.mark.parametrize('line', [
    f'password {PASSWORD}',
    'password abc$defghijkl',         # no such definition: ZConfig quotes
    'password ab${defghijkl',         # malformed: ZConfig quotes
    'password pa$sword',              # a piece of the word "password"
    'password the$value',             # pieces of our own message
])
def test_password_is_never_printed(tmp_path, line):
    secret = line.split(None, 1)[1]
    for broken in ('', '    cache-size 12XB\n'):
        path = tmp_path / 'zodb.conf'
        code, out, err = _run(path, f'<zodb>\n  <zeoclient>\n'
                              f'    server 8100\n    {line}\n{broken}'
                              f'  </zeoclient>\n</zodb>\n')
        pieces = [secret] + [p for p in re.split(r'[${}]', secret)
                             if len(p) >= 3 and p not in ('the', 'value')]
        shown = (out + err).replace('password', '')
        assert not any(piece in shown for piece in pieces), err
        if '$' in secret:
            assert (code, out) == (1, '')
            assert err == (f"{path}:4: password: its value holds a '$', "
                           f"which ZConfig reads as the start of a "
                           f"substitution, and the substitution failed (the "
                           f"value is not shown); write '$$' for a literal "
                           f"'$'\n")
        elif broken:
            assert code == 1 and err.startswith(f'{path}:5: ')
        else:
            assert code == 0
            assert f'{path}:4: dropped password: ' in err


def test_included_files_are_named_as_not_rewritten(tmp_path):
    (tmp_path / 'base.conf').write_text('%define CACHE 10MB\n')
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, '%include base.conf\n<zodb>\n'
                          '  <zeoclient>\n    server 8100\n'
                          '    cache-size $CACHE\n  </zeoclient>\n'
                          '</zodb>\n')
    assert code == 0, err
    assert f'{path}:1: %include base.conf: included files are not ' \
           f'rewritten; migrate them on their own\n' in err
    assert out.startswith('%import zeoconf\n%include base.conf\n')


def test_schema_given_as_a_path(tmp_path):
    schema = os.path.join(os.path.dirname(ZODB.config.__file__),
                          'config.xml')
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, '<zodb>\n  <zeoclient>\n    server 8100\n'
                          '  </zeoclient>\n</zodb>\n', schema=schema)
    assert code == 0, err
    assert out.startswith('%import zeoconf\n<zodb>\n  <clientstorage>\n')


def test_unreadable_file_exits_1(tmp_path):
    code, out, err = _run(tmp_path / 'missing.conf')
    assert (code, out) == (1, '')
    assert err == f'{tmp_path}/missing.conf: cannot read: No such file or ' \
                  f'directory\n'


def test_migrated_zeoclient_still_commits_as_before(zeo_server, tmp_path,
                                                    open_db):
    # Both the original and the result open, against the same server, and
    # see each other's data.
    path = tmp_path / 'zodb.conf'
    original = (f'<zodb>\n  <zeoclient>\n    server '
                f'{zeo_server.config_address}\n    var {tmp_path}\n'
                f'    client app\n  </zeoclient>\n</zodb>\n')
    code, out, err = _run(path, original)
    assert code == 0, err
    before = ZODB.config.databaseFromString(original)
    try:
        with before.transaction() as conn:
            conn.root()['from'] = 'zeoclient'
    finally:
        before.close()
    after = open_db(out)
    with after.transaction() as conn:
        assert conn.root()['from'] == 'zeoclient'
    transaction.abort()
    # The persistent cache file client and var name, on both sides.
    assert (tmp_path / 'app-1.zec').exists()


def test_a_username_without_password_is_said_to_fail_where_zeo_refuses_it(
        zeo_server, tmp_path, open_db):
    # ZEO before 5.4 asserts that a username comes with a password: such a
    # <zeoclient> never opened there. migrate says so; the result opens.
    path = tmp_path / 'zodb.conf'
    original = (f'<zodb>\n  <zeoclient>\n    server '
                f'{zeo_server.config_address}\n    username u\n'
                f'  </zeoclient>\n</zodb>\n')
    code, out, err = _run(path, original)
    assert code == 0, err
    try:
        ZODB.config.databaseFromString(original).close()
        refused = False
    except AssertionError:
        refused = True
    said = 'the original never opens on the installed ZEO'
    assert (said in err) == refused, err
    db = open_db(out)
    with db.transaction() as conn:
        conn.root()['ok'] = True


def test_file_half_on_zeoconf_compares_both_storages(tmp_path):
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, '%import zeoconf\n<zodb main>\n'
                          '  <clientstorage>\n    server 8100\n'
                          '    disconnect-poll 4\n  </clientstorage>\n'
                          '</zodb>\n<zodb other>\n  <zeoclient>\n'
                          '    server 8200\n  </zeoclient>\n</zodb>\n')
    assert code == 0, err
    assert "zodb.conf:3: <zodb main> <clientstorage>: already zeoconf's, " \
           "the same ClientStorage arguments\n" in err
    assert "zodb.conf:9: <zodb other> <zeoclient>: ZODB's <zeoclient> and " \
           "zeoconf resolve to the same ClientStorage arguments\n" in err
    assert out.count('%import zeoconf') == 1


def test_define_used_by_an_include_is_kept():
    original = ('%define DIR /etc/app\n%include $DIR/base.conf\n<zodb>\n'
                '  <zeoclient>\n    server 8100\n    realm $DIR\n'
                '  </zeoclient>\n</zodb>\n')
    migration = migrate_text(original)
    assert '%define DIR /etc/app\n' in migration.text
    assert migration.kept_defines == [(1, 'DIR', [2])]


def test_file_whose_zeo_import_is_in_an_included_file_says_so(tmp_path):
    (tmp_path / 'zeo.conf').write_text('%import ZEO\n')
    path = tmp_path / 'zodb.conf'
    text = ('%include zeo.conf\n<zodb>\n  <clientstorage>\n'
            '    server 8100\n  </clientstorage>\n</zodb>\n')
    code, out, err = _run(path, text)
    assert (code, out) == (0, text)
    assert err == (f'{path}: no %import ZEO and no <zeoclient> section: '
                   f'nothing to change\n{path}:1: %include zeo.conf: '
                   f'included files are not rewritten; migrate them on '
                   f'their own\n')


def test_two_alike_sections_are_reported_apart(tmp_path):
    # Two unnamed <zodb> sections: each client is numbered and reported
    # at its own line, with its own notes only.
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, textwrap.dedent("""\
        <zodb>
          <zeoclient>
            server 8100
          </zeoclient>
        </zodb>
        <zodb>
          <zeoclient>
            server 8200
            cache-size 10MB
          </zeoclient>
        </zodb>
        """))
    assert code == 0, err
    reports = [line for line in err.splitlines() if '<zodb>' in line]
    assert reports == [
        f"{path}:2: <zodb> <zeoclient> #1: ZODB's <zeoclient> and zeoconf "
        f"resolve to the same ClientStorage arguments",
        f"{path}:7: <zodb> <zeoclient> #2: ZODB's <zeoclient> and zeoconf "
        f"resolve to the same ClientStorage arguments"]
    assert err.count('  wait_timeout: ') == 2


def test_a_failure_of_zeoconf_itself_is_one_line(tmp_path):
    # A lone carriage return before a failing '$' (the loader's wording
    # of it failed with IndexError): one line, exit 1, never a traceback.
    path = tmp_path / 'zodb.conf'
    path.write_bytes(b'<zodb>\n<zeoclient>\nserver 8100\n</zeoclient>\n'
                     b'</zodb>\n\r0 $A')
    code, out, err = _run(path)
    assert (code, out) == (1, '')
    assert err.startswith(f'{path}') and len(err.splitlines()) == 1


def _traced_lines(function, *args):
    """How many lines of Python *function* runs: a count of work that
    does not depend on the machine's speed."""
    count = [0]

    def tracer(frame, event, arg):
        count[0] += 1
        return tracer

    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return count[0]


@pytest.mark.parametrize('shape', ['chain', 'many'])
def test_migrate_text_is_linear_in_the_defines_passwords_use(shape):
    # A chain of %define lines the password goes through, or many
    # passwords with a %define each: 10 times the lines must cost about
    # 10 times the work (it cost 100 times, quadratic, before).
    def text(n):
        if shape == 'chain':
            lines = [f'%define P{i} $P{i + 1}' for i in range(n)]
            lines += [f'%define P{n} {PASSWORD}', '<zodb>', '<zeoclient>',
                      'server 8100', 'password $P0']
        else:
            lines = [f'%define P{i} {PASSWORD}{i}' for i in range(n)]
            lines += ['<zodb>', '<zeoclient>', 'server 8100']
            lines += [f'password $P{i}' for i in range(n)]
        return '\n'.join(lines + ['</zeoclient>', '</zodb>', ''])

    small, large = text(100), text(1000)
    assert PASSWORD not in migrate_text(large).text
    ratio = (_traced_lines(migrate_text, large)
             / _traced_lines(migrate_text, small))
    assert ratio < 25, ratio


# --write never damages the file.

_SMALL = ('# mine\n<zodb>\n  <zeoclient>\n    server 8100\n'
          '  </zeoclient>\n</zodb>\n')
_SMALL_MIGRATED = ('# mine\n%import zeoconf\n<zodb>\n  <clientstorage>\n'
                   '    server 8100\n  </clientstorage>\n</zodb>\n')


def _run_limited(path, limit):
    """``zeoconf migrate --write PATH`` in a child process that may write
    no file beyond *limit* bytes (a full disk, as ``ulimit -f`` makes
    one; SIGXFSZ ignored, so that a write fails with EFBIG)."""
    import subprocess
    script = textwrap.dedent(f"""\
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        from zeoconf.cli import main
        sys.exit(main(['migrate', '--write', {str(path)!r}]))
        """)
    done = subprocess.run([sys.executable, '-c', script],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr


@pytest.mark.parametrize('hard_link', [False, True])
def test_write_on_a_full_disk_leaves_the_file_and_no_orig(tmp_path,
                                                          hard_link):
    path = tmp_path / 'zodb.conf'
    # Padded so that the original fits under the limit and the result,
    # longer by the %import line and two renames, does not.
    original = _SMALL + '#' * (1000 - len(_SMALL) - 1) + '\n'
    path.write_text(original)
    path.chmod(0o640)
    if hard_link:
        os.link(path, tmp_path / 'other-name.conf')
    code, err = _run_limited(path, 1010)
    assert code == 1
    assert err.endswith(f'; {path} is unchanged\n'), err
    assert 'File too large' in err
    assert path.read_text() == original
    # No backup is left to block the next run, and no temporary file.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ['zodb.conf'] + (['other-name.conf'] if hard_link else []))
    code, out, err = _run(path, write=True)
    assert code == 0, err
    assert (tmp_path / 'zodb.conf.orig').read_text() == original


def test_write_whose_backup_does_not_fit_leaves_everything(tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text(_SMALL)
    code, err = _run_limited(path, 20)
    assert code == 1
    assert err.endswith(f'{path}: not written: cannot write {path}.orig: '
                        f'File too large; {path} is unchanged\n'), err
    assert path.read_text() == _SMALL
    assert [p.name for p in tmp_path.iterdir()] == ['zodb.conf']


class _EditingErr(io.StringIO):
    """Standard error that edits the file, as an operator might, once
    the verdict is printed (after the file was read, before it is
    written)."""

    def __init__(self, path, edit):
        super().__init__()
        self.path, self.edit = path, edit

    def write(self, text):
        if text.startswith(f'{self.path}: same'):
            self.edit(self.path)
        return super().write(text)


@pytest.mark.parametrize('edit', ['append', 'same-size', 'new-file'])
def test_write_refuses_a_file_changed_while_migrate_ran(tmp_path, edit):
    path = tmp_path / 'zodb.conf'
    path.write_text(_SMALL)
    edited = {'append': _SMALL + '# more\n',
              'same-size': _SMALL.replace('mine', 'MINE'),
              'new-file': _SMALL}[edit]

    read = os.stat(path)

    def change(name):
        if edit == 'new-file':      # an editor that saves a new file
            os.unlink(name)
        with open(name, 'w') as f:
            f.write(edited)
        if edit == 'same-size':     # and the same mtime
            os.utime(name, ns=(read.st_atime_ns, read.st_mtime_ns))

    out, err = io.StringIO(), _EditingErr(str(path), change)
    code = migrate_file(str(path), write=True, out=out, err=err)
    assert code == 1
    assert err.getvalue().endswith(
        f'{path}: not written: it changed on disk while zeoconf migrate '
        f'ran; run it again; {path} is unchanged\n')
    assert path.read_text() == edited
    assert not os.path.exists(f'{path}.orig')


def test_write_keeps_mode_symlink_and_hard_links(tmp_path):
    real = tmp_path / 'etc'
    real.mkdir()
    target = real / 'zodb.conf'
    target.write_text(_SMALL)
    target.chmod(0o640)
    link = tmp_path / 'zodb.conf'
    link.symlink_to(target)
    other = real / 'also.conf'
    os.link(target, other)
    inode = target.stat().st_ino
    code, out, err = _run(link, write=True)
    assert code == 0, err
    # The symlink is still one, and its target holds the result; the hard
    # link is the same file still.
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == other.read_text() == _SMALL_MIGRATED
    assert target.stat().st_ino == inode
    assert target.stat().st_mode & 0o7777 == 0o640
    assert (tmp_path / 'zodb.conf.orig').read_text() == _SMALL
    assert sorted(p.name for p in real.iterdir()) == ['also.conf',
                                                     'zodb.conf']


def test_write_replaces_a_file_with_one_name_keeping_its_mode(tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text(_SMALL)
    path.chmod(0o604)
    code, out, err = _run(path, write=True)
    assert code == 0, err
    assert path.read_text() == _SMALL_MIGRATED
    assert path.stat().st_mode & 0o7777 == 0o604
    assert (path.stat().st_uid, path.stat().st_gid) == (os.getuid(),
                                                        os.getgid())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'zodb.conf', 'zodb.conf.orig']


@pytest.mark.parametrize('component', ['zeoclient', 'ZEO'])
def test_host_names_differing_in_case_are_the_same_servers(tmp_path,
                                                           component):
    # ZConfig lowercases the host of the original's server key; zeoconf
    # keeps it as written. DNS ignores case: not a difference.
    path = tmp_path / 'zodb.conf'
    section = 'zeoclient' if component == 'zeoclient' else 'clientstorage'
    head = '%import ZEO' if component == 'ZEO' else ''
    code, out, err = _run(path, f'{head}\n<zodb>\n  <{section}>\n'
                          f'    server ZEO.Example.COM:8100\n'
                          f'    server zeo2.example.com:8100\n'
                          f'  </{section}>\n</zodb>\n')
    assert code == 0, err
    assert ('  addr: zeo.example.com:8100, zeo2.example.com:8100 -> '
            'ZEO.Example.COM:8100, zeo2.example.com:8100 (same effect): '
            'the host names differ in case only') in err
    assert 'DIFFERS' not in err
    assert 'server ZEO.Example.COM:8100\n' in out


def test_var_without_client_is_dropped_not_refused(tmp_path):
    # ZEO ignores var without client; zeoconf would check the directory,
    # missing on this machine. The original opens: the migration too.
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, '<zodb>\n  <zeoclient>\n    server 8100\n'
                          f'    var {tmp_path}/not-here\n  </zeoclient>\n'
                          '</zodb>\n')
    assert code == 0, err
    assert f'{path}:4: dropped var: ZEO ignores it without client' in err
    assert 'var ' not in out
    # With client, var stays (and names the cache file's directory).
    code, out, err = _run(path, '<zodb>\n  <zeoclient>\n    server 8100\n'
                          f'    var {tmp_path}\n    client c1\n'
                          '  </zeoclient>\n</zodb>\n')
    assert code == 0, err
    assert f'    var {tmp_path}\n' in out


@pytest.mark.parametrize('header, generator, when', [
    ("# Generated from template; don't edit manually!",
     'plone.recipe.zope2instance', 'the next buildout run'),
    ('# This file was generated by "cookiecutter-zope-instance"',
     'cookiecutter-zope-instance', 'the next cookiecutter run'),
])
def test_a_generated_file_gets_a_warning(tmp_path, header, generator, when):
    path = tmp_path / 'zodb.conf'
    code, out, err = _run(path, f'{header}\n<zodb>\n  <zeoclient>\n'
                          f'    server 8100\n  </zeoclient>\n</zodb>\n')
    assert code == 0, err
    assert (f'{path}:1: warning: {generator} generated this file: {when} '
            f'overwrites the change; carry it into the settings '
            f'{generator} reads (see docs/migrate.md)\n') in err
    code, out, err = _run(path, _SMALL)
    assert code == 0 and 'warning' not in err


def test_offline_reads_no_tls_file_and_says_what_it_left_out(tmp_path):
    # A file for another machine: its TLS files, blob and cache
    # directories are not here, and its password function cannot be
    # imported here. Without --offline, ZEO's own component fails on it.
    missing = tmp_path / 'not-here'
    path = tmp_path / 'zodb.conf'
    path.write_text(textwrap.dedent(f"""\
        %import ZEO
        <zodb main>
          <clientstorage>
            server zeo1.example.com:8100
            blob-dir {missing}/blobs
            <ssl>
              certificate {missing}/client.pem
              key {missing}/client.key
              authenticate {missing}/ca.pem
              password-function no_such_module.password
            </ssl>
          </clientstorage>
        </zodb>
        <zodb other>
          <zeoclient>
            server zeo2.example.com:8100
            client c1
            var {missing}/var
          </zeoclient>
        </zodb>
        """))
    code, out, err = _run(path)
    assert code == 1
    from zeoconf.cli import main
    saved = io.StringIO()
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
        code = main(['migrate', '--offline', str(path)], out=saved)
    err = stderr.getvalue()
    assert code == 0, err
    assert (f'{path}: offline: not looked at on this machine: the TLS '
            f'files (certificate, key, authenticate)') in err
    assert 'not compared: ssl and ssl_server_hostname' in err
    assert err.endswith('after migration\n')
    assert saved.getvalue().startswith('%import zeoconf\n')
    assert not missing.exists()


SEED_TLS = ('%import ZEO\n\n<clientstorage>\n  server zeo.example.com:8100\n'
            '  <ssl>\n  </ssl>\n</clientstorage>\n')


def test_the_seeds_tls_example_migrates_although_zeo_refuses_it(tmp_path):
    # The seed's storage-only TLS example: ZEO's own component refuses its
    # empty <ssl>; migrate says so and writes what the documentation
    # describes, which zeoconf then reads as a storage-only file.
    path = tmp_path / 'storage.conf'
    code, out, err = _run(path, SEED_TLS)
    assert code == 0, err
    assert out == SEED_TLS.replace('%import ZEO', '%import zeoconf')
    assert f"{path}:5: the original never opens: ZEO's own component " \
           f"refuses an empty <ssl>" in err
    storage = ZODB.config.storageFromString(out.replace(
        '  <ssl>\n', '  wait false\n  <ssl>\n'))
    try:
        assert storage.getName()
    finally:
        storage.close()


def test_check_explains_zeos_refusal_of_the_seeds_tls_example(tmp_path):
    path = tmp_path / 'storage.conf'
    path.write_text(SEED_TLS)
    out = io.StringIO()
    assert main(['check', str(path)], out=out) == 1
    assert f"{path}:6: no values for 'certificate'; 1 required; ZEO's own " \
           f"component refuses an empty <ssl>" in out.getvalue()


def _from_python_snippets():
    """The Python blocks of the "From Python" section of docs/migrate.md."""
    docs = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'docs', 'migrate.md')
    with open(docs, encoding='utf-8') as f:
        section = f.read().split('\n## From Python\n', 1)[1]
    section = section.split('\n## ', 1)[0]
    return re.findall(r'^```python\n(.*?)^```$', section,
                      re.MULTILINE | re.DOTALL)


def test_the_from_python_snippets_of_the_docs_run(tmp_path, monkeypatch,
                                                  capsys):
    # What docs/migrate.md shows runs as shown, on a <zeoclient> file:
    # the API it names cannot go away unnoticed.
    snippets = _from_python_snippets()
    assert len(snippets) == 2
    text = textwrap.dedent("""\
        <zodb main>
          <zeoclient>
            server zeo.example.com:8100
            realm zodb
          </zeoclient>
        </zodb>
        """)
    (tmp_path / 'zodb.conf').write_text(text)
    monkeypatch.chdir(tmp_path)
    names = {}
    for snippet in snippets:
        exec(compile(snippet, 'docs/migrate.md', 'exec'), names)
    assert names['migration'].changed
    assert [d.key for d in names['migration'].dropped] == ['realm']
    assert names['code'] == 0
    assert capsys.readouterr().out == names['migration'].text
    assert [c.label for c in names['before']] == ['<zodb main> <zeoclient>']
    assert {d.effect for d in names['differences']} <= {'same', 'intended'}
    assert (tmp_path / 'zodb.conf').read_text() == text
