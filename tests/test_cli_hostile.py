"""The zeoconf command against hostile input (issues 13 and 19).

Special files are real (``os.mkfifo``, ``/dev/zero``). Where a special
file could block or exhaust the reader, the command runs in a process of
its own (``cli_files.run_process``: a timeout and a memory limit as
guards, not measures); elsewhere in this process. Scale is counted
(parses, calls), never timed.
"""

import io
import json
import os
import textwrap

import pytest
import ZConfig
import ZODB.config
from cli_files import GOOD, count_calls, many_storages, run_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zeoconf
from zeoconf import cli, loader
from zeoconf.cli import storages
from zeoconf.cli.check import check


def assert_one_line_failure(result, *, where='out', code=1):
    """Exit *code*, one line of text where the command reports it, no
    traceback anywhere."""
    assert result.status == code
    text = getattr(result, where)
    assert len(text.splitlines()) == 1, text
    assert 'Traceback' not in (result.out or '') + result.err


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / 'fifo.conf'
    os.mkfifo(path)
    return str(path)


def test_check_dev_zero_is_refused_unread():
    result = run_process('check', '/dev/zero')
    assert_one_line_failure(result)
    assert result.out == ('/dev/zero is a character device, not a regular '
                          'file; expected a configuration file\n')
    assert result.err == ''


@pytest.mark.parametrize('command', ['check', 'show', 'ping', 'migrate'])
def test_a_fifo_as_the_configuration_file_is_refused(fifo, command):
    result = run_process(command, fifo)
    where = 'out' if command == 'check' else 'err'
    # ping: 2, the configuration cannot be read (1 is a server down).
    assert_one_line_failure(result, where=where,
                            code=2 if command == 'ping' else 1)
    assert getattr(result, where) == (
        f'{fifo} is a FIFO, not a regular file; expected a '
        f'configuration file\n')


@pytest.mark.parametrize('command', ['check', 'show'])
def test_a_fifo_in_an_include_is_refused_at_its_line(tmp_path, fifo,
                                                     command):
    (tmp_path / 'f.conf').write_text(GOOD.replace(
        '    server', f'    %include {fifo}\n    server'))
    result = run_process(command, 'f.conf', cwd=tmp_path)
    where = 'out' if command == 'check' else 'err'
    assert_one_line_failure(result, where=where)
    # The FIFO named as every file is, relative to the working directory.
    assert getattr(result, where) == (
        f'f.conf:4: %include: {os.path.relpath(fifo, tmp_path)} is a FIFO, '
        f'not a regular file; expected a configuration file\n')


def test_a_17_mb_file_is_refused(tmp_path):
    (tmp_path / 'big.conf').write_text(GOOD + '#' * (17 << 20) + '\n')
    result = run_process('check', 'big.conf', cwd=tmp_path)
    assert_one_line_failure(result)
    size = os.path.getsize(tmp_path / 'big.conf')
    assert result.out == (f'big.conf is {size} bytes; expected a '
                          f'configuration file of at most 16 MB\n')


def test_a_sparse_gigabyte_is_refused_unread(tmp_path):
    path = tmp_path / 'sparse.conf'
    with open(path, 'wb') as f:
        f.truncate(1 << 30)
    for command in ('check', 'show', 'migrate'):
        result = run_process(command, str(path))
        assert result.status == 1
        assert 'is 1073741824 bytes' in result.out + result.err
        assert 'Traceback' not in result.err


@pytest.mark.parametrize('command', ['check', 'show', 'ping', 'migrate'])
@pytest.mark.parametrize('schema', ['/dev/zero', 'fifo'])
def test_a_special_file_as_schema_is_refused(tmp_path, fifo, command,
                                             schema):
    schema = fifo if schema == 'fifo' else schema
    kind = 'a FIFO' if schema == fifo else 'a character device'
    (tmp_path / 'f.conf').write_text(GOOD.replace('zeoconf', 'ZEO'))
    result = run_process(command, '--schema', schema, 'f.conf',
                         cwd=tmp_path)
    where = 'out' if command == 'check' else 'err'
    assert_one_line_failure(result, where=where,
                            code=2 if command == 'ping' else 1)
    # migrate says which file it was migrating, as for any failure.
    prefix = 'f.conf: ' if command == 'migrate' else ''
    assert getattr(result, where) == (
        f'{prefix}{schema} is {kind}, not a regular file; expected a '
        f'schema file\n')


BOM = '\ufeff' + textwrap.dedent("""\
    %import zeoconf
    <zodb>
      <clientstorage>
        server zeo.example.com:8100
        cache-size 1XB
      </clientstorage>
    </zodb>
    """)


def test_check_reports_a_byte_order_mark_at_line_1_and_reads_on(
        run_cli, tmp_path):
    (tmp_path / 'bom.conf').write_text(BOM, encoding='utf-8')
    result = run_cli('check', 'bom.conf', cwd=tmp_path)
    assert result.status == 1
    mark, size = result.out.splitlines()
    assert mark == ('bom.conf:1: the file starts with a UTF-8 byte order '
                    'mark, which ZConfig reads as part of the first line; '
                    'save it without one')
    assert size.startswith("bom.conf:5: cache-size: '1XB' is not a size")


def test_check_reports_only_the_mark_of_a_file_otherwise_good(
        run_cli, tmp_path):
    (tmp_path / 'bom.conf').write_text(BOM.replace('1XB', '1MB'),
                                       encoding='utf-8')
    result = run_cli('check', '--json', 'bom.conf', cwd=tmp_path)
    assert result.status == 1
    [problem] = json.loads(result.out)['files'][0]['problems']
    assert problem['line'] == 1 and 'byte order mark' in problem['message']


def test_client_kwargs_refuses_a_byte_order_mark_and_says_why():
    with pytest.raises(ZConfig.ConfigurationError) as info:
        zeoconf.client_kwargs('\ufeff<clientstorage>\n  server 8100\n'
                              '</clientstorage>\n')
    assert info.value.lineno == 1
    assert 'byte order mark, which ZConfig reads as part of the first ' \
        'line' in str(info.value)


def test_plain_zconfig_refuses_a_byte_order_mark_too(tmp_path):
    # What the message says of ZConfig is so.
    (tmp_path / 'bom.conf').write_text(BOM.replace('1XB', '1MB'),
                                       encoding='utf-8')
    with pytest.raises(ZConfig.ConfigurationError) as info:
        ZConfig.loadConfig(ZODB.config.getDbSchema(),
                           str(tmp_path / 'bom.conf'))
    assert r"'\ufeff%import'" in str(info.value)


def test_check_does_work_linear_in_the_storages(tmp_path):
    schema = ZODB.config.getDbSchema()
    counts = []
    for count in (500, 1000):
        path = tmp_path / f'{count}.conf'
        path.write_text(many_storages(count))
        counts.append(count_calls(check, str(path), schema)[0])
    assert counts[1] / counts[0] < 2.1, counts


def test_finding_storages_is_linear_in_their_number(tmp_path):
    schema = ZODB.config.getDbSchema()
    counts = []
    for count in (500, 1000):
        config, _ = ZConfig.loadConfigFile(schema,
                                           io.StringIO(many_storages(count)))
        counts.append(count_calls(storages.find, config)[0])
        assert len(storages.find(config)) == count
    assert counts[1] / counts[0] < 2.1, counts


_PIECES = st.sampled_from([
    '%import zeoconf\n', '%import ZEO\n', '<zodb>\n', '</zodb>\n',
    '<clientstorage>\n', '</clientstorage>\n', '<ssl>\n', '</ssl>\n',
    '<ssl></ssl>\n', '<ssl/>\n', 'server 8100\n', 'server host:\n',
    'cache-size 1XB\n', 'cache_size 1\n', 'key /nonexistent\n',
    'certificate /nonexistent\n', 'blob-dir /tmp\n',
    'shared-blob-dir true\n', '%include other.conf\n', '%define A b\n',
    'name $A\n', 'name $B\n', '<zodb_db x>\n', '</zodb_db>\n',
    'instancehome /tmp\n', 'cache-size 100MB\n', 'name a # b\n', '\ufeff',
    '# c\n', '\n', '\x0c', '\r', '<zeoclient>\n', '</zeoclient>\n',
    '<mappingstorage/>\n', 'password-function os.getcwd\n'])


_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(_PIECES, st.text(max_size=12)),
             max_size=30).map(''.join))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT, options=st.sets(st.sampled_from(['--json',
                                                    '--offline'])))
def test_check_of_arbitrary_text_exits_0_or_1(tmp_path, text, options):
    path = tmp_path / 'f.conf'
    path.write_text(text, encoding='utf-8', errors='surrogatepass')
    (tmp_path / 'other.conf').write_text('cache-size 1XB\n')
    out = io.StringIO()
    status = cli.main(['check', *sorted(options), str(path)], out=out)
    assert status in (0, 1)
    if '--json' in options:
        json.loads(out.getvalue())


def test_a_bug_of_zeoconf_is_one_line_not_a_traceback(run_cli, tmp_path):
    # A lone carriage return before a failing "$" substitution: zeoconf's
    # own message for it failed with IndexError (see the next test). The
    # command reports such a failure as a bug, by its type only.
    (tmp_path / 'f.conf').write_bytes(b'\r0 $A')
    for command in ('check', 'show'):
        result = run_cli(command, 'f.conf', cwd=tmp_path)
        assert result.status == 1
        assert 'Traceback' not in result.err
        assert len((result.out + result.err).splitlines()) == 1


def test_a_failed_substitution_after_a_lone_carriage_return():
    # A lone CR is part of a line to ZConfig, which numbers lines at "\n"
    # only; so does the scanner the message is looked up with.
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('\r0 $A')
    assert e.value.lineno == 1


# Bounded work: substitutions and includes.

# ZConfig strips a line of any white space (str.strip()) before it looks
# for a directive: a form feed or an ideographic space before %define too.
@pytest.mark.parametrize('indent', ['', ' \t', '\x0c', '\u3000'])
def test_an_exponential_define_chain_is_refused_at_its_line(tmp_path,
                                                            indent):
    # Each %define doubles the last: 16 * 2**29 characters at the end.
    # A process of its own, under the memory guard.
    lines = ['%import zeoconf', '%define A0 xxxxxxxxxxxxxxxx']
    lines += [f'{indent}%define A{i} ${{A{i - 1}}}${{A{i - 1}}}'
              for i in range(1, 30)]
    lines += ['<zodb>', '  <clientstorage>', '    server zeo:8100',
              '    name $A29', '  </clientstorage>', '</zodb>']
    (tmp_path / 'f.conf').write_text('\n'.join(lines) + '\n')
    assert os.path.getsize(tmp_path / 'f.conf') < 1000
    for command in ('check', 'show'):
        result = run_process(command, 'f.conf', cwd=tmp_path)
        assert result.status == 1
        report = result.out if command == 'check' else result.err
        assert report == (
            'f.conf:15: %define A13: its value would be 131,072 characters '
            'long once substituted; zeoconf reads values of at most '
            '65,536\n')


@pytest.mark.parametrize('variable, text, expected', [
    (0, '%import zeoconf\n%define A ' + 'x' * 60000 + '\n<zodb>\n'
     '  <clientstorage>\n    server zeo:8100\n    name $A$A\n'
     '  </clientstorage>\n</zodb>\n',
     'f.conf:6: this line would be 120,009 characters long'),
    # ZConfig puts the variable's value where $(NAME) is written: the line
    # is as long as 100 values, not 100 references.
    (1000, '%import zeoconf\n<zodb>\n  <clientstorage>\n'
     '    server zeo:8100\n    name ' + '$(ZEOCONF_LONG)' * 100
     + '\n  </clientstorage>\n</zodb>\n',
     'f.conf:5: this line would be 100,009 characters long'),
    # The value a %define keeps is the variable's, which a chain of
    # %defines could double from there.
    (100_000, '%import zeoconf\n%define A $(ZEOCONF_LONG)\n'
     '%define B $A$A\n',
     'f.conf:2: %define A: its value would be 100,000 characters long'),
], ids=['define used twice', 'environment variable', 'define of one'])
def test_a_value_too_long_once_substituted_is_refused_at_its_line(
        run_cli, tmp_path, monkeypatch, variable, text, expected):
    monkeypatch.setenv('ZEOCONF_LONG', 'x' * variable)
    (tmp_path / 'f.conf').write_text(text)
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert result.out == (f'{expected} once substituted; zeoconf reads '
                          f'values of at most 65,536\n')


def test_400_chained_includes_end_as_nested_too_deeply(run_cli, tmp_path):
    for i in range(400):
        (tmp_path / f'inc{i}.conf').write_text(f'%include inc{i + 1}.conf\n')
    (tmp_path / 'inc400.conf').write_text('# the end\n')
    result = run_cli('check', 'inc0.conf', cwd=tmp_path)
    assert result.status == 1
    [line] = result.out.splitlines()
    assert line.endswith(': %include: includes nested too deeply')
    assert 'RecursionError' not in result.out + result.err


def test_includes_that_fan_out_end_at_the_bound_on_their_number(
        run_cli, tmp_path, monkeypatch):
    # Each file includes the next twice: 1 + 2 + 4 + ... + 64 = 127
    # %includes of 8 small files (30 files would be a billion). With the
    # bound at 10, the 11th is refused. Depth first: f:7 inc0:1 inc1:1
    # inc2:1 inc3:1 inc4:1 (6), inc5:1 inc5:2 (8), back in inc4, inc4:2
    # (9), inc5:1 (10), inc5:2 (11).
    monkeypatch.setattr(loader, 'MAX_INCLUDES', 10, raising=False)
    for i in range(6):
        (tmp_path / f'inc{i}.conf').write_text(
            f'%include inc{i + 1}.conf\n%include inc{i + 1}.conf\n')
    (tmp_path / 'inc6.conf').write_text('# the end\n')
    (tmp_path / 'f.conf').write_text(GOOD + '%include inc0.conf\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        loader.load_path(str(tmp_path / 'f.conf'),
                         ZODB.config.getDbSchema())
    assert (e.value.url, e.value.lineno) == (
        (tmp_path / 'inc5.conf').as_uri(), 2)
    assert e.value.message == (
        '%include: more than 10 %includes in one load (a file included '
        'twice counts twice); include each file once')
    # The command says it at that line too (and, reading on past it, at
    # the %include that passes the bound once that line is left out).
    result = run_cli('check', 'f.conf', cwd=tmp_path)
    assert result.status == 1
    assert f'inc5.conf:2: {e.value.message}' in result.out.splitlines()
