"""zeoconf.cli.scanner: the lines of a configuration as ZConfig reads them."""

import gc
import io
import textwrap
import tracemalloc
import weakref

import pytest
import ZConfig
import ZODB.config
from cli_files import many_storages
from hypothesis import given, settings
from hypothesis import strategies as st

from zeoconf.cli import check, scanner
from zeoconf.cli.scanner import scan

TEXT = textwrap.dedent("""\
    # a comment
    %import zeoconf
    %define HOST zeo.example.com

    <zodb main>
      cache-size-bytes 1GB
      <clientstorage>
        server $HOST:8100
        Cache-Size 20MB  # not a comment
        <ssl/>
      </clientstorage>
    </zodb>
    <MappingStorage Other>
    </mappingstorage>
    """)



def test_every_kind_of_line():
    lines = scan(TEXT).lines
    assert [line.kind for line in lines] == [
        'comment', 'directive', 'directive', 'blank', 'open', 'key', 'open',
        'key', 'key', 'empty', 'close', 'close', 'open', 'close']
    assert [(line.name, line.value) for line in lines[1:3]] == [
        ('import', 'zeoconf'), ('define', 'HOST zeo.example.com')]
    assert (lines[7].name, lines[7].value) == ('server', '$HOST:8100')
    # Names in lower case, as ZConfig compares them; the text as written.
    assert lines[8].name == 'cache-size'
    assert lines[8].value == '20MB  # not a comment'
    assert lines[8].text == '    Cache-Size 20MB  # not a comment'
    assert (lines[12].name, lines[12].value) == ('mappingstorage', 'other')
    assert [line.number for line in lines] == list(range(1, 15))



def test_sections_nest_and_know_their_lines():
    scanned = scan(TEXT)
    zodb, client, ssl, other = scanned.sections
    assert (zodb.type, zodb.name, zodb.start, zodb.end) == (
        'zodb', 'main', 5, 12)
    assert (client.start, client.end, client.parent) == (7, 11, zodb)
    assert (ssl.start, ssl.end, ssl.parent) == (10, 10, client)
    assert zodb.children == [client] and client.children == [ssl]
    assert other.parent is None and other.header == '<mappingstorage other>'
    assert client.header == '<clientstorage>'
    # A line belongs to its innermost section; a header to its own.
    assert scanned.line(8).section is client
    assert scanned.line(7).section is client
    assert scanned.line(11).section is client
    assert scanned.line(12).section is zodb
    assert scanned.line(6).section is zodb
    assert scanned.line(2).section is None
    assert scanned.line(0) is None and scanned.line(15) is None
    assert [line.number for line in scanned.keys(client)] == [8, 9]
    assert [line.number for line in scanned.keys(client, 'server')] == [8]
    assert scanned.keys() == []
    assert [line.number for line in scanned.directives()] == [2, 3]
    assert [line.number for line in scanned.directives('define')] == [3]



def test_a_section_opened_and_closed_on_one_line_is_an_error_line():
    scanned = scan('<zodb>\n  <ssl></ssl>\n</zodb>\n')
    bad = scanned.line(2)
    assert bad.kind == 'error'
    assert bad.section is scanned.sections[0]
    assert [s.type for s in scanned.sections] == ['zodb']
    assert scanned.sections[0].end == 3



@pytest.mark.parametrize('line', [
    '<zodb', '</zodb', '<>', '< zodb>', '<zodb main extra>', '<zo(db>',
    '%importzeoconf', '%IMPORT zeoconf', '%import', '%other thing',
    '(key value', '</ zodb>'])
def test_lines_zconfig_refuses_are_error_lines(line):
    text = f'<zodb>\n{line}\n'
    assert scan(text).line(2).kind == 'error'
    # ... and ZConfig does refuse them.
    schema = ZConfig.loadSchemaFile(io.StringIO(
        '<schema><sectiontype name="zodb"><key name="key"/></sectiontype>'
        '<section type="zodb" name="*" attribute="zodb"/></schema>'))
    with pytest.raises(ZConfig.ConfigurationError):
        ZConfig.loadConfigFile(schema, io.StringIO(text + '</zodb>\n'))



def test_unbalanced_ends_are_errors_and_unclosed_sections_end_nowhere():
    scanned = scan('</x>\n<a>\n<b>\n</a>\n')
    assert [line.kind for line in scanned.lines] == [
        'error', 'open', 'open', 'error']
    a, b = scanned.sections
    assert a.end is None and b.end is None
    assert b.parent is a



def test_a_byte_order_mark_is_not_part_of_the_first_line():
    line = scan('\ufeff%import zeoconf\n').line(1)
    assert (line.kind, line.name, line.value) == (
        'directive', 'import', 'zeoconf')



def test_crlf_lines():
    scanned = scan('<zodb>\r\n  cache-size 1\r\n</zodb>\r\n')
    assert [line.kind for line in scanned.lines] == ['open', 'key', 'close']
    assert scanned.line(2).text == '  cache-size 1'



def test_line_breaks_zconfig_does_not_count():
    text = '# page one\x0cpage two\nserver 1\rserver 2\n'
    # ZConfig's view: two lines, a comment and a key.
    view = scan(text)
    assert [line.kind for line in view.lines] == ['comment', 'key']
    assert view.line(2).value == '1\rserver 2'   # as ZConfig reads it



def _zconfig_lines(text):
    """What ZConfig's parser reads: one stripped line per "\\n"."""
    return [line.strip() for line in io.StringIO(text)]



@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_scans_without_raising(text):
    scanned = scan(text)
    body = text[1:] if text.startswith('\ufeff') else text
    assert len(scanned.lines) == len(_zconfig_lines(body))
    for number, line in enumerate(scanned.lines, 1):
        assert line.number == number
        assert line.kind in ('blank', 'comment', 'key', 'open', 'close',
                             'empty', 'directive', 'error')
    for section in scanned.sections:
        assert section.end is None or section.end >= section.start
        assert section.parent is None or section in section.parent.children
    view = scan(body)
    assert len(view.lines) == len(_zconfig_lines(body))



_PIECES = st.sampled_from([
    '<zodb>', '</zodb>', '<ssl>', '</ssl>', '<ssl></ssl>', '<x/>', '</x>',
    '<clientstorage a>', '</clientstorage>', '%import zeoconf',
    '%include x', '%define a b', 'server 8100', '# c', '', '<', '>', '</',
    '<>', '%', '(', 'key', ' \x0c ', '\r', '\u2028'])



@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40))
def test_unbalanced_configurations_scan_without_raising(pieces):
    text = '\n'.join(pieces)
    scanned = scan(text)
    opened = [line for line in scanned.lines if line.kind == 'open']
    closed = [line for line in scanned.lines if line.kind == 'close']
    assert len(closed) <= len(opened)
    for line in closed:
        assert line.section.end == line.number
        assert scanned.line(line.section.start).kind == 'open'


@pytest.mark.parametrize('line', ['\n', 'a\n', '  server zeo:8100\n'])
def test_a_large_file_costs_a_small_multiple_of_its_text(line):
    # 128 KB of one kind of line: a Line object per line would take over a
    # hundred times the text.
    text = line * ((128 << 10) // len(line))
    tracemalloc.start()
    try:
        scanned = scan(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(scanned.lines) == text.count('\n')
    assert peak < 16 * len(text), peak / len(text)


def test_lines_are_a_sequence_made_as_read():
    scanned = scan('%import zeoconf\n\n<zodb>\n  cache-size 5\n</zodb>\n')
    assert len(scanned.lines) == 5
    assert [line.kind for line in scanned.lines] == [
        'directive', 'blank', 'open', 'key', 'close']
    assert scanned.lines[-1].number == 5
    assert scanned.lines[3].section is scanned.sections[0]
    assert [line.number for line in scanned.lines[1:3]] == [2, 3]
    with pytest.raises(IndexError):
        scanned.lines[5]
    assert scanned.line(6) is None and scanned.line(0) is None


@pytest.fixture
def scans_made(monkeypatch):
    """A weak reference to every :class:`Scan` made while the test runs."""
    made = []
    init = scanner.Scan.__init__

    def recording(self, *args):
        made.append(weakref.ref(self))
        init(self, *args)
    monkeypatch.setattr(scanner.Scan, '__init__', recording)
    return made


def test_check_scans_a_text_once_and_keeps_no_scan(tmp_path, scans_made):
    # Three problems: four rounds, each looking at the same lines. No
    # scan outlives the call (a module-wide cache kept the last 16 texts
    # and their scans: 100 MB after a few large files).
    path = tmp_path / 'f.conf'
    path.write_text(many_storages(2000).replace(
        'cache-size 20MB', 'cache-size 1XB', 3))
    report = check.check(str(path), ZODB.config.getDbSchema())
    assert [p.line for p in report.problems] == [5, 11, 17]
    assert len(scans_made) == 1
    gc.collect()
    assert [ref for ref in scans_made if ref() is not None] == []


@pytest.mark.parametrize('command', [
    ['check'], ['show', '--offline'], ['migrate', '--offline']])
def test_a_command_scans_its_file_once(run_cli, tmp_path, scans_made,
                                       command):
    path = tmp_path / 'f.conf'
    path.write_text('%import ZEO\n<zodb>\n  <clientstorage>\n'
                    '    server zeo.example.com:8100\n  </clientstorage>\n'
                    '</zodb>\n')
    assert run_cli(*command, path).status == 0
    assert len(scans_made) == 1
    gc.collect()
    assert [ref for ref in scans_made if ref() is not None] == []


def test_keys_of_a_section_of_many_lines_are_picked_without_making_them_all():
    # A 16 MB file may hold millions of keys: keys() made a Line of every
    # key of the file before it picked (1.4 GB for one call).
    text = ('<zodb>\n  <zeoclient>\n    server zeo:1\n' + '    a 1\n' * 50000
            + '  </zeoclient>\n</zodb>\n')
    scanned = scan(text)
    [zeoclient] = [s for s in scanned.sections if s.type == 'zeoclient']
    tracemalloc.start()
    try:
        found = scanned.keys(zeoclient, 'server')
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [line.number for line in found] == [3]
    assert peak < len(text) / 10, peak
