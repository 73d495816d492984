"""Which schema the commands read a file with (zeoconf.cli.schemas): ZODB's,
its storage schema for a storage-only file, Zope's, or a schema file."""

import functools
import subprocess
import sys

import pytest
from cli_files import write_file


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
