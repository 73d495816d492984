"""The zeoconf command, run as a subprocess as an operator would.

Servers started by fixtures live in this process; the command, a child
process, reaches them over 127.0.0.1.
"""

import json
import os
import socket
import subprocess
import sys
import threading

import pytest

SECRET = 'Pa55-never-printed'


def zeoconf(*args, timeout=60, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, '-m', 'zeoconf', *args], capture_output=True,
        text=True, timeout=timeout, cwd=cwd, env=env)


@pytest.fixture
def write(tmp_path):
    def write_(name, text):
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return write_


def _zodb(*bodies):
    sections = ''.join(
        f'<zodb db{i}>\n  <clientstorage>\n{body}\n  </clientstorage>\n'
        f'</zodb>\n' for i, body in enumerate(bodies))
    return '%import zeoconf\n' + sections


def _tls(ca, certs, *extra):
    lines = [f'authenticate {ca}', f'certificate {certs.client_cert}',
             f'key {certs.client_key}', *extra]
    return '    <ssl>\n' + ''.join(f'      {line}\n' for line in lines) + \
        '    </ssl>'


def _dead_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _table(stdout):
    """``{first cell: other cells}`` of the rows of show's text output."""
    return {line.split()[0]: line.split()[1:] for line in stdout.splitlines()
            if line.startswith('  ') and not line.strip().startswith('(')}


@pytest.fixture
def fake_server():
    """A listener on 127.0.0.1 that sends *greeting* and then says nothing.

    With ``greeting=None`` it does not even accept: the connection sits in
    the listen backlog.
    """
    listeners, held, stop = [], [], threading.Event()

    def start(greeting):
        listener = socket.socket()
        listener.bind(('127.0.0.1', 0))
        listener.listen(8)
        listeners.append(listener)
        if greeting is not None:
            def serve():
                listener.settimeout(0.1)
                while not stop.is_set():
                    try:
                        conn, _ = listener.accept()
                    except OSError:
                        continue
                    held.append(conn)
                    conn.sendall(greeting)
            threading.Thread(target=serve, daemon=True).start()
        return listener.getsockname()[1]

    yield start
    stop.set()
    for s in held + listeners:
        s.close()


# check

def test_check_valid_file_prints_one_line_per_storage(write):
    path = write('zodb.conf', _zodb(
        '    server zeo1.example.com:8100\n    read-only true',
        '    server zeo2.example.com:8100\n    server zeo3:8100\n'
        '    name catalog'))
    result = zeoconf('check', path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f'{path}: ok, 2 clientstorages'
    assert lines[1].split() == ['<zodb', 'db0>', 'zeo1.example.com:8100',
                                'storage=1', 'tls=off', 'read-only']
    assert lines[2].split() == [
        '<zodb', 'db1>', 'zeo2.example.com:8100,zeo3:8100', 'storage=1',
        'name=catalog', 'tls=off', 'read-write']
    assert result.stderr == ''


def test_check_says_tls_on(write, certs):
    path = write('zodb.conf', _zodb(
        '    server localhost:8100\n    read-only-fallback true\n' +
        _tls(certs.ca, certs)))
    result = zeoconf('check', path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[1].split()[-2:] == [
        'tls=on', 'read-only-fallback']


def test_check_bad_file_prints_file_and_line(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo.example.com8200'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith('zodb.conf:4: server: '
                                    "'zeo.example.com8200' is not an "
                                    'address')
    assert 'Traceback' not in result.stdout + result.stderr


def test_check_reports_every_file(write, tmp_path):
    good = write('good.conf', _zodb('    server zeo:8100'))
    write('bad.conf', _zodb('    server zeo:8100\n    cache_size 1'))
    result = zeoconf('check', good, 'bad.conf', cwd=tmp_path)
    assert result.returncode == 1
    good_line, _, bad_line = result.stdout.splitlines()
    assert good_line == f'{good}: ok, 1 clientstorage'
    assert bad_line.startswith('bad.conf:5: ')
    assert "did you mean 'cache-size'" in bad_line


def test_check_cross_key_error_points_at_the_key(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo:8100\n\n'
                             '    shared-blob-dir true'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith('zodb.conf:6: <clientstorage> for '
                                    'zeo:8100: shared-blob-dir (line 6)')


def test_check_refuses_a_blob_dir_that_is_a_file(write, tmp_path):
    # ZODB.config's parse leaves this to open(); check reports it at once.
    write('junk', 'a file\n')
    write('zodb.conf', _zodb('    server zeo:8100\n'
                             f'    blob-dir {tmp_path}/junk'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"zodb.conf:5: <clientstorage> for zeo:8100: blob-dir (line 5): "
        f"'{tmp_path}/junk' exists and is not a directory; expected a blob "
        f"directory")


def test_check_never_shows_a_piece_of_a_password_with_a_dollar(write,
                                                                tmp_path):
    # ZConfig's message would be "no replacement for 'ver-printed'".
    write('zodb.conf', _zodb('    server zeo:8100\n    username admin\n'
                             f'    password {SECRET.replace("-", "$", 1)}'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("zodb.conf:6: password: its value "
                                    "holds a '$'")
    output = result.stdout + result.stderr
    assert 'printed' not in output and 'never' not in output


def test_check_explains_the_zodb_cache_size_of_zeos_documentation(
        write, tmp_path):
    # ZEO's client documentation opens with <zodb> cache-size 1000MB.
    write('zodb.conf', '%import zeoconf\n<zodb>\n  cache-size 1000MB\n'
          '  <clientstorage>\n    server zeo:8100\n  </clientstorage>\n'
          '</zodb>\n')
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == (
        "zodb.conf:3: invalid literal for int() with base 10: '1000MB'; "
        "cache-size of <zodb> counts objects; bound the object cache in "
        "bytes with cache-size-bytes\n")


def test_check_explains_both_import_lines(write, tmp_path):
    write('zodb.conf', '# two components\n%import ZEO\n' +
          _zodb('    server zeo:8100'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith('zodb.conf:2: ')
    assert "Remove '%import ZEO'" in result.stdout
    assert 'component.xml' not in result.stdout


def test_check_finds_import_zeo_in_an_included_file(write, tmp_path):
    write('zeo.conf', '# ZEO\n\n%import ZEO\n')
    write('zodb.conf', '%include zeo.conf\n' + _zodb('    server zeo:8100'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("zeo.conf:3: '%import ZEO' and "
                                    "'%import zeoconf' cannot stand")


# What a package named by %import may do while ZConfig imports it; ZConfig
# lets it escape as it is.
# A package's own exception is named by its type, never its text (which
# may hold a secret).
BROKEN_PACKAGES = {
    'zc_cli_syntax': ('def f(:\n', 'importing zc_cli_syntax raised '
                                   'SyntaxError; its text is not shown'),
    'zc_cli_raises': ('raise RuntimeError("not configured")\n',
                      'importing zc_cli_raises raised RuntimeError; its '
                      'text is not shown'),
    'zc_cli_exits': ('import sys\nsys.exit(3)\n',
                     'importing zc_cli_exits raised SystemExit'),
    'zc_cli_secret': ('raise ImportError("vault token S3CRET rejected")\n',
                      'importing zc_cli_secret raised ImportError; its '
                      'text is not shown'),
}


@pytest.mark.parametrize('package', sorted(BROKEN_PACKAGES))
def test_check_reports_a_package_that_fails_to_import(write, tmp_path,
                                                      package):
    source, expected = BROKEN_PACKAGES[package]
    (tmp_path / package).mkdir()
    (tmp_path / package / '__init__.py').write_text(source)
    write('zodb.conf', f'%import zeoconf\n%import {package}\n' +
          _zodb('    server zeo:8100').split('\n', 1)[1])
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith(
        f'zodb.conf:2: %import {package}: {expected}')
    assert 'Traceback' not in result.stdout + result.stderr
    for secret in ('S3CRET', 'not configured'):
        assert secret not in result.stdout + result.stderr


def test_check_locates_a_failing_import_in_an_included_file(write,
                                                           tmp_path):
    (tmp_path / 'zc_cli_raises').mkdir()
    (tmp_path / 'zc_cli_raises' / '__init__.py').write_text(
        BROKEN_PACKAGES['zc_cli_raises'][0])
    write('imports.conf', '# imports\n%import zc_cli_raises\n')
    write('zodb.conf', '%import zeoconf\n%include imports.conf\n' +
          _zodb('    server zeo:8100').split('\n', 1)[1])
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    for command in ('check', 'show'):
        result = zeoconf(command, 'zodb.conf', cwd=tmp_path, env=env)
        assert result.returncode == 1
        # check reports on stdout, show on stderr.
        assert (result.stdout + result.stderr).startswith(
            'imports.conf:2: %import zc_cli_raises: importing zc_cli_raises '
            'raised RuntimeError')


def test_check_locates_a_missing_subpackage_at_its_own_line(write,
                                                           tmp_path):
    # "zeoconf" is in the message too; the line is the failing import's.
    write('zodb.conf', '%import zeoconf\n%import zeoconf.nope\n')
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith('zodb.conf:2: %import zeoconf.nope: ')


def test_check_reports_an_unreadable_include_at_its_line(write, tmp_path):
    (tmp_path / 'binary.conf').write_bytes(b'\xff\xfe\x00 not text')
    write('zodb.conf', '%import zeoconf\n\n%include binary.conf\n')
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(
        'zodb.conf:3: %include: ')
    assert 'binary.conf is not UTF-8 text (line 1, byte 1)' in result.stdout


def test_check_names_clients_zeoconf_does_not_handle(write):
    path = write('zodb.conf', '%import ZEO\n<zodb main>\n  <clientstorage>'
                 '\n    server zeo:8100\n  </clientstorage>\n</zodb>\n')
    result = zeoconf('check', path)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f'{path}: ok, 0 clientstorages',
        '  <zodb main> <clientstorage>: not checked: a ZEO client without '
        'zeoconf; run zeoconf migrate, or write %import zeoconf instead of '
        '%import ZEO']
    path = write('zeoclient.conf', '<zodb main>\n  <zeoclient>\n'
                 '    server zeo:8100\n  </zeoclient>\n</zodb>\n')
    assert zeoconf('check', path).stdout.splitlines()[1] == (
        "  <zodb main> <zeoclient>: not checked: ZODB's own ZEO client; run "
        "zeoconf migrate, or add %import zeoconf and rename <zeoclient> to "
        "<clientstorage>")


def test_check_prints_warnings_on_stderr(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo:8100\n'
                             '    max-disconnect-poll 300'))
    result = zeoconf('check', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == \
        'zodb.conf: ok, 1 clientstorage, 1 warning'
    [warning] = result.stderr.splitlines()
    assert warning.startswith('zodb.conf: warning: ')
    assert 'max-disconnect-poll (line 5) is ignored' in warning


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


def test_check_zope_conf_with_zopes_schema(write, tmp_path):
    path = write('zope.conf', ZOPE_CONF.format(home=tmp_path))
    result = zeoconf('check', '--schema', 'zope', path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[1:] == [
        '  <zodb_db main>     zeo.example.com:8100  storage=1        '
        'tls=off  read-write',
        '  <zodb_db catalog>  zeo.example.com:8100  storage=catalog  '
        'tls=off  read-only']
    # ZODB's schema knows no instancehome: the right schema matters, and
    # the error says which to use.
    wrong = zeoconf('check', '--schema', 'zodb', path)
    assert wrong.returncode == 1
    assert wrong.stdout.startswith(f'{path}:2: ')
    assert 'use --schema zope' not in wrong.stdout
    assert ("reads like a zope.conf: read it with Zope's schema (zeoconf "
            "check --schema zope FILE" in wrong.stdout)


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


def test_check_with_a_schema_file(write):
    schema = write('schema.xml', SCHEMA)
    path = write('app.conf', '<clientstorage a>\n  server zeo:1\n'
                 '</clientstorage>\n<clientstorage b>\n  server zeo:2\n'
                 '</clientstorage>\n')
    result = zeoconf('check', '--schema', schema, path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[1:] == [
        '  <clientstorage a>  zeo:1  storage=1  tls=off  read-write',
        '  <clientstorage b>  zeo:2  storage=1  tls=off  read-write']


def test_check_with_a_broken_schema_file(write):
    schema = write('schema.xml', '<schema><import')
    path = write('app.conf', '')
    result = zeoconf('check', '--schema', schema, path)
    assert result.returncode == 1
    assert result.stdout.startswith(f'{schema}: not a usable ZConfig '
                                    'schema: ')
    assert 'Traceback' not in result.stderr


def test_check_with_a_schema_whose_import_fails(write, tmp_path):
    (tmp_path / 'zc_cli_raises').mkdir()
    (tmp_path / 'zc_cli_raises' / '__init__.py').write_text(
        BROKEN_PACKAGES['zc_cli_raises'][0])
    schema = write('schema.xml', '<schema>\n  <import package='
                   '"zc_cli_raises"/>\n</schema>\n')
    path = write('app.conf', '')
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = zeoconf('check', '--schema', schema, path, env=env)
    assert result.returncode == 1
    assert result.stdout == (f'{schema}: not a usable ZConfig schema: '
                             'RuntimeError: not configured\n')
    assert 'Traceback' not in result.stderr


def test_check_and_cli_import_neither_zeo_nor_asyncio(write):
    path = write('zodb.conf', _zodb('    server zeo:8100'))
    code = ('import sys\n'
            'import zeoconf.cli\n'
            'loaded = [m for m in sys.modules if m.split(".")[0] in '
            '("ZEO", "asyncio")]\n'
            'assert not loaded, loaded\n'
            f'assert zeoconf.cli.main(["check", {path!r}]) == 0\n'
            f'assert zeoconf.cli.main(["show", {path!r}]) == 0\n'
            'loaded = [m for m in sys.modules if m.split(".")[0] in '
            '("ZEO", "asyncio")]\n'
            'assert not loaded, loaded\n')
    result = subprocess.run([sys.executable, '-c', code], text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_usage_errors_exit_2(write):
    path = write('zodb.conf', _zodb('    server zeo:8100'))
    assert zeoconf('check').returncode == 2
    assert zeoconf('frobnicate').returncode == 2
    bad_timeout = zeoconf('ping', path, '--timeout', '0')
    assert bad_timeout.returncode == 2
    assert 'above zero' in bad_timeout.stderr
    help_text = zeoconf('--help').stdout
    assert 'lists its exit codes; 2 is always wrong command-line usage' \
        in ' '.join(help_text.split())
    for command in ('check', 'show', 'ping', 'migrate', 'demo'):
        own = zeoconf(command, '--help').stdout
        assert 'exit codes:' in own and '2  wrong command-line usage' in own
    assert 'usable server' in zeoconf('ping', '--help').stdout
    assert 'usable server' not in zeoconf('check', '--help').stdout


def test_version():
    import zeoconf as package
    result = zeoconf('--version')
    assert result.returncode == 0
    assert result.stdout == f'zeoconf {package.__version__}\n'


# show

def test_show_gives_every_value_and_its_origin(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo:8100\n    cache-size 1GB\n'
                             f'    password {SECRET}\n    username bob\n'
                             '    wait-timeout 500ms'))
    result = zeoconf('show', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 0
    assert SECRET not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == '<zodb db0>'
    assert lines[1].split() == ['KEY', 'VALUE', 'FROM', 'NOTE']
    rows = _table(result.stdout)
    assert rows['server'] == ['zeo:8100', 'line', '4']
    assert rows['cache-size'] == ['1GB', 'line', '5']
    assert rows['password'][:3] == ['<redacted>', 'line', '6']
    assert rows['wait-timeout'] == ['0.5s', 'line', '8']
    # Every key, the defaults too.
    assert rows['disconnect-poll'] == ['1s', 'default']
    assert rows['blob-cache-size-check'] == ['10%', 'default']
    assert rows['blob-dir'] == ['-', 'default']
    assert len(rows) == 1 + 24          # the header and every key

    only_set = zeoconf('show', '--only-set', 'zodb.conf', cwd=tmp_path)
    rows = _table(only_set.stdout)
    assert set(rows) == {'KEY', 'server', 'cache-size', 'password',
                         'username', 'wait-timeout'}
    assert '(19 more keys at their defaults)' in only_set.stdout


def test_show_says_how_values_resolve(write, tmp_path):
    var = tmp_path / 'var'
    var.mkdir()
    write('zodb.conf', _zodb(
        f'    server localhost:8100\n    client app1\n    var {var}\n'
        '    min-disconnect-poll 2\n    max-disconnect-poll 300\n'
        '    <ssl>\n    </ssl>'))
    result = zeoconf('show', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = _table(result.stdout)
    assert ' '.join(rows['cache-path']) == (
        f'- default cache file {var}/app1-1.zec, from client (line 5) and '
        f'var (line 6)')
    assert ' '.join(rows['disconnect-poll']) == (
        '2s default 2s, from min-disconnect-poll (line 7)')
    assert ' '.join(rows['max-disconnect-poll']) == (
        '300 line 8 accepted and ignored: current ZEO has no use for it')
    assert ' '.join(rows['ssl.server-hostname']) == (
        '- default localhost is checked: the host of the server address')
    assert rows['ssl.authenticate'] == ['-', 'default']
    assert rows['ssl.check-hostname'] == ['true', 'default']
    # The warning about max-disconnect-poll, once, on stderr.
    assert result.stderr.count('warning: ') == 1


def test_show_origin_in_an_included_file(write, tmp_path):
    write('storage.conf', '<clientstorage>\n  server zeo:8100\n'
          '  read-only true\n</clientstorage>\n')
    write('zodb.conf', '%import zeoconf\n<zodb>\n%include storage.conf\n'
          '</zodb>\n')
    result = zeoconf('show', 'zodb.conf', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = _table(result.stdout)
    assert rows['server'] == ['zeo:8100', 'storage.conf:2']
    assert rows['read-only'] == ['true', 'storage.conf:3']


def test_show_json_is_complete_and_redacted(write, tmp_path, certs):
    module = tmp_path / 'zc_cli_pw.py'
    module.write_text(f'def pw():\n    return {certs.password!r}\n')
    path = write('zodb.conf', _zodb(
        f'    server localhost:8100\n    password {SECRET}\n'
        f'    <ssl>\n      authenticate {certs.ca}\n'
        f'      certificate {certs.client_cert}\n'
        f'      key {certs.encrypted_key}\n'
        f'      password-function zc_cli_pw.pw\n    </ssl>'))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = zeoconf('show', '--json', path, env=env)
    assert result.returncode == 0, result.stdout
    for secret in (SECRET, certs.password):
        assert secret not in result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data['format'] == 1
    assert data['file'] == path
    assert data['warnings'] == [
        '<clientstorage> for localhost:8100: password (line 5) is ignored: '
        'ZEO no longer authenticates with a password; use <ssl> client '
        'certificates.']
    [storage] = data['storages']
    assert storage['label'] == '<zodb db0>'
    assert storage['section'] is None
    assert storage['keys']['server'] == {
        'value': ['localhost:8100'], 'origin': 'line 4', 'note': None}
    assert storage['keys']['wait-timeout'] == {
        'value': 30.0, 'origin': 'default', 'note': None}
    assert storage['keys']['cache-size']['value'] == 20 * 1024 * 1024
    assert storage['keys']['password']['value'] == '<redacted>'
    assert len(storage['keys']) == 24
    ssl = storage['ssl']
    assert set(ssl) == {'certificate', 'key', 'password-function',
                        'authenticate', 'check-hostname', 'server-hostname'}
    assert ssl['password-function'] == {
        'value': 'zc_cli_pw.pw', 'origin': 'line 10', 'note': None}
    assert ssl['authenticate'] == {'value': certs.ca, 'origin': 'line 7',
                                   'note': None}
    assert ssl['key']['value'] == certs.encrypted_key
    assert ssl['check-hostname'] == {'value': True, 'origin': 'default',
                                     'note': None}
    assert ssl['server-hostname']['value'] is None
    kwargs = storage['kwargs']
    assert kwargs['ssl'] == 'SSLContext'
    assert kwargs['ssl_server_hostname'] == 'localhost'
    assert kwargs['addr'] == ['localhost:8100']
    assert kwargs['cache_size'] == 20 * 1024 * 1024
    # The text form hides the same secrets.
    text = zeoconf('show', path, env=env)
    assert text.returncode == 0
    for secret in (SECRET, certs.password):
        assert secret not in text.stdout + text.stderr
    assert 'zc_cli_pw.pw' in text.stdout


# ping

def test_ping_live_plain_server(write, zeo_server):
    path = write('zodb.conf', _zodb(
        f'    server {zeo_server.config_address}'))
    result = zeoconf('ping', path, '--timeout', '5')
    assert result.returncode == 0, result.stdout + result.stderr
    header, row, summary = result.stdout.splitlines()
    assert header.split() == ['STORAGE', 'SERVER', 'STATUS', 'MODE',
                              'LATENCY', 'DETAIL']
    cells = row.split()
    assert cells[:5] == ['<zodb', 'db0>', zeo_server.config_address, 'ok',
                         'writable']
    assert cells[5].endswith('ms') and float(cells[5][:-2]) >= 0
    assert summary == '1 of 1 storage usable'
    # Progress while it runs, on stderr.
    assert result.stderr.splitlines() == [
        'ping: 1 server of 1 storage, 5s at most',
        f'ping: <zodb db0> {zeo_server.config_address}: ok']


def test_ping_live_tls_server(write, tls_server, certs):
    path = write('zodb.conf', _zodb(
        f'    server localhost:{tls_server.port}\n' + _tls(certs.ca, certs)))
    result = zeoconf('ping', '--json', path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data['format'] == 1 and data['timeout'] == 5.0
    [storage] = data['storages']
    assert storage['usable'] is True and storage['label'] == '<zodb db0>'
    [server] = storage['servers']
    assert set(server) == {'server', 'status', 'mode', 'connect_ms',
                           'latency_ms', 'detail', 'usable'}
    assert server['server'] == f'localhost:{tls_server.port}'
    assert server['status'] == 'ok' and server['mode'] == 'writable'
    assert server['usable'] is True and server['detail'] is None
    assert server['latency_ms'] > 0 and server['connect_ms'] > 0


def test_ping_names_the_certificate_problem(write, tls_server, certs):
    path = write('zodb.conf', _zodb(
        f'    server localhost:{tls_server.port}\n' +
        _tls(certs.other_ca, certs)))
    result = zeoconf('ping', '--json', path)
    assert result.returncode == 1
    [server] = json.loads(result.stdout)['storages'][0]['servers']
    assert server['status'] == 'tls-failed'
    # OpenSSL's reason, as ssl.SSLCertVerificationError.verify_message.
    assert server['detail'] == ('certificate verification failed: '
                                'self-signed certificate in certificate '
                                'chain')
    text = zeoconf('ping', path)
    assert text.returncode == 1
    assert 'certificate verification failed: self-signed certificate' \
        in text.stdout
    assert text.stdout.splitlines()[-1] == '0 of 1 storage usable'


def test_ping_names_a_host_name_mismatch(write, tls_server, certs):
    path = write('zodb.conf', _zodb(
        f'    server 127.0.0.1:{tls_server.port}\n' +
        _tls(certs.ca, certs, 'server-hostname zeo.example.com')))
    result = zeoconf('ping', '--json', path)
    assert result.returncode == 1
    [server] = json.loads(result.stdout)['storages'][0]['servers']
    assert server['status'] == 'tls-failed'
    assert "not valid for 'zeo.example.com'" in server['detail']


def test_ping_without_client_certificate_or_tls(write, tls_server,
                                               zeo_server, certs):
    path = write('zodb.conf', _zodb(
        # ZEO's server demands a client certificate.
        f'    server localhost:{tls_server.port}\n    <ssl>\n'
        f'      authenticate {certs.ca}\n    </ssl>',
        # No <ssl> for a TLS server: it waits for a handshake.
        f'    server localhost:{tls_server.port}',
        # <ssl> for a plain server.
        f'    server localhost:{zeo_server.port}\n' + _tls(certs.ca, certs)))
    result = zeoconf('ping', '--json', path, '--timeout', '2', timeout=20)
    assert result.returncode == 1
    no_cert, no_tls, plain = [s['servers'][0] for s in
                              json.loads(result.stdout)['storages']]
    assert no_cert['status'] in ('closed', 'tls-failed')
    assert 'client certificate' in no_cert['detail']
    assert no_tls['status'] == 'timeout'
    assert 'add <ssl>?' in no_tls['detail']
    assert plain['status'] == 'tls-failed'
    assert 'does not speak TLS' in plain['detail']


def test_ping_dead_port_returns_within_the_timeout(write):
    path = write('zodb.conf', _zodb(f'    server 127.0.0.1:{_dead_port()}'))
    result = zeoconf('ping', path, '--timeout', '2', timeout=2 + 10)
    assert result.returncode == 1
    assert 'refused' in result.stdout
    assert 'connection refused: nothing listens there' in result.stdout


def test_ping_unix_socket(write, make_server, tmp_path):
    server = make_server(address=str(tmp_path / 'zeo.sock'))
    missing = tmp_path / 'missing.sock'
    path = write('zodb.conf', _zodb(f'    server {server.config_address}',
                                    f'    server {missing}'))
    result = zeoconf('ping', '--json', path)
    assert result.returncode == 1
    live, dead = json.loads(result.stdout)['storages']
    assert live['usable'] is True
    assert live['servers'][0]['mode'] == 'writable'
    assert dead['servers'][0]['status'] == 'refused'
    assert dead['servers'][0]['detail'] == ('no such socket file: is the '
                                            'server running?')


@pytest.mark.parametrize('greeting', [None, b'\x00\x00\x00\x02Z5'],
                         ids=['never-accepts', 'greets-then-silent'])
def test_ping_silent_server_ends_by_the_timeout(write, fake_server,
                                                greeting):
    # The process must end by --timeout (plus start-up and a second of
    # grace), however far the server gets before it stops answering.
    port = fake_server(greeting)
    path = write('zodb.conf', _zodb(f'    server 127.0.0.1:{port}'))
    result = zeoconf('ping', '--json', path, '--timeout', '1',
                     timeout=1 + 10)
    assert result.returncode == 1
    [server] = json.loads(result.stdout)['storages'][0]['servers']
    assert server['status'] == 'timeout'


def test_ping_something_that_is_not_zeo(write, fake_server):
    port = fake_server(b'SSH-2.0-OpenSSH_9.6\r\n')
    path = write('zodb.conf', _zodb(f'    server 127.0.0.1:{port}'))
    result = zeoconf('ping', '--json', path, '--timeout', '2', timeout=20)
    assert result.returncode == 1
    [server] = json.loads(result.stdout)['storages'][0]['servers']
    assert server['status'] == 'not-zeo'
    assert "b'SSH-2.0-OpenSSH_" in server['detail']


def test_ping_one_usable_server_is_enough(write, zeo_server, make_server):
    read_only = make_server(read_only=True)
    path = write('zodb.conf', _zodb(
        f'    server 127.0.0.1:{_dead_port()}\n'
        f'    server {zeo_server.config_address}',
        f'    server {zeo_server.config_address}\n    storage nope',
        f'    server {read_only.config_address}',
        f'    server {read_only.config_address}\n    read-only true'))
    result = zeoconf('ping', '--json', path, '--timeout', '5')
    first, second, third, fourth = json.loads(result.stdout)['storages']
    assert first['usable'] is True
    assert [s['status'] for s in first['servers']] == ['refused', 'ok']
    [wrong_name] = second['servers']
    assert wrong_name['status'] == 'no-storage'
    assert wrong_name['detail'] == (
        "the server has no storage 'nope' (ValueError: unknown storage: "
        "nope): is the storage name right?")
    assert third['servers'][0]['status'] == 'read-only'
    assert third['servers'][0]['mode'] == 'read-only'
    assert fourth['usable'] is True
    assert fourth['servers'][0]['mode'] == 'read-only'
    assert result.returncode == 1


def test_show_and_ping_report_a_bad_file_with_its_line(write, tmp_path):
    write('zodb.conf', _zodb('    server zeo:8100\n    wait-timeout 0'))
    for command in ('show', 'ping'):
        result = zeoconf(command, 'zodb.conf', cwd=tmp_path)
        assert result.returncode == 1
        assert result.stdout == ''
        assert result.stderr.startswith('zodb.conf:5: wait-timeout: ')


def test_configuration_without_clientstorage(write):
    path = write('zodb.conf', '%import zeoconf\n<zodb>\n  <mappingstorage>'
                 '\n  </mappingstorage>\n</zodb>\n')
    for command in ('show', 'ping'):
        result = zeoconf(command, path)
        assert result.returncode == 0
        assert result.stdout == f'{path}: no clientstorage\n'


def test_ping_fails_when_its_zeo_clients_are_not_zeoconfs(write):
    # ZODB's own <zeoclient>: nothing probed, so not "all is well".
    path = write('zodb.conf', '<zodb>\n  <zeoclient>\n    server '
                 f'127.0.0.1:{_dead_port()}\n  </zeoclient>\n</zodb>\n')
    result = zeoconf('ping', path, '--timeout', '2')
    assert result.returncode == 1
    assert result.stdout == (f'{path}: no zeoconf clientstorage; 1 ZEO '
                             f'client section not probed\n')
    assert (f"{path}: <zodb> <zeoclient>: not probed: ZODB's own ZEO "
            f"client; run zeoconf migrate") in result.stderr
    result = zeoconf('ping', '--json', path, '--timeout', '2')
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report['storages'] == []
    assert report['not_probed'] == ['<zodb> <zeoclient>']


# demo

def test_demo_runs_and_cleans_up():
    result = zeoconf('demo', timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count('(the invalidation arrived)') == 2
    assert '== TLS with a client certificate' in out
    assert "client 2 read greeting='hello from client 1' and " \
        "blob=b'blob bytes through ZEO'" in out
    assert 'server-sync' in out and 'line ' in out
    # Each round shows its configuration with the lines that set it.
    assert out.count('zeoconf show --only-set client-1.conf:') == 2
    assert 'ssl.certificate' in out and 'ssl.server-hostname' in out
    assert '  | %import zeoconf\n  |\n  | <zodb>' in out
    temp = out.split('blob-dir ')[1].split('/blobs-client-1')[0]
    assert not os.path.exists(temp)
    assert out.rstrip().endswith('demo finished: servers stopped, '
                                 'temporary files removed')


def test_demo_without_trustme_says_what_to_install():
    code = ('import sys; sys.modules["trustme"] = None\n'
            'from zeoconf.cli import main\n'
            'sys.exit(main(["demo"]))\n')
    result = subprocess.run([sys.executable, '-c', code], text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 1
    assert 'zeoconf demo needs trustme' in result.stdout
    assert "pip install 'zeoconf[test]'" in result.stdout


def test_migrate_output_redirected_is_the_file_byte_for_byte(tmp_path):
    # Escaping is for a terminal: a CRLF file stays CRLF, a form feed in
    # a comment stays a form feed.
    path = tmp_path / 'zodb.conf'
    path.write_bytes(b'%import ZEO\r\n# page\x0c\r\n<zodb>\r\n'
                     b'  <clientstorage>\r\n    server zeo:8100\r\n'
                     b'  </clientstorage>\r\n</zodb>\r\n')
    result = subprocess.run([sys.executable, '-m', 'zeoconf', 'migrate',
                             str(path)], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == path.read_bytes().replace(
        b'%import ZEO\r\n', b'%import zeoconf\r\n')


def test_the_help_shown_in_docs_cli_md_is_the_commands_own():
    # docs/cli.md shows each --help as the command prints it (80 columns).
    import re
    docs = os.path.join(os.path.dirname(__file__), '..', 'docs', 'cli.md')
    with open(docs) as f:
        text = f.read()
    blocks = re.findall(r'```\n\$ zeoconf (\S+ )?--help\n(.*?)\(exit 0\)\n',
                        text, re.S)
    assert {command.strip() for command, _ in blocks} == {
        '', 'check', 'show', 'ping', 'migrate', 'demo'}
    env = dict(os.environ, COLUMNS='80')
    for command, shown in blocks:
        args = [command.strip()] if command else []
        result = zeoconf(*args, '--help', env=env)
        printed = result.stdout
        if sys.version_info < (3, 10):
            # The heading that argparse printed before Python 3.10.
            printed = re.sub(r'(?m)^optional arguments:$', 'options:',
                             printed)
        assert printed == shown, command
