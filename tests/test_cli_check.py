"""``zeoconf check``: every problem of a file in one run, in line order,
as FILE:LINE: message; a valid file gets one line per storage.

The command runs in this process (the ``run_cli`` fixture); the counting
tests call :func:`zeoconf.cli.check.check` directly.
"""

import functools
import http.server
import json
import os
import socket
import sys
import textwrap
import threading
import time

import pytest
import ZODB.config
from cli_files import (
    GOOD,
    SECRET,
    count_calls,
    many_storages,
    run_process,
    tls,
    write_file,
    zodb,
)

from zeoconf import keys, loader
from zeoconf.cli import schemas, storages
from zeoconf.cli.check import MAX_PROBLEMS, check


@pytest.fixture
def write(tmp_path):
    return functools.partial(write_file, tmp_path)


def lines_of(result):
    return result.out.splitlines()


def numbers(result, name='f.conf'):
    """The line numbers of ``name:N:`` problems, in output order."""
    return [int(line.split(':')[1]) for line in lines_of(result)
            if line.startswith(f'{name}:') and line.split(':')[1].isdigit()]


def test_check_valid_file_prints_one_line_per_storage(run_cli, write):
    path = write('zodb.conf', zodb(
        '    server zeo1.example.com:8100\n    read-only true',
        '    server zeo2.example.com:8100\n    server zeo3:8100\n'
        '    name catalog'))
    result = run_cli('check', path)
    assert result.status == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0] == f'{path}: ok, 2 clientstorages'
    assert lines[1].split() == ['<zodb', 'db0>', 'zeo1.example.com:8100',
                                'storage=1', 'tls=off', 'read-only']
    assert lines[2].split() == [
        '<zodb', 'db1>', 'zeo2.example.com:8100,zeo3:8100', 'storage=1',
        'name=catalog', 'tls=off', 'read-write']
    assert result.err == ''


def test_check_says_tls_on(run_cli, write, certs):
    path = write('zodb.conf', zodb(
        '    server localhost:8100\n    read-only-fallback true\n' +
        tls(certs.ca, certs)))
    result = run_cli('check', path)
    assert result.status == 0, result.out
    assert result.out.splitlines()[1].split()[-2:] == [
        'tls=on', 'read-only-fallback']


def test_check_bad_file_prints_file_and_line(run_cli, write, tmp_path):
    write('zodb.conf', zodb('    server zeo.example.com8200'))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out.startswith('zodb.conf:4: server: '
                                    "'zeo.example.com8200' is not an "
                                    'address')
    assert 'Traceback' not in result.out + result.err


def test_check_reports_every_file(run_cli, write, tmp_path):
    good = write('good.conf', zodb('    server zeo:8100'))
    write('bad.conf', zodb('    server zeo:8100\n    cache_size 1'))
    result = run_cli('check', good, 'bad.conf', cwd=tmp_path)
    assert result.status == 1
    good_line, _, bad_line = result.out.splitlines()
    assert good_line == f'{good}: ok, 1 clientstorage'
    assert bad_line.startswith('bad.conf:5: ')
    assert "did you mean 'cache-size'" in bad_line


def test_check_cross_key_error_points_at_the_key(run_cli, write, tmp_path):
    write('zodb.conf', zodb('    server zeo:8100\n\n'
                             '    shared-blob-dir true'))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out == (
        'zodb.conf:6: <clientstorage> for zeo:8100: shared-blob-dir true '
        'needs blob-dir; add blob-dir (the blob directory)\n')


def test_check_refuses_a_blob_dir_that_is_a_file(run_cli, write, tmp_path):
    # ZODB.config's parse leaves this to open(); check reports it at once.
    write('junk', 'a file\n')
    write('zodb.conf', zodb('    server zeo:8100\n'
                             f'    blob-dir {tmp_path}/junk'))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out.startswith(
        f"zodb.conf:5: <clientstorage> for zeo:8100: blob-dir: "
        f"'{tmp_path}/junk' exists and is not a directory; expected a blob "
        f"directory")


def test_check_never_shows_a_piece_of_a_password_with_a_dollar(run_cli, write,
                                                                tmp_path):
    # ZConfig's message would be "no replacement for 'ver-printed'".
    write('zodb.conf', zodb('    server zeo:8100\n    username admin\n'
                             f'    password {SECRET.replace("-", "$", 1)}'))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out.startswith("zodb.conf:6: password: its value "
                                    "holds a '$'")
    output = result.out + result.err
    assert 'printed' not in output and 'never' not in output


def test_check_explains_the_zodb_cache_size_of_zeos_documentation(run_cli,
        write, tmp_path):
    # ZEO's client documentation opens with <zodb> cache-size 1000MB.
    write('zodb.conf', '%import zeoconf\n<zodb>\n  cache-size 1000MB\n'
          '  <clientstorage>\n    server zeo:8100\n  </clientstorage>\n'
          '</zodb>\n')
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out == (
        "zodb.conf:3: invalid literal for int() with base 10: '1000MB'; "
        "cache-size of <zodb> counts objects; bound the object cache in "
        "bytes with cache-size-bytes\n")


def test_check_explains_both_import_lines(run_cli, write, tmp_path):
    write('zodb.conf', '# two components\n%import ZEO\n' +
          zodb('    server zeo:8100'))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out.startswith('zodb.conf:2: ')
    assert "Remove '%import ZEO'" in result.out
    assert 'component.xml' not in result.out


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


def test_check_finds_import_zeo_in_an_included_file(run_cli, write, tmp_path):
    write('zeo.conf', '# ZEO\n\n%import ZEO\n')
    write('zodb.conf', '%include zeo.conf\n' + zodb('    server zeo:8100'))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out.startswith("zeo.conf:3: '%import ZEO' and "
                                    "'%import zeoconf' cannot stand")


@pytest.mark.parametrize('package', sorted(BROKEN_PACKAGES))
def test_check_reports_a_package_that_fails_to_import(
        monkeypatch, run_cli, write, tmp_path,
                                                      package):
    source, expected = BROKEN_PACKAGES[package]
    (tmp_path / package).mkdir()
    (tmp_path / package / '__init__.py').write_text(source)
    write('zodb.conf', f'%import zeoconf\n%import {package}\n' +
          zodb('    server zeo:8100').split('\n', 1)[1])
    monkeypatch.syspath_prepend(str(tmp_path))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1, result.out + result.err
    assert result.out.startswith(
        f'zodb.conf:2: %import {package}: {expected}')
    assert 'Traceback' not in result.out + result.err
    for secret in ('S3CRET', 'not configured'):
        assert secret not in result.out + result.err


def test_check_locates_a_failing_import_in_an_included_file(
        monkeypatch, run_cli, write,
                                                           tmp_path):
    (tmp_path / 'zc_cli_raises').mkdir()
    (tmp_path / 'zc_cli_raises' / '__init__.py').write_text(
        BROKEN_PACKAGES['zc_cli_raises'][0])
    write('imports.conf', '# imports\n%import zc_cli_raises\n')
    write('zodb.conf', '%import zeoconf\n%include imports.conf\n' +
          zodb('    server zeo:8100').split('\n', 1)[1])
    monkeypatch.syspath_prepend(str(tmp_path))
    for command in ('check', 'show'):
        result = run_cli(command, 'zodb.conf', cwd=tmp_path)
        assert result.status == 1
        # check reports on stdout, show on stderr.
        assert (result.out + result.err).startswith(
            'imports.conf:2: %import zc_cli_raises: importing zc_cli_raises '
            'raised RuntimeError')


def test_a_section_type_after_a_failed_import_is_not_reported_too(
        run_cli, write, tmp_path):
    # The package that failed to import may define the type: saying the
    # type is unknown would send the reader after the wrong line.
    write('zodb.conf', '%import zeoconf\n%import zc_no_such_package\n'
          '<zodb>\n  <theirstorage>\n  </theirstorage>\n</zodb>\n')
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    [problem] = result.out.splitlines()
    assert problem.startswith('zodb.conf:2: %import zc_no_such_package: ')


def test_check_locates_a_missing_subpackage_at_its_own_line(run_cli, write,
                                                           tmp_path):
    # "zeoconf" is in the message too; the line is the failing import's.
    write('zodb.conf', '%import zeoconf\n%import zeoconf.nope\n')
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out.startswith('zodb.conf:2: %import zeoconf.nope: ')


def test_check_reports_an_unreadable_include_at_its_line(
        run_cli, write, tmp_path):
    (tmp_path / 'binary.conf').write_bytes(b'\xff\xfe\x00 not text')
    write('zodb.conf', '%import zeoconf\n\n%include binary.conf\n')
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 1
    # Reported where the bytes are: the included file's line 1.
    assert result.out.startswith('binary.conf:1: ')
    assert 'binary.conf is not UTF-8 text (byte 1)' in result.out


def test_check_names_clients_zeoconf_does_not_handle(run_cli, write):
    path = write('zodb.conf', '%import ZEO\n<zodb main>\n  <clientstorage>'
                 '\n    server zeo:8100\n  </clientstorage>\n</zodb>\n')
    result = run_cli('check', path)
    assert result.status == 0
    assert result.out.splitlines() == [
        f'{path}: ok, 0 clientstorages',
        '  <zodb main> <clientstorage>: not checked: a ZEO client without '
        'zeoconf; run zeoconf migrate, or write %import zeoconf instead of '
        '%import ZEO']
    path = write('zeoclient.conf', '<zodb main>\n  <zeoclient>\n'
                 '    server zeo:8100\n  </zeoclient>\n</zodb>\n')
    assert run_cli('check', path).out.splitlines()[1] == (
        "  <zodb main> <zeoclient>: not checked: ZODB's own ZEO client; run "
        "zeoconf migrate, or add %import zeoconf and rename <zeoclient> to "
        "<clientstorage>")


def test_check_prints_warnings_on_stderr(run_cli, write, tmp_path):
    write('zodb.conf', zodb('    server zeo:8100\n'
                             '    max-disconnect-poll 300'))
    result = run_cli('check', 'zodb.conf', cwd=tmp_path)
    assert result.status == 0
    assert result.out.splitlines()[0] == \
        'zodb.conf: ok, 1 clientstorage, 1 warning'
    [warning] = result.err.splitlines()
    assert warning.startswith('zodb.conf: warning: ')
    assert 'max-disconnect-poll is ignored' in warning


def test_three_missing_tls_files_are_all_reported_in_line_order(run_cli,
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert numbers(result) == [8, 9, 10]
    first, second, third = lines_of(result)
    assert first.startswith('f.conf:8: certificate: ')
    assert second.startswith('f.conf:9: key: ')
    assert third.startswith('f.conf:10: authenticate: ')
    assert 'needs certificate' not in result.out
    assert result.err == ''


def test_a_key_typo_a_bad_size_and_a_bad_address_are_all_reported(run_cli,
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    typo, size, address = lines_of(result)
    assert typo.startswith("f.conf:4: 'cache_size' is not a key")
    assert "did you mean 'cache-size'" in typo
    assert size.startswith("f.conf:5: blob-cache-size: '12XB' is not a "
                           'size')
    assert address.startswith("f.conf:6: server: 'zeo.example.com8100' "
                              'is not an address')


def test_a_bad_server_line_is_not_also_a_missing_server(
        run_cli, write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server 99999
          </clientstorage>
        </zodb>
        """)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    [line] = lines_of(result)
    assert line.startswith("f.conf:4: server: '99999' is not an address")
    assert 'no values' not in result.out


def test_the_rest_of_a_section_with_a_bad_server_is_still_checked(run_cli,
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [4, 5]
    # The stand-in address read in place of the bad one is never shown.
    assert 'localhost' not in result.out


def test_a_missing_certificate_is_not_also_a_key_without_certificate(run_cli,
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    [line] = lines_of(result)
    assert line.startswith('f.conf:6: certificate: ')
    assert 'needs certificate' not in result.out


def test_a_certificate_that_is_no_pem_is_one_problem(run_cli, write, tmp_path,
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    [line] = lines_of(result)
    assert line.startswith('f.conf:6: ')
    assert 'holds no PEM certificate' in line


def test_a_key_that_does_not_match_is_one_problem(
        run_cli, write, tmp_path, certs):
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    [line] = lines_of(result)
    assert line.startswith('f.conf:7: <ssl>: key: ')
    assert 'does not match' in line
    assert 'no private key' not in result.out


def test_problems_in_every_section_are_reported(run_cli, write, tmp_path):
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert numbers(result) == [5, 9, 12, 14, 21]
    assert 'shared-blob-dir true needs blob-dir' in lines_of(result)[-1]


def test_problems_of_an_included_file_are_reported_where_it_is_included(
        run_cli,
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    where = [line.split(': ', 1)[0] for line in lines_of(result)]
    # part.conf is included at line 5 of f.conf.
    assert where == ['part.conf:1', 'part.conf:2', 'f.conf:6', 'f.conf:11']


def test_an_included_file_with_more_problems_than_the_top_file_has_lines(
        run_cli, write, tmp_path):
    write('part.conf', ''.join(f'no-such-key-{i} 1\n' for i in range(6)))
    write('f.conf', '%import zeoconf\n%include part.conf\n')
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert numbers(result, 'part.conf') == [1, 2, 3, 4, 5, 6]
    assert 'check stopped' not in result.out


def test_check_stops_at_fifty_problems_and_says_so(run_cli, write, tmp_path):
    sections = ''.join(
        f'<zodb d{i}>\n  <clientstorage>\n    server 99999\n'
        f'    cache-size 1XB\n  </clientstorage>\n</zodb>\n'
        for i in range(30))
    write('f.conf', '%import zeoconf\n' + sections)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    *problems, last = lines_of(result)
    assert len(problems) == MAX_PROBLEMS == 50
    assert numbers(result) == sorted(numbers(result))
    assert numbers(result)[:4] == [4, 5, 10, 11]
    assert last == ('f.conf: stopped after 50 problems; fix these and run '
                    'check again')


@pytest.mark.parametrize('where', ['', 'a: b/'])
def test_a_note_for_an_inline_comment_goes_to_stderr_and_not_twice(run_cli,
        write, tmp_path, where):
    # The warning's label follows the line number, whatever the path holds.
    if where:
        (tmp_path / where).mkdir()
    write(f'{where}f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            cache-size 20MB  # twenty
            name app # the app
          </clientstorage>
        </zodb>
        """)
    result = run_cli('check', f'{where}f.conf', cwd=tmp_path)
    assert result.status == 1
    [problem] = lines_of(result)
    assert problem.startswith(f"{where}f.conf:5: cache-size: '20MB  # twenty'")
    assert 'ZConfig comments stand on lines of their own' in problem
    [note] = result.err.splitlines()
    assert note.startswith(f"{where}f.conf:6: warning: the value of name "
                           "holds '# the app'")


def test_check_exit_codes(run_cli, write, tmp_path):
    good = write('good.conf', GOOD)
    bad = write('bad.conf', GOOD.replace('zeo.example.com:8100', '99999'))
    assert run_cli('check', good).status == 0
    assert run_cli('check', bad).status == 1
    assert run_cli('check', good, bad).status == 1
    assert run_cli('check', str(tmp_path / 'missing.conf')).status == 1
    assert run_cli('check').status == 2
    assert run_cli('check', '--no-such-flag', good).status == 2
    help_text = run_cli('check', '--help').out
    assert 'exit codes:\n  0  every file is valid\n  1  a file has a ' \
        'problem' in help_text


def test_check_json_gives_every_problem_of_every_file(
        run_cli, write, tmp_path):
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
    result = run_cli('check', '--json', 'good.conf', 'bad.conf',
                     cwd=tmp_path)
    assert result.status == 1
    data = json.loads(result.out)
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
    assert result.err == ''


def test_check_json_for_a_file_that_cannot_be_read(run_cli, tmp_path):
    result = run_cli('check', '--json', 'missing.conf', cwd=tmp_path)
    assert result.status == 1
    [document] = json.loads(result.out)['files']
    [problem] = document['problems']
    assert problem['line'] is None and problem['key'] is None
    assert 'missing.conf' in problem['message']
    assert document['storages'] == []


def test_check_json_says_it_stopped(run_cli, write, tmp_path):
    write('f.conf', '%import zeoconf\n' + '<zodb>\n<clientstorage>\n' +
          'server 8100\n' + 'cache-size 1XB\nwait-timeout 0\n' * 30 +
          '</clientstorage>\n</zodb>\n')
    [document] = json.loads(run_cli('check', '--json', 'f.conf',
                                    cwd=tmp_path).out)['files']
    assert document['more'] is True
    assert len(document['problems']) == 50


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
    return modules, marker, gone


def test_check_offline_accepts_a_file_meant_for_another_machine(run_cli,
        tmp_path, elsewhere, monkeypatch):
    modules, marker, gone = elsewhere
    monkeypatch.syspath_prepend(str(modules))
    online = run_cli('check', 'f.conf', cwd=tmp_path)
    assert online.status == 1
    assert 'no such file' in online.out
    # Online, the module is imported (and writes its marker).
    assert marker.exists()
    marker.unlink()
    result = run_cli('check', '--offline', 'f.conf', cwd=tmp_path)
    assert result.status == 0, result.out
    first, storage, left_out = lines_of(result)
    assert first == 'f.conf: ok, 1 clientstorage, 1 warning'
    assert storage.split()[:4] == ['<zodb', 'main>', 'zeo.example.com:8100',
                                   'storage=1']
    assert left_out.strip() == (
        '(offline: not looked at on this machine: the TLS files '
        '(certificate, key, authenticate), the directory of cache-path, '
        'blob-dir, var, the password-function (not imported), the URLs of '
        '%include (not fetched), the existing-* paths of the schema; every '
        'value was converted and every rule across keys checked)')
    assert not marker.exists()
    assert not gone.exists()


def test_check_offline_json_lists_what_was_left_out(
        run_cli, tmp_path, elsewhere, monkeypatch):
    modules, marker, _ = elsewhere
    monkeypatch.syspath_prepend(str(modules))
    result = run_cli('check', '--offline', '--json', 'f.conf',
                     cwd=tmp_path)
    data = json.loads(result.out)
    assert data['offline'] is True
    assert data['left_out'] == ['tls-files', 'cache-path', 'blob-dir',
                                'var', 'password-function', 'include-urls']
    assert data['files'][0]['problems'] == []
    assert not marker.exists()


def test_check_offline_still_checks_values_and_rules(run_cli, write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server /run/zeo/zeo.sock
            cache-size 12XB
            <ssl>
              key /nowhere/client.key
            </ssl>
          </clientstorage>
        </zodb>
        """)
    result = run_cli('check', '--offline', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    socket, size, key = lines_of(result)
    assert socket.startswith('f.conf:4: ')
    assert 'cannot use TLS over Unix sockets' in socket
    assert size.startswith("f.conf:5: cache-size: '12XB' is not a size")
    assert key.startswith("f.conf:7: <ssl>: key '/nowhere/client.key' "
                          "needs certificate")


def test_show_offline_prints_every_key(
        run_cli, tmp_path, elsewhere, monkeypatch):
    modules, marker, gone = elsewhere
    monkeypatch.syspath_prepend(str(modules))
    assert run_cli('show', 'f.conf', cwd=tmp_path).status == 1
    result = run_cli('show', '--offline', 'f.conf', cwd=tmp_path)
    assert result.status == 0, result.err
    rows = {line.split()[0]: line.split()[1:] for line in lines_of(result)
            if line.startswith('  ') and not line.startswith('  KEY')}
    # Every key but the compatibility keys that were not written.
    unwritten = {'wait', 'min-disconnect-poll', 'max-disconnect-poll',
                 'drop-cache-rather-verify', 'username', 'password', 'realm'}
    assert set(rows) == set(keys.CLIENTSTORAGE_KEYS) - unwritten | {
        f'ssl.{name}' for name in keys.SSL_KEYS}
    assert rows['cache-path'][:2] == [f'{gone}/cache/app.zec', 'line']
    assert rows['var'][:2] == [f'{gone}/var', 'line']
    assert rows['ssl.certificate'][:2] == [f'{gone}/client.pem', 'line']
    assert rows['ssl.password-function'][:2] == ['vaultpw.get', 'line']
    assert lines_of(result)[-1].startswith('(offline: not looked at')
    data = json.loads(run_cli('show', '--offline', '--json', 'f.conf',
                              cwd=tmp_path).out)
    assert data['offline'] is True
    assert data['storages'][0]['ssl']['key']['value'] == f'{gone}/client.key'
    assert data['storages'][0]['kwargs']['ssl'] is None
    assert not marker.exists()
    assert not gone.exists()


def test_offline_never_opens_a_named_fifo(run_cli, tmp_path):
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
    assert run_cli('check', '--offline', 'f.conf',
                   cwd=tmp_path).status == 0
    assert run_cli('show', '--offline', 'f.conf',
                   cwd=tmp_path).status == 0
    # Online, each is refused by name, unread.
    online = run_cli('check', 'f.conf', cwd=tmp_path)
    assert online.status == 1
    assert 'FIFO' in online.out


_watched = []


def _audit(event, args):
    if _watched and event in ('open', 'os.listdir', 'os.scandir',
                              'import', 'os.chdir', 'os.mkdir'):
        _watched[0].append((event, args))


def test_offline_opens_nothing_under_the_named_paths_and_imports_nothing(
        run_cli, monkeypatch, tmp_path, elsewhere):
    modules, marker, gone = elsewhere
    monkeypatch.syspath_prepend(str(modules))
    sys.addaudithook(_audit)    # stays; it records only while watched
    path = str(tmp_path / 'f.conf')
    schema = schemas.load_schema('zodb', offline=True)
    seen = []
    try:
        _watched.append(seen)
        report = check(path, schema)
        status = run_cli('show', '--offline', path).status
    finally:
        _watched.clear()
    assert report.problems == [] and status == 0
    touched = [args for event, args in seen
               if str(gone) in str(args) or 'vaultpw' in str(args)]
    assert touched == []
    assert 'vaultpw' not in sys.modules
    assert not marker.exists()


@pytest.fixture
def loaders_made(monkeypatch):
    """Every zeoconf Loader made while the test runs: one per parse."""
    made = []

    class Counting(loader.Loader):
        def __init__(self, *args, **kw):
            made.append(self)
            super().__init__(*args, **kw)

    monkeypatch.setattr(loader, 'Loader', Counting)
    return made


def test_check_parses_a_good_file_once(tmp_path, loaders_made):
    path = tmp_path / 'f.conf'
    path.write_text(many_storages(3))
    report = check(str(path), ZODB.config.getDbSchema())
    assert report.problems == []
    assert len(loaders_made) == 1
    assert len(storages.find(report.loaded.config)) == 3


def test_check_parses_once_more_per_problem(tmp_path, loaders_made):
    path = tmp_path / 'f.conf'
    path.write_text(many_storages(5).replace(
        'cache-size 20MB', 'cache-size 1XB', 3))
    report = check(str(path), ZODB.config.getDbSchema())
    assert [p.line for p in report.problems] == [5, 11, 17]
    assert len(loaders_made) == 4


FORM_FEED = ('%import zeoconf\n# page one\x0cpage two\n<zodb>\n'
             '  <clientstorage>\n    server 99999\n    cache-size 1XB\n'
             '    wait-timeout 0\n  </clientstorage>\n</zodb>\n')


def test_every_problem_of_a_file_with_a_form_feed(run_cli, tmp_path):
    # ZConfig reads the form feed as white space inside line 2 (and so
    # does check): the lines after it keep ZConfig's numbers.
    (tmp_path / 'f.conf').write_text(FORM_FEED)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert numbers(result) == [5, 6, 7]
    assert result.err == ''


def test_every_problem_of_a_file_with_lone_carriage_returns(run_cli, tmp_path):
    (tmp_path / 'f.conf').write_bytes(
        FORM_FEED.replace('\x0c', '\r').encode())
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [5, 6, 7]


def test_an_include_cycle_is_one_short_problem(run_cli, tmp_path):
    (tmp_path / 'f.conf').write_text('%import zeoconf\n%include f.conf\n')
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert len(result.out) < 300, result.out[:300]
    assert result.out.startswith('f.conf:2: %include: ')
    assert 'includes itself' in result.out
    (tmp_path / 'g.conf').write_text('%include h.conf\n')
    (tmp_path / 'h.conf').write_text('%include g.conf\n')
    result = run_cli('check', 'g.conf', cwd=tmp_path)
    assert result.out.startswith('h.conf:1: %include: '), result.out
    assert 'given twice' not in result.out


def test_a_stand_in_server_that_makes_its_own_problem_does_not_stop_check(
        run_cli,
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [4, 13], result.out
    assert 'different host names' not in result.out


def test_a_section_type_of_a_package_that_failed_to_import_is_not_reported(
        run_cli,
        write, tmp_path):
    write('f.conf', """
        %import zeoconf
        %import zc_lint_no_such_package
        <zodb>
          <temporarystorage>
          </temporarystorage>
        </zodb>
        """)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [2], result.out


def test_the_stand_in_server_never_shows(run_cli, write, tmp_path):
    write('f.conf', """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com8200
            blob-cache-size 1GB
          </clientstorage>
        </zodb>
        """)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [4, 5]
    assert ('f.conf:5: <clientstorage> for zeo.example.com8200: '
            'blob-cache-size 1GB needs blob-dir') in result.out
    assert 'stand-in' not in result.out


def test_a_use_of_a_define_that_was_refused_is_not_reported(
        run_cli, write, tmp_path):
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
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [2], result.out
    assert 'S3CR' not in result.out + result.err


def test_uses_of_a_refused_define_through_a_chain_are_not_reported(
        run_cli, write, tmp_path):
    write('f.conf', """
        %import zeoconf
        %define PW S3CR$ET
        %define A $PW
        %define B ${A}x
        <zodb>
          <clientstorage>
            server zeo:1
            password $B
            client-label $$PW
          </clientstorage>
        </zodb>
        """)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert numbers(result) == [2], result.out
    assert 'S3CR' not in result.out + result.err


def test_a_define_that_uses_its_own_name_is_reported(run_cli, write,
                                                      tmp_path):
    # Its own line is no earlier problem's consequence.
    write('f.conf', '%import zeoconf\n%define A x$A\n' +
          zodb('    server zeo:8100').split('\n', 1)[1])
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert numbers(result) == [2], result.out


# Issue 19: a check that always ends, secrets never quoted, bounded work.

UNCLOSED = '%import zeoconf\n<zodb>\n<clientstorage>\nserver zeo:8100\n'


@pytest.mark.parametrize('options', [[], ['--json'], ['--offline']])
def test_check_ends_on_a_file_that_ends_inside_a_section(tmp_path, options):
    # A process of its own, so that a check that never ends fails by the
    # guard's timeout instead of hanging the tests.
    (tmp_path / 'f.conf').write_text(UNCLOSED)
    result = run_process('check', *options, 'f.conf', cwd=tmp_path,
                         timeout=60)
    assert result.status == 1
    message = ('<clientstorage> is not closed: the file ends inside it; '
               'add </clientstorage>')
    if '--json' in options:
        [problem] = json.loads(result.out)['files'][0]['problems']
        assert problem['line'] == 3 and problem['message'] == message
    else:
        assert result.out.splitlines()[0] == f'f.conf:3: {message}'
        assert result.out.count('not closed') == 1


def test_an_unclosed_section_alone_does_not_say_fix_the_problems_above(
        run_cli, write, tmp_path):
    write('f.conf', UNCLOSED)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out == ('f.conf:3: <clientstorage> is not closed: the file '
                          'ends inside it; add </clientstorage>\n')
    # After another problem, it may be that problem's consequence.
    write('f.conf', UNCLOSED + 'cache_size 1\n')
    after = run_cli('check', 'f.conf', cwd=tmp_path)
    unclosed, key = after.out.splitlines()
    assert unclosed.endswith('; it may come from the other problems: fix '
                             'them first')
    assert key.startswith("f.conf:5: 'cache_size' is not a key")


PASSWORD_COMMENT = """
    %import zeoconf
    <zodb>
      <clientstorage>
        server zeo:8100
        password correct horse #SECRET staple
      </clientstorage>
    </zodb>
    """


def test_a_password_with_an_inline_comment_is_never_quoted(
        run_cli, write, tmp_path):
    write('f.conf', PASSWORD_COMMENT)
    text = run_cli('check', 'f.conf', cwd=tmp_path)
    assert text.status == 0
    assert ('f.conf:5: warning: the value of password holds a # after '
            'white space') in text.err
    as_json = run_cli('check', '--json', 'f.conf', cwd=tmp_path)
    [note] = json.loads(as_json.out)['files'][0]['notes']
    assert note['line'] == 5 and note['key'] == 'password'
    for result in (text, as_json):
        output = result.out + result.err
        for word in ('SECRET', 'horse', 'staple'):
            assert word not in output


@pytest.mark.parametrize('command', [['check'], ['check', '--json'],
                                     ['show']])
# White space as ZConfig's parser reads it (str.strip(), str.split()): a
# form feed or a no-break space as well as a blank.
@pytest.mark.parametrize('define', ['%define PW=SECRET',
                                    '\x0c%define PW=SECRET',
                                    '\xa0%define\x0cPW=SECRET\x0c'])
def test_a_define_written_name_equals_value_never_shows_the_value(
        run_cli, write, tmp_path, command, define):
    write('f.conf', f'%import zeoconf\n{define}\n' +
          zodb('    server zeo:8100').split('\n', 1)[1])
    result = run_cli(*command, 'f.conf', cwd=tmp_path)
    assert result.status == 1
    output = result.out + result.err
    assert 'secret' not in output.lower()
    assert 'write %define NAME VALUE' in output
    if command == ['check']:
        assert result.out.startswith('f.conf:2: %define PW...: ')


@pytest.fixture
def key_file(tmp_path, certs):
    path = tmp_path / 'client.key'
    path.write_bytes(open(certs.client_key, 'rb').read())
    return path


@pytest.mark.parametrize('options', [[], ['--json']])
def test_an_included_key_file_is_said_once_without_its_lines(
        run_cli, write, tmp_path, key_file, options):
    write('f.conf', '%import zeoconf\n%include client.key\n' +
          zodb('    server zeo:8100').split('\n', 1)[1])
    result = run_cli('check', *options, 'f.conf', cwd=tmp_path)
    assert result.status == 1
    lines = key_file.read_text().splitlines()
    output = result.out + result.err
    for line in lines:
        assert line not in output
    assert 'BEGIN' not in output
    if options:
        [problem] = json.loads(result.out)['files'][0]['problems']
        assert problem['file'] == 'client.key' and problem['line'] == 1
        message = problem['message']
    else:
        [message] = result.out.splitlines()
        assert message.startswith('client.key:1: ')
    assert 'client.key is not a configuration file' in message
    assert 'its lines are not shown' in message


def test_check_json_on_a_file_that_is_not_utf8_gives_the_line(
        run_cli, tmp_path):
    (tmp_path / 'f.conf').write_bytes(
        b'%import zeoconf\n<zodb>\n  <clientstorage>\n    server zeo:8100\n'
        b'    name caf\xe9\n  </clientstorage>\n</zodb>\n')
    result = run_cli('check', '--json', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    [problem] = json.loads(result.out)['files'][0]['problems']
    assert problem['line'] == 5
    assert 'is not UTF-8 text' in problem['message']


def _unknown_keys(count):
    return ('%import zeoconf\n<zodb>\n  <clientstorage>\n'
            '    server zeo:8100\n' +
            ''.join(f'    no-such-key-{i} 1\n' for i in range(count)) +
            '  </clientstorage>\n</zodb>\n')


def test_check_of_40000_unknown_keys_stops_at_50_without_work_for_the_rest(
        tmp_path, loaders_made):
    schema = ZODB.config.getDbSchema()
    calls = {}
    for count in (1000, 40000):
        path = tmp_path / f'{count}.conf'
        path.write_text(_unknown_keys(count))
        del loaders_made[:]
        calls[count], report = count_calls(check, str(path), schema)
        assert len(report.problems) == MAX_PROBLEMS and report.more
        assert [p.line for p in report.problems] == list(range(5, 55))
        # One parse per problem reported, none for the rest.
        assert len(loaders_made) == MAX_PROBLEMS
    # Reading and scanning the file once grows with it (40 times); one
    # parse per reported problem over the whole file would make it about
    # 40 times the 1,000-key work again.
    assert calls[40000] < 8 * calls[1000], calls


# PasteDeploy: the .ini that runwsgi reads names the zope.conf to check.

def test_a_pastedeploy_file_says_what_it_is_and_names_the_zope_conf(
        run_cli, write, tmp_path):
    write('zope.ini', """
        [app:zope]
        use = egg:Zope#main
        zope_conf = %(here)s/zope.conf

        [server:main]
        use = egg:waitress#main
        listen = 127.0.0.1:8080
        """)
    result = run_cli('check', 'zope.ini', cwd=tmp_path)
    assert result.status == 1
    assert result.out == (
        'zope.ini:1: this is a PasteDeploy file (the .ini that runwsgi '
        'reads), not a ZConfig configuration; check the zope.conf it names: '
        f'zeoconf check {tmp_path}/zope.conf\n')
    as_json = run_cli('check', '--json', 'zope.ini', cwd=tmp_path)
    [problem] = json.loads(as_json.out)['files'][0]['problems']
    assert problem['line'] == 1 and 'PasteDeploy' in problem['message']


# An interrupt while %import runs a package is the operator's, not a
# configuration error.

def test_an_interrupt_during_import_ends_check_with_130(tmp_path):
    # A real SIGINT, delivered while ZConfig imports the package: a
    # process of its own.
    (tmp_path / 'zc_cli_slow').mkdir()
    (tmp_path / 'zc_cli_slow' / '__init__.py').write_text(
        'import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n')
    (tmp_path / 'f.conf').write_text('%import zeoconf\n%import zc_cli_slow\n')
    result = run_process('check', 'f.conf', cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert result.status == 130
    assert result.out == ''
    assert 'Traceback' not in result.err


# No network from a review: --offline fetches no %include URL, and a fetch
# is bounded.

@pytest.fixture
def http_include(tmp_path):
    """A configuration that includes a URL of an HTTP server on
    127.0.0.1, and the paths that server was asked for."""
    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'# included\n')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_address[1]}/remote.conf'
    (tmp_path / 'f.conf').write_text(
        f'%import zeoconf\n%include {url}\n' +
        zodb('    server zeo:8100').split('\n', 1)[1])
    yield url, asked
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize('command', [['check'], ['check', '--json'],
                                     ['show']])
def test_offline_fetches_no_include_url_and_says_so(
        run_cli, tmp_path, http_include, command):
    url, asked = http_include
    result = run_cli(*command, '--offline', 'f.conf', cwd=tmp_path)
    assert result.status == 0, result.out + result.err
    assert asked == []
    said = f'%include {url}: not fetched: an offline review reads no URL'
    if '--json' in command:
        assert json.loads(result.out)['files'][0]['warnings'] == [said]
    else:
        assert f'f.conf: warning: {said}' in result.err.splitlines()
    # Without --offline, it is read.
    assert run_cli(*command, 'f.conf', cwd=tmp_path).status == 0
    assert asked == ['/remote.conf']


@pytest.mark.parametrize('command', [['check'], ['check', '--json'],
                                     ['show'], ['check', '--offline']])
def test_a_password_in_an_include_url_is_never_shown(run_cli, tmp_path,
                                                     http_include, command):
    url, _ = http_include
    with_password = url.replace('//', '//zeo:S3CRET@', 1)
    path = tmp_path / 'f.conf'
    path.write_text(path.read_text().replace(url, with_password))
    result = run_cli(*command, 'f.conf', cwd=tmp_path)
    said = result.out + result.err
    assert 'S3CRET' not in said
    assert url.replace('//', '//zeo:<redacted>@', 1) in said


def test_an_include_url_that_never_answers_ends_the_check(
        run_cli, tmp_path, monkeypatch):
    # A listener that accepts into its backlog and never answers.
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)
    monkeypatch.setattr(loader, 'FETCH_TIMEOUT', 0.5)
    url = f'http://127.0.0.1:{silent.getsockname()[1]}/remote.conf'
    try:
        (tmp_path / 'f.conf').write_text(f'%import zeoconf\n%include {url}\n')
        result = run_cli('check', 'f.conf', cwd=tmp_path)
    finally:
        silent.close()
    assert result.status == 1
    assert result.out.startswith(f'f.conf:2: %include: cannot fetch {url}: ')
    assert 'timed out' in result.out


def test_an_include_url_that_drips_ends_the_check_at_one_deadline(
        run_cli, tmp_path, monkeypatch):
    # A byte each 0.1 s: each read of the socket gets one well within its
    # timeout, so only a deadline for the whole fetch ends it. The server
    # stops by itself after 50 bytes, or once the client has hung up.
    class Dripping(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(50):
                    self.wfile.write(b'#')
                    time.sleep(0.1)
            except OSError:
                pass            # the client gave up

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Dripping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(loader, 'FETCH_TIMEOUT', 0.5)
    url = f'http://127.0.0.1:{server.server_address[1]}/remote.conf'
    try:
        (tmp_path / 'f.conf').write_text(f'%include {url}\n{GOOD}')
        result = run_cli('check', 'f.conf', cwd=tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert result.status == 1
    assert result.out == (
        f'f.conf:1: %include: cannot fetch {url}: not read within 0.5 '
        f'seconds; zeoconf gives an %include URL 0.5 seconds in all\n')


def test_a_dollar_in_a_comment_is_not_blamed_for_a_lone_dollar(
        run_cli, tmp_path):
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n# it costs $5\n<zodb>\n'
                    '  <clientstorage>\n    server zeo:8100\n'
                    '    name abc$\n  </clientstorage>\n</zodb>\n')
    result = run_cli('check', str(path))
    assert result.status == 1
    assert f'{path}:6: name: illegal lone' in result.out
    assert ':2:' not in result.out
