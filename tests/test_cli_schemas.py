"""Which schema the commands read a file with (zeoconf.cli.schemas): ZODB's,
its storage schema for a storage-only file, Zope's, or a schema file."""

import functools
import os
import subprocess
import sys

import pytest
from cli_files import GOOD, table, write_file

from zeoconf.cli import schemas


@pytest.fixture
def write(tmp_path):
    return functools.partial(write_file, tmp_path)


ZOPE_CONF = """\
%import zeoconf
instancehome {home}
<zodb_db main>
  mount-point /
  cache-size 5000
  <clientstorage>
    server zeo.example.com:8100
    blob-dir {home}/blobs
  </clientstorage>
</zodb_db>
<zodb_db catalog>
  mount-point /catalog
  <clientstorage>
    server zeo.example.com:8100
    storage catalog
    read-only true
  </clientstorage>
</zodb_db>
"""


def test_check_zope_conf_with_zopes_schema(run_cli, write, tmp_path):
    path = write('zope.conf', ZOPE_CONF.format(home=tmp_path))
    result = run_cli('check', '--schema', 'zope', path)
    assert result.status == 0, result.out
    assert result.out.splitlines()[1:] == [
        '  <zodb_db main>     zeo.example.com:8100  storage=1        '
        'tls=off  read-write',
        '  <zodb_db catalog>  zeo.example.com:8100  storage=catalog  '
        'tls=off  read-only']
    # ZODB's schema knows no instancehome: the right schema matters, and
    # the error says which to use.
    wrong = run_cli('check', '--schema', 'zodb', path)
    assert wrong.status == 1
    assert wrong.out.startswith(f'{path}:2: ')
    assert 'use --schema zope' not in wrong.out
    assert ("reads like a zope.conf: read it with Zope's schema (zeoconf "
            "check --schema zope FILE" in wrong.out)


def test_check_zope_schema_without_zope(write, tmp_path):
    path = write('zope.conf', ZOPE_CONF.format(home=tmp_path))
    # A Python in which Zope cannot be imported.
    code = ('import sys; sys.modules["Zope2"] = None\n'
            'from zeoconf.cli import main\n'
            f'sys.exit(main(["check", "--schema", "zope", {path!r}]))\n')
    result = subprocess.run([sys.executable, '-c', code], text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ('--schema zope needs Zope installed in this '
                             'Python (pip install Zope), or give the path '
                             'of a schema file\n')


SCHEMA = """<schema>
  <import package="zeoconf"/>
  <multisection type="clientstorage" name="*" attribute="storages"/>
</schema>"""


def test_check_with_a_schema_file(run_cli, write):
    schema = write('schema.xml', SCHEMA)
    path = write('app.conf', '<clientstorage a>\n  server zeo:1\n'
                 '</clientstorage>\n<clientstorage b>\n  server zeo:2\n'
                 '</clientstorage>\n')
    result = run_cli('check', '--schema', schema, path)
    assert result.status == 0, result.out
    assert result.out.splitlines()[1:] == [
        '  <clientstorage a>  zeo:1  storage=1  tls=off  read-write',
        '  <clientstorage b>  zeo:2  storage=1  tls=off  read-write']


def test_check_with_a_broken_schema_file(run_cli, write):
    schema = write('schema.xml', '<schema><import')
    path = write('app.conf', '')
    result = run_cli('check', '--schema', schema, path)
    assert result.status == 1
    assert result.out.startswith(f'{schema}: not a usable ZConfig '
                                    'schema: ')
    assert 'Traceback' not in result.err


@pytest.mark.parametrize('command', ['check', 'show', 'ping', 'migrate'])
def test_a_missing_schema_file_is_named_not_taken_for_the_output(
        run_cli, write, tmp_path, command):
    path = write('app.conf', GOOD)
    missing = str(tmp_path / 'missing.xml')
    result = run_cli(command, '--schema', missing, path)
    said = result.out + result.err
    assert result.status in (1, 2), said
    assert f'{missing}: cannot read the schema file: No such file' in said
    assert 'cannot write the output' not in said


def test_check_with_a_schema_whose_import_fails(
        monkeypatch, run_cli, write, tmp_path):
    (tmp_path / 'zc_cli_raises').mkdir()
    (tmp_path / 'zc_cli_raises' / '__init__.py').write_text(
        'raise RuntimeError("not configured")\n')
    schema = write('schema.xml', '<schema>\n  <import package='
                   '"zc_cli_raises"/>\n</schema>\n')
    path = write('app.conf', '')
    monkeypatch.syspath_prepend(str(tmp_path))
    result = run_cli('check', '--schema', schema, path)
    assert result.status == 1
    # The package's own exception by its type, never its text.
    assert result.out == (f'{schema}: not a usable ZConfig schema: '
                          'importing what it names raised RuntimeError\n')
    assert 'Traceback' not in result.err


# Storage-only files: one storage section at the top level, read with
# ZODB's storage schema, as ZODB.config.storageFromFile reads them.

@pytest.mark.parametrize('command', ['check', 'show'])
def test_a_storage_only_file_is_read_with_the_storage_schema(
        run_cli, write, tmp_path, command):
    write('storage.conf', """
        %import zeoconf
        <clientstorage>
          server zeo.example.com:8100
          read-only true
        </clientstorage>
        """)
    result = run_cli(command, 'storage.conf', cwd=tmp_path)
    assert result.status == 0, result.out + result.err
    assert ('storage.conf: read as a storage-only file '
            '(ZODB.config.storageFromFile)') in result.err
    if command == 'check':
        assert result.out.splitlines() == [
            'storage.conf: ok, 1 clientstorage',
            '  <clientstorage> for zeo.example.com:8100  '
            'zeo.example.com:8100  storage=1  tls=off  read-only']
    else:
        rows = table(result.out)
        assert rows['server'] == ['zeo.example.com:8100', 'line', '3']
        assert rows['read-only'] == ['true', 'line', '4']


@pytest.mark.parametrize('command', ['check', 'show'])
def test_a_storage_only_file_reports_its_problems_at_their_lines(
        run_cli, write, tmp_path, command):
    write('storage.conf', """
        %import zeoconf
        <clientstorage>
          server zeo.example.com:8100
          cache-size 1XB
        </clientstorage>
        """)
    result = run_cli(command, 'storage.conf', cwd=tmp_path)
    assert result.status == 1
    report = result.out if command == 'check' else result.err
    assert "storage.conf:4: cache-size: '1XB' is not a size" in report
    assert 'no matching section' not in result.out + result.err


@pytest.mark.parametrize('command', ['check', 'show'])
def test_the_seeds_tls_example_with_import_zeo_is_read_with_its_lines(
        run_cli, write, tmp_path, command):
    # ZEO's documentation: %import ZEO and a bare <clientstorage> whose
    # <ssl> is empty; ZEO's own <ssl> requires a certificate.
    write('seed.conf', """
        %import ZEO

        <clientstorage>
          server zeo.example.com:8200
          <ssl>
          </ssl>
        </clientstorage>
        """)
    result = run_cli(command, 'seed.conf', cwd=tmp_path)
    assert result.status == 1
    report = result.out if command == 'check' else result.err
    assert "seed.conf:6: no values for 'certificate'; 1 required" in report
    assert 'no matching section' not in result.out + result.err


def test_a_zeo_storage_only_file_is_named_as_not_zeoconfs(
        run_cli, write, tmp_path):
    write('seed.conf', """
        %import ZEO
        <clientstorage>
          server zeo.example.com:8200
        </clientstorage>
        """)
    result = run_cli('check', 'seed.conf', cwd=tmp_path)
    assert result.status == 0, result.out
    assert result.out.splitlines() == [
        'seed.conf: ok, 0 clientstorages',
        '  <clientstorage>: not checked: a ZEO client without zeoconf; run '
        'zeoconf migrate, or write %import zeoconf instead of %import ZEO']


def test_check_offline_reads_a_zope_conf_whose_instancehome_is_elsewhere(
        run_cli, monkeypatch):
    # examples/zope.conf names /srv/zope/instance, missing here: Zope's
    # existing-directory datatype is swapped for a syntax check.
    pytest.importorskip('Zope2')
    path = 'examples/zope.conf'
    monkeypatch.chdir(os.path.join(os.path.dirname(__file__), '..'))
    with open(path) as f:
        home = [line.split()[1] for line in f
                if line.strip().startswith('instancehome')]
    assert home and not os.path.exists(home[0])
    online = run_cli('check', path)
    assert online.status == 1
    assert online.out.startswith(
        f'examples/zope.conf:6: {home[0]} is not an existing directory\n')
    result = run_cli('check', '--offline', path)
    assert result.status == 0, result.out
    assert result.out.splitlines()[0].endswith(': ok, 2 clientstorages')
    assert "read as a zope.conf (Zope's schema)" in result.err


@pytest.mark.parametrize('module, installed', [
    ('ZConfig', True), ('ZConfig.loader', True), ('zc_no_such', False),
    # A dotted condition whose parent is missing: find_spec raises there.
    ('zc_no_such.sub', False)])
def test_a_schema_import_condition_is_a_module_that_can_be_imported(
        module, installed):
    assert schemas._installed(module) is installed
