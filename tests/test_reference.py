"""docs/reference.md is generated from component.xml and kept current."""

import importlib.util
import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, 'docs', 'generate_reference.py')

_spec = importlib.util.spec_from_file_location('generate_reference', SCRIPT)
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def test_reference_is_up_to_date():
    assert _read('docs', 'reference.md') == reference.render(), (
        'docs/reference.md is stale: run `make docs`')


def _defined(section):
    return [name for name, info in reference._schema().gettype(section)
            if name and not info.issection()]


@pytest.mark.parametrize('section', ['clientstorage', 'ssl'])
def test_every_key_of_the_schema_has_a_row_with_its_description(section):
    text = reference.render()
    names = _defined(section)
    assert len(names) >= 6
    docs = {key: info.description
            for key, info in reference._schema().gettype(section)}
    for name in names:
        row = f'| `{name}` |'
        assert row in text, name
        line = next(line for line in text.splitlines()
                    if line.startswith(row))
        # The description's first words are in the row.
        first = ' '.join(docs[name].split()[:4]).replace('|', '\\|')
        assert first and first in line, name


def test_zconfigs_own_html_shows_the_descriptions():
    import subprocess
    import sys
    result = subprocess.run(
        [sys.executable, '-c', 'import sys; from ZConfig.schema2html import '
         'main; sys.exit(main())', '--package', 'zeoconf'],
        capture_output=True, text=True, check=True)
    assert 'Client certificate file (PEM)' in result.stdout
    for section in ('clientstorage', 'ssl'):
        for key in _defined(section):
            assert f'(zeoconf.keys.{key.replace("-", "_")})' in \
                result.stdout, key


def test_every_key_has_a_type_and_a_description():
    rows = [line for line in reference.render().splitlines()
            if line.startswith('| `')]
    for row in rows:
        key, kind, default, description = row.strip('|').split(' | ')
        assert kind.strip() and description.strip(), row
        assert kind.strip() != 'text' or key.strip('` ') in (
            'storage', 'name', 'client-label', 'client',
            'max-disconnect-poll', 'drop-cache-rather-verify', 'username',
            'realm'), row


def test_make_docs_command_writes_the_committed_file(tmp_path):
    # `make docs` runs the script, which writes reference.md beside it; a
    # copy writes it, byte for byte, as the up-to-date check compares it.
    import subprocess
    import sys
    (tmp_path / 'docs').mkdir()
    shutil.copy(SCRIPT, tmp_path / 'docs')
    subprocess.run([sys.executable, 'docs/generate_reference.py'],
                   check=True, cwd=tmp_path)
    with open(tmp_path / 'docs' / 'reference.md', 'rb') as f:
        written = f.read()
    with open(os.path.join(ROOT, 'docs', 'reference.md'), 'rb') as f:
        assert written == f.read()


def test_flags_and_defaults_follow_the_schema():
    # Read back from the table what ZConfig itself says of each key.
    schema = reference._schema()
    rows = {}
    section = None
    for line in reference.render().splitlines():
        if line.startswith('## `<'):
            section = line[5:-2]
        elif line.startswith('| `'):
            key, kind, default, _ = line.strip('|').split(' | ')
            rows[section, key.strip().strip('`')] = kind, default.strip()
    checked = 0
    for name in ('clientstorage', 'ssl'):
        for key, info in schema.gettype(name):
            if not key or info.issection():
                continue
            kind, default = rows[name, key]
            assert kind.endswith('required') == bool(info.minOccurs), key
            assert ('repeatable' in kind) == info.ismulti(), key
            value = info.getdefault()
            if value is None or info.ismulti():
                assert default in ('—', ''), key
            else:
                assert default in (f'`{value.value}`', '(empty)'), key
            checked += 1
    assert checked == len(rows)
    assert rows['clientstorage', 'server'][0].endswith(
        'repeatable, required')


# Compatibility keys: accepted for <zeoclient>'s sake, not passed on.
_COMPATIBILITY = {'client', 'var', 'min-disconnect-poll',
                  'max-disconnect-poll', 'drop-cache-rather-verify',
                  'username', 'password', 'realm'}


def test_keys_name_their_clientstorage_arguments():
    # The reference's opening promise: a key sets the ClientStorage
    # argument of its own name, but for server, cache-path and the
    # compatibility keys. Checked against what a section resolves to.
    import zeoconf
    kwargs = zeoconf.client_kwargs(
        '<clientstorage>\n  server 8100\n</clientstorage>\n')
    renamed = {'server': 'addr', 'cache-path': 'cache'}
    keys = [key for key in _defined('clientstorage')
            if key not in _COMPATIBILITY]
    assert len(keys) >= 15
    for key in keys:
        assert renamed.get(key, key.replace('-', '_')) in kwargs, key
    assert {'ssl', 'ssl_server_hostname'} <= set(kwargs)
    text = reference.render()
    for key, argument in renamed.items():
        assert f'`{key}` (' in text and f'`{argument}`' in text


def test_every_zeoclient_key_is_a_key_of_clientstorage():
    """ZODB's own <zeoclient> section, key by key: each is a key of
    <clientstorage>, with ZODB's default where zeoconf's compatibility key
    has one."""
    import ZODB.config
    ours = dict(iter(reference._schema().gettype('clientstorage')))
    zeoclient = ZODB.config.getDbSchema().gettype('zeoclient')
    names = [key for key, info in zeoclient if key and not info.issection()]
    assert len(names) >= 18
    assert _COMPATIBILITY <= set(names)
    for key in names:
        assert key in ours, key
    for key in _COMPATIBILITY | {'wait'}:
        theirs, mine = dict(iter(zeoclient))[key], ours[key]
        if mine.getdefault() is None:
            continue
        assert (mine.getdefault().convert(mine.datatype)
                == theirs.getdefault().convert(theirs.datatype)), key
