"""``zeoconf check`` as a linter: every problem of a file in one run.

Most tests run the installed ``zeoconf`` command in a subprocess, as an
operator would; the counting tests call :func:`zeoconf.lint.check` in
this process.
"""

import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

from zeoconf import cli, lint, loader

BIN = os.path.join(os.path.dirname(sys.executable), 'zeoconf')
COMMAND = [BIN] if os.path.exists(BIN) else [sys.executable, '-m',
                                             'zeoconf']


def zeoconf(*args, cwd=None, env=None):
    # The timeout is a guard against a hang, not a measure.
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=env)


@pytest.fixture
def write(tmp_path):
    def write_(name, text):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip('\n'))
        return str(path)
    return write_


def lines_of(result):
    return result.stdout.splitlines()


def numbers(result, name='f.conf'):
    """The line numbers of ``name:N:`` problems, in output order."""
    return [int(line.split(':')[1]) for line in lines_of(result)
            if line.startswith(f'{name}:') and line.split(':')[1].isdigit()]


# Every problem, in line order.

def test_three_missing_tls_files_are_all_reported_in_line_order(
        write, tmp_path):
    write('f.conf', """
        %import zeoconf

        <zodb main>
          <clientstorage>
            server zeo1.example.com:8100
            cache-size 20MB
            <ssl>
              certificate /nonexistent/client.pem
              key /nonexistent/client.key
              authenticate /nonexistent/ca.pem
            </ssl>
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert numbers(result) == [8, 9, 10]
    first, second, third = lines_of(result)
    assert first.startswith('f.conf:8: certificate: ')
    assert second.startswith('f.conf:9: key: ')
    assert third.startswith('f.conf:10: authenticate: ')
    assert 'needs certificate' not in result.stdout
    assert result.stderr == ''


def test_a_key_typo_a_bad_size_and_a_bad_address_are_all_reported(
        write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            cache_size 20MB
            blob-cache-size 12XB
            server zeo.example.com8100
            blob-dir /tmp
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    typo, size, address = lines_of(result)
    assert typo.startswith("f.conf:4: 'cache_size' is not a key")
    assert "did you mean 'cache-size'" in typo
    assert size.startswith("f.conf:5: blob-cache-size: '12XB' is not a "
                           'size')
    assert address.startswith("f.conf:6: server: 'zeo.example.com8100' "
                              'is not an address')


def test_a_bad_server_line_is_not_also_a_missing_server(write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server 99999
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    [line] = lines_of(result)
    assert line.startswith("f.conf:4: server: '99999' is not an address")
    assert 'no values' not in result.stdout


def test_the_rest_of_a_section_with_a_bad_server_is_still_checked(
        write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server host:
            read-only maybe
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [4, 5]
    # The stand-in address read in place of the bad one is never shown.
    assert 'localhost' not in result.stdout


def test_a_missing_certificate_is_not_also_a_key_without_certificate(
        write, tmp_path, certs):
    write('f.conf', f"""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            <ssl>
              certificate /nonexistent/client.pem
              key {certs.client_key}
              authenticate {certs.ca}
            </ssl>
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    [line] = lines_of(result)
    assert line.startswith('f.conf:6: certificate: ')
    assert 'needs certificate' not in result.stdout


def test_a_certificate_that_is_no_pem_is_one_problem(write, tmp_path,
                                                     certs):
    write('garbage.pem', 'not a certificate\n')
    write('f.conf', f"""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            <ssl>
              certificate {tmp_path}/garbage.pem
              key {certs.client_key}
              authenticate {certs.ca}
            </ssl>
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    [line] = lines_of(result)
    assert line.startswith('f.conf:6: ')
    assert 'holds no PEM certificate' in line


def test_a_key_that_does_not_match_is_one_problem(write, tmp_path, certs):
    # Read as blank to look further, the key would leave a certificate
    # "holding no private key": that is how check looked, not a problem.
    write('f.conf', f"""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            <ssl>
              certificate {certs.ca}
              key {certs.client_key}
              authenticate {certs.ca}
            </ssl>
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    [line] = lines_of(result)
    assert line.startswith('f.conf:7: <ssl>: key: ')
    assert 'does not match' in line
    assert 'no private key' not in result.stdout


def test_problems_in_every_section_are_reported(write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb a>
          <clientstorage>
            server zeo.example.com:8100
            wait-timeout 0
          </clientstorage>
        </zodb>
        <zodb b>
          cache-size-bytes lots
          <clientstorage>
            server zeo.example.com:8100
            read-only maybe
            <ssl>
              check-hostname perhaps
            </ssl>
          </clientstorage>
        </zodb>
        <zodb c>
          <clientstorage>
            server zeo.example.com:8100
            shared-blob-dir true
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert numbers(result) == [5, 9, 12, 14, 21]
    assert 'shared-blob-dir (line 21)' in lines_of(result)[-1]


def test_problems_of_an_included_file_are_reported_where_it_is_included(
        write, tmp_path):
    write('part.conf', """
        cache-size 12QB
        read-only maybe
        """)
    write('f.conf', """
        %import zeoconf
        <zodb a>
          <clientstorage>
            server zeo.example.com:8100
            %include part.conf
            wait-timeout 0
          </clientstorage>
        </zodb>
        <zodb b>
          <clientstorage>
            server host:
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    where = [line.split(': ', 1)[0] for line in lines_of(result)]
    # part.conf is included at line 5 of f.conf.
    assert where == ['part.conf:1', 'part.conf:2', 'f.conf:6', 'f.conf:11']


def test_check_stops_at_fifty_problems_and_says_so(write, tmp_path):
    sections = ''.join(
        f'<zodb d{i}>\n  <clientstorage>\n    server 99999\n'
        f'    cache-size 1XB\n  </clientstorage>\n</zodb>\n'
        for i in range(30))
    write('f.conf', '%import zeoconf\n' + sections)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    *problems, last = lines_of(result)
    assert len(problems) == lint.MAX_PROBLEMS == 50
    assert numbers(result) == sorted(numbers(result))
    assert numbers(result)[:4] == [4, 5, 10, 11]
    assert last == ('f.conf: stopped after 50 problems; fix these and run '
                    'check again')


def test_a_note_for_an_inline_comment_goes_to_stderr_and_not_twice(
        write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            cache-size 20MB  # twenty
            name app # the app
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    [problem] = lines_of(result)
    assert problem.startswith("f.conf:5: cache-size: '20MB  # twenty'")
    assert 'ZConfig comments stand on lines of their own' in problem
    [note] = result.stderr.splitlines()
    assert note.startswith("f.conf:6: warning: the value of name holds "
                           "'# the app'")


# Exit codes.

def test_check_exit_codes(write, tmp_path):
    good = write('good.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
          </clientstorage>
        </zodb>
        """)
    bad = write('bad.conf', good and open(good).read().replace(
        'zeo.example.com:8100', '99999'))
    assert zeoconf('check', good).returncode == 0
    assert zeoconf('check', bad).returncode == 1
    assert zeoconf('check', good, bad).returncode == 1
    assert zeoconf('check', str(tmp_path / 'missing.conf')).returncode == 1
    assert zeoconf('check').returncode == 2
    assert zeoconf('check', '--no-such-flag', good).returncode == 2
    help_text = zeoconf('check', '--help').stdout
    assert 'exit codes:\n  0  every file is valid\n  1  a file has a ' \
        'problem' in help_text


# --json

def test_check_json_gives_every_problem_of_every_file(write, tmp_path):
    write('good.conf', """
        %import zeoconf
        <zodb main>
          <clientstorage>
            server zeo.example.com:8100
            name  app # the app
          </clientstorage>
        </zodb>
        """)
    write('bad.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com8100
            cache_size 20MB
            <ssl>
              key /nonexistent/k.pem
            </ssl>
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', '--json', 'good.conf', 'bad.conf',
                     cwd=tmp_path)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data['format'] == 1
    assert data['offline'] is False and data['left_out'] == []
    good, bad = data['files']
    assert good['file'] == 'good.conf'
    assert good['problems'] == [] and good['more'] is False
    assert good['notes'] == [{
        'file': 'good.conf', 'line': 5, 'key': 'name',
        'message': "the value of name holds '# the app': ZConfig comments "
                   "stand on lines of their own, so it is part of the "
                   "value"}]
    assert good['storages'] == [{'label': '<zodb main>', 'summary': [
        'zeo.example.com:8100', 'storage=1', 'name=app # the app',
        'tls=off', 'read-write']}]
    assert good['not_checked'] == [] and good['warnings'] == []
    assert [(p['file'], p['line'], p['key']) for p in bad['problems']] == [
        ('bad.conf', 4, 'server'), ('bad.conf', 5, 'cache_size'),
        ('bad.conf', 7, 'key')]
    assert bad['problems'][2]['message'] == (
        "key: '/nonexistent/k.pem': no such file; expected a PEM private "
        "key file")
    # What parsed with the problem lines read as blank is not the file.
    assert bad['storages'] == []
    assert result.stderr == ''


def test_check_json_for_a_file_that_cannot_be_read(tmp_path):
    result = zeoconf('check', '--json', 'missing.conf', cwd=tmp_path)
    assert result.returncode == 1
    [document] = json.loads(result.stdout)['files']
    [problem] = document['problems']
    assert problem['line'] is None and problem['key'] is None
    assert 'missing.conf' in problem['message']
    assert document['storages'] == []


def test_check_json_says_it_stopped(write, tmp_path):
    write('f.conf', '%import zeoconf\n' + '<zodb>\n<clientstorage>\n' +
          'server 8100\n' + 'cache-size 1XB\nwait-timeout 0\n' * 30 +
          '</clientstorage>\n</zodb>\n')
    [document] = json.loads(zeoconf('check', '--json', 'f.conf',
                                    cwd=tmp_path).stdout)['files']
    assert document['more'] is True
    assert len(document['problems']) == 50


# --offline

@pytest.fixture
def elsewhere(tmp_path):
    """A configuration for another machine: its TLS files, cache-path
    directory, var and blob-dir do not exist here, and its
    password-function module writes a marker file and raises when it is
    imported."""
    modules = tmp_path / 'modules'
    modules.mkdir()
    marker = tmp_path / 'IMPORTED'
    (modules / 'vaultpw.py').write_text(
        f'open({str(marker)!r}, "w").close()\n'
        f'raise RuntimeError("imported")\n')
    gone = tmp_path / 'not-here'
    text = textwrap.dedent(f"""\
        %import zeoconf
        <zodb main>
          <clientstorage>
            server zeo.example.com:8100
            cache-path {gone}/cache/app.zec
            blob-dir {gone}/blobs
            var {gone}/var
            client app
            <ssl>
              certificate {gone}/client.pem
              key {gone}/client.key
              authenticate {gone}/ca.pem
              password-function vaultpw.get
            </ssl>
          </clientstorage>
        </zodb>
        """)
    (tmp_path / 'f.conf').write_text(text)
    env = dict(os.environ, PYTHONPATH=str(modules))
    return env, marker, gone


def test_check_offline_accepts_a_file_meant_for_another_machine(
        tmp_path, elsewhere):
    env, marker, gone = elsewhere
    online = zeoconf('check', 'f.conf', cwd=tmp_path, env=env)
    assert online.returncode == 1
    assert 'no such file' in online.stdout
    # Online, the module is imported (and writes its marker).
    assert marker.exists()
    marker.unlink()
    result = zeoconf('check', '--offline', 'f.conf', cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout
    first, storage, left_out = lines_of(result)
    assert first == 'f.conf: ok, 1 clientstorage, 1 warning'
    assert storage.split()[:4] == ['<zodb', 'main>', 'zeo.example.com:8100',
                                   'storage=1']
    assert left_out.strip() == (
        '(offline: not looked at on this machine: the TLS files '
        '(certificate, key, authenticate), the cache-path, blob-dir and '
        'var directories, the password-function (not imported); every '
        'value was converted and every rule across keys checked)')
    assert not marker.exists()
    assert not gone.exists()


def test_check_offline_json_lists_what_was_left_out(tmp_path, elsewhere):
    env, marker, _ = elsewhere
    result = zeoconf('check', '--offline', '--json', 'f.conf',
                     cwd=tmp_path, env=env)
    data = json.loads(result.stdout)
    assert data['offline'] is True
    assert data['left_out'] == ['tls-files', 'cache-path', 'blob-dir',
                                'var', 'password-function']
    assert data['files'][0]['problems'] == []
    assert not marker.exists()


def test_check_offline_still_checks_values_and_rules(write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server 8100
            cache-size 12XB
            <ssl>
              key /nowhere/client.key
            </ssl>
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', '--offline', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    bare_port, size, key = lines_of(result)
    assert bare_port.startswith('f.conf:4: ')
    assert 'gives no host name for <ssl> to check' in bare_port
    assert size.startswith("f.conf:5: cache-size: '12XB' is not a size")
    assert key.startswith("f.conf:7: <ssl>: key (line 7) "
                          "'/nowhere/client.key' needs certificate")


def test_show_offline_prints_every_key(tmp_path, elsewhere):
    env, marker, gone = elsewhere
    assert zeoconf('show', 'f.conf', cwd=tmp_path, env=env).returncode == 1
    result = zeoconf('show', '--offline', 'f.conf', cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in lines_of(result)
            if line.startswith('  ') and not line.startswith('  KEY')}
    from zeoconf import keys
    assert set(rows) == set(keys.CLIENTSTORAGE_KEYS) | {
        f'ssl.{name}' for name in keys.SSL_KEYS}
    assert rows['cache-path'][:2] == [f'{gone}/cache/app.zec', 'line']
    assert rows['var'][:2] == [f'{gone}/var', 'line']
    assert rows['ssl.certificate'][:2] == [f'{gone}/client.pem', 'line']
    assert rows['ssl.password-function'][:2] == ['vaultpw.get', 'line']
    assert lines_of(result)[-1].startswith('(offline: not looked at')
    data = json.loads(zeoconf('show', '--offline', '--json', 'f.conf',
                              cwd=tmp_path, env=env).stdout)
    assert data['offline'] is True
    assert data['storages'][0]['ssl']['key']['value'] == f'{gone}/client.key'
    assert data['storages'][0]['kwargs']['ssl'] is None
    assert not marker.exists()
    assert not gone.exists()


def test_offline_never_opens_a_named_fifo(tmp_path):
    # Opened for reading, each FIFO would block: the subprocess would hit
    # its timeout (a guard, the test asserts no time).
    for name in ('client.pem', 'client.key', 'ca.pem', 'cache.zec'):
        os.mkfifo(tmp_path / name)
    (tmp_path / 'f.conf').write_text(textwrap.dedent(f"""\
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            cache-path {tmp_path}/cache.zec
            <ssl>
              certificate {tmp_path}/client.pem
              key {tmp_path}/client.key
              authenticate {tmp_path}/ca.pem
            </ssl>
          </clientstorage>
        </zodb>
        """))
    assert zeoconf('check', '--offline', 'f.conf',
                   cwd=tmp_path).returncode == 0
    assert zeoconf('show', '--offline', 'f.conf',
                   cwd=tmp_path).returncode == 0
    # Online, each is refused by name, unread.
    online = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert online.returncode == 1
    assert 'FIFO' in online.stdout


_watched = []


def _audit(event, args):
    if _watched and event in ('open', 'os.listdir', 'os.scandir',
                              'import', 'os.chdir', 'os.mkdir'):
        _watched[0].append((event, args))


def test_offline_opens_nothing_under_the_named_paths_and_imports_nothing(
        tmp_path, elsewhere):
    env, marker, gone = elsewhere
    sys.addaudithook(_audit)    # stays; it records only while watched
    path = str(tmp_path / 'f.conf')
    schema = __import__('ZODB.config').config.getDbSchema()
    sys.path.insert(0, env['PYTHONPATH'])
    seen = []
    try:
        _watched.append(seen)
        report = lint.check(path, schema, offline=True)
        out = io.StringIO()
        status = cli.main(['show', '--offline', path], out=out)
    finally:
        _watched.clear()
        sys.path.remove(env['PYTHONPATH'])
    assert report.problems == [] and status == 0
    touched = [args for event, args in seen
               if str(gone) in str(args) or 'vaultpw' in str(args)]
    assert touched == []
    assert 'vaultpw' not in sys.modules
    assert not marker.exists()


# Linear work.

def _storages(count):
    return '%import zeoconf\n' + ''.join(
        f'<zodb d{i}>\n  <clientstorage>\n    server zeo{i}.example.com:8100'
        f'\n    cache-size 20MB\n  </clientstorage>\n</zodb>\n'
        for i in range(count))


def test_check_parses_a_good_file_once(tmp_path, monkeypatch):
    path = tmp_path / 'f.conf'
    path.write_text(_storages(3))
    made = []

    class Counting(loader.Loader):
        def __init__(self, *args, **kw):
            made.append(self)
            super().__init__(*args, **kw)

    monkeypatch.setattr(loader, 'Loader', Counting)
    import ZODB.config
    report = lint.check(str(path), ZODB.config.getDbSchema())
    assert report.problems == []
    assert len(made) == 1
    assert len(report.loaded.storages()) == 3


def test_check_parses_once_more_per_problem(tmp_path, monkeypatch):
    path = tmp_path / 'f.conf'
    path.write_text(_storages(5).replace('cache-size 20MB', 'cache-size 1XB',
                                         3))
    made = []

    class Counting(loader.Loader):
        def __init__(self, *args, **kw):
            made.append(self)
            super().__init__(*args, **kw)

    monkeypatch.setattr(loader, 'Loader', Counting)
    import ZODB.config
    report = lint.check(str(path), ZODB.config.getDbSchema())
    assert [p.line for p in report.problems] == [5, 11, 17]
    assert len(made) == 4


# Line breaks that ZConfig does not count.

FORM_FEED = ('%import zeoconf\n# page one\x0cpage two\n<zodb>\n'
             '  <clientstorage>\n    server 99999\n    cache-size 1XB\n'
             '    wait-timeout 0\n  </clientstorage>\n</zodb>\n')


def test_every_problem_of_a_file_with_a_form_feed(tmp_path):
    # ZConfig reads the form feed as white space inside line 2 (and so
    # does check): the lines after it keep ZConfig's numbers.
    (tmp_path / 'f.conf').write_text(FORM_FEED)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert numbers(result) == [5, 6, 7]
    assert result.stderr == ''


def test_every_problem_of_a_file_with_lone_carriage_returns(tmp_path):
    (tmp_path / 'f.conf').write_bytes(
        FORM_FEED.replace('\x0c', '\r').encode())
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [5, 6, 7]


def test_an_include_cycle_is_one_short_problem(tmp_path):
    (tmp_path / 'f.conf').write_text('%import zeoconf\n%include f.conf\n')
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stdout) < 300, result.stdout[:300]
    assert result.stdout.startswith('f.conf:2: %include: ')
    assert 'includes itself' in result.stdout
    (tmp_path / 'g.conf').write_text('%include h.conf\n')
    (tmp_path / 'h.conf').write_text('%include g.conf\n')
    result = zeoconf('check', 'g.conf', cwd=tmp_path)
    assert result.stdout.startswith('h.conf:1: %include: '), result.stdout
    assert 'given twice' not in result.stdout


def test_a_stand_in_server_that_makes_its_own_problem_does_not_stop_check(
        write, tmp_path):
    # The bad server is read as a stand-in, whose host differs from the
    # other server's under <ssl>: that line is then read as blank, and the
    # next section is still checked.
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com8200
            server zeo2.example.com:8200
            <ssl>
            </ssl>
          </clientstorage>
        </zodb>
        <zodb b>
          <clientstorage>
            server zeo3:1
            cache-size 3 GBytes
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [4, 13], result.stdout
    assert 'different host names' not in result.stdout


def test_a_section_type_of_a_package_that_failed_to_import_is_not_reported(
        write, tmp_path):
    write('f.conf', """
        %import zeoconf
        %import zc_lint_no_such_package
        <zodb>
          <temporarystorage>
          </temporarystorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [2], result.stdout


def test_the_stand_in_server_never_shows(write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com8200
            blob-cache-size 1GB
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [4, 5]
    assert ('f.conf:5: <clientstorage> for zeo.example.com8200: '
            'blob-cache-size (line 5) 1GB needs blob-dir') in result.stdout
    assert 'stand-in' not in result.stdout


def test_a_use_of_a_define_that_was_refused_is_not_reported(write, tmp_path):
    write('f.conf', """
        %import zeoconf
        %define PW S3CR$ET
        <zodb>
          <clientstorage>
            server zeo:1
            password $PW
          </clientstorage>
        </zodb>
        """)
    result = zeoconf('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [2], result.stdout
    assert 'S3CR' not in result.stdout + result.stderr
