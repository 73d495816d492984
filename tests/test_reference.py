"""docs/reference.md is generated from component.xml and kept current."""

import os
import re

from zeoconf import reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def test_reference_is_up_to_date():
    assert _read('docs', 'reference.md') == reference.render(), (
        'docs/reference.md is stale: run `make docs`')


def test_every_key_of_the_schema_is_documented():
    from zeoconf.keys import ZEOCLIENT_KEYS
    text = reference.render()
    names = re.findall(r'<(?:multi)?key name="([^"]+)"',
                       _read('zeoconf', 'component.xml'))
    assert '+' in names
    names = [name for name in names if name != '+'] + list(ZEOCLIENT_KEYS)
    assert len(names) > 25
    for name in names:
        assert f'| `{name}` |' in text, name


def test_every_key_and_section_type_has_a_description_in_the_schema():
    # ZConfig's own tools (zconfig_schema2html, its Sphinx directive) show
    # <description>: none may be lost, none may be stale.
    from zeoconf.keys import ZEOCLIENT_KEYS
    docs = reference.documentation()
    schema = reference._schema()
    assert set(docs) == {'clientstorage', 'ssl'}
    for section, documented in docs.items():
        keys = {name for name, info in schema.gettype(section)
                if name and not info.issection()}
        if '+' in keys:
            keys = (keys - {'+'}) | set(ZEOCLIENT_KEYS)
        assert set(documented) == keys | {''}, section
        assert all(text and text.strip() for text in documented.values())


def test_the_plus_entry_names_each_zeoclient_key_with_its_default():
    from zeoconf.keys import ZEOCLIENT_KEYS
    section = reference._schema().gettype('clientstorage')
    docs = reference.zeoclient_docs(section)
    assert list(docs) == list(ZEOCLIENT_KEYS)
    for key, (default, _) in docs.items():
        expected = ZEOCLIENT_KEYS[key][1]
        assert default.startswith(expected or 'unset'), key


def test_keytypes_accept_exactly_the_schemas_key_names():
    from zeoconf import keys
    schema = reference._schema()
    for section, names in (('clientstorage', keys.CLIENTSTORAGE_KEYS),
                           ('ssl', keys.SSL_KEYS)):
        defined = {name for name, info in schema.gettype(section)
                   if name and not info.issection()}
        if '+' in defined:
            defined = (defined - {'+'}) | set(keys.ZEOCLIENT_KEYS)
        assert names == defined, section


def test_zconfigs_own_html_shows_the_descriptions():
    import subprocess
    import sys
    result = subprocess.run(
        [sys.executable, '-c', 'import sys; from ZConfig.schema2html import '
         'main; sys.exit(main())', '--package', 'zeoconf'],
        capture_output=True, text=True, check=True)
    assert 'Client certificate file (PEM)' in result.stdout
    assert 'Keys of ZODB' in result.stdout


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


def test_make_docs_command_prints_the_committed_file():
    # `make docs` runs the module as a program; its output, byte for byte,
    # is what the up-to-date check compares with.
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-m', 'zeoconf.reference'],
                         capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    assert out == _read('docs', 'reference.md')


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
    from zeoconf.keys import ZEOCLIENT_KEYS
    for name in ZEOCLIENT_KEYS:      # in the "+" entry: one value each
        kind, _ = rows['clientstorage', name]
        assert 'required' not in kind and 'repeatable' not in kind, name
        checked += 1
    for name in ('clientstorage', 'ssl'):
        for key, info in schema.gettype(name):
            if not key or key == '+' or info.issection():
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


def test_keys_name_their_clientstorage_arguments():
    # The reference's opening promise: a key sets the ClientStorage
    # argument of its own name, but for server, cache-path and the
    # compatibility keys. Checked against what a section resolves to.
    import zeoconf
    kwargs = zeoconf.client_kwargs(
        '<clientstorage>\n  server 8100\n</clientstorage>\n')
    renamed = {'server': 'addr', 'cache-path': 'cache'}
    keys = [key for key, info in reference._schema().gettype(
        'clientstorage') if key and key != '+' and not info.issection()]
    assert len(keys) >= 15
    for key in keys:
        assert renamed.get(key, key.replace('-', '_')) in kwargs, key
    assert {'ssl', 'ssl_server_hostname'} <= set(kwargs)
    text = reference.render()
    for key, argument in renamed.items():
        assert f'`{key}` (' in text and f'`{argument}`' in text


def test_every_zeoclient_key_is_a_key_of_clientstorage():
    """ZODB's own <zeoclient> section, key by key: each is a key of
    <clientstorage> (the option table's or a compatibility key), and where
    zeoconf's compatibility key has a default it is ZODB's."""
    import ZODB.config

    from zeoconf.keys import ZEOCLIENT_KEYS, zeoclient_default
    ours = {key for key, info in reference._schema().gettype('clientstorage')
            if key and not info.issection()} - {'+'}
    zeoclient = ZODB.config.getDbSchema().gettype('zeoclient')
    names = [key for key, info in zeoclient if key and not info.issection()]
    assert len(names) >= 18
    for key in names:
        assert key in ours or key in ZEOCLIENT_KEYS, key
        assert not (key in ours and key in ZEOCLIENT_KEYS), key
    for key, (_convert, default) in ZEOCLIENT_KEYS.items():
        if default is None:
            continue
        info = dict(iter(zeoclient))[key]
        zodb = info.getdefault().convert(info.datatype)
        assert zeoclient_default(key) == zodb, key

