"""Generate docs/reference.md from component.xml.

``python -m zeoconf.cli.reference > docs/reference.md`` (``make docs``). The
schema is read by ZConfig itself, so the reference shows exactly the
names, defaults and descriptions ZConfig will apply; a test fails when the
committed file differs from what this prints.

ZConfig ships two schema renderers, and both were tried on this schema:

- ``zconfig_schema2html --package zeoconf --members clientstorage ssl``
  writes an HTML definition list. It names each key's datatype as a
  Python path (``zeoconf.keys.cache_size``), does not mark ``server`` as
  required, and HTML in a repository is shown as source, not rendered.
  It remains a fine way to get an HTML page; the README says so.
- ``ZConfig.sphinx`` is a Sphinx directive (``.. zconfig::`` with
  ``:package: zeoconf``); zeoconf has no Sphinx site, and Sphinx would be
  a documentation dependency for one page. A project that has a Sphinx
  site can use it on zeoconf as is.

Both walk the same objects this module walks (the schema as
``ZConfig.loadSchemaFile`` builds it), so what differs is only the
output: a Markdown table, which the README links and any Git host
displays, with the value syntax of each key in words.
"""

import io
import textwrap

import ZConfig

__all__ = ['render']

# Generic datatype names (zeoconf.datatypes) as the reference shows them.
TYPES = {
    'size': 'size (`20MB`, `1.5GB`, `512 MiB`, bytes)',
    'server_addresses': 'addresses (`PORT`, `HOST:PORT`, `[IPV6]:PORT`, '
                        '`/path/to/socket`; several separated by white '
                        'space)',
    'boolean': 'boolean (`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`)',
    'positive_interval': 'interval > 0 (`30`, `2.5`, `500ms`, `2m`, `1h`)',
    'percent': 'percent, 1-99 (`10`, `10%`)',
    'text': 'text',
    'storage_name': 'text, not empty',
    'file_name_part': 'text without `/` (part of a file name)',
    'secret': 'text, never shown',
    'existing_file': 'path of a readable file (`~` expanded)',
    'existing_directory': 'path of an existing directory',
    'existing_path': 'path of a readable file or directory',
    'directory_path': 'directory path (created by ZEO if missing)',
    'file_in_existing_directory': 'file path in an existing directory',
    'dotted_callable': 'dotted name of a callable (`package.module.func`)',
    'host_name': 'host name or IP address',
}

_SCHEMA = """\
<schema>
  <import package="zeoconf"/>
</schema>
"""


def _schema():
    return ZConfig.loadSchemaFile(io.StringIO(_SCHEMA))


def documentation(schema=None):
    """``{section type: {'': its description, key: description}}``, as
    ZConfig read them from component.xml."""
    schema = schema or _schema()
    docs = {}
    for name in ('clientstorage', 'ssl'):
        section = schema.gettype(name)
        entry = {'': section.description}
        for key, info in section:
            if key and not info.issection():
                entry[key] = info.description
        docs[name] = entry
    return docs


def _paragraphs(text):
    # One line for a table cell; a '|' in a description would end the cell.
    text = textwrap.dedent(text or '').strip()
    return ' '.join(text.split()).replace('|', '\\|')


def _default_text(value):
    if value is None:
        return '—'
    return f'`{value}`' if value != '' else '(empty)'


def _default(info):
    default = info.getdefault()
    if info.ismulti():
        return ', '.join(f'`{v.value}`' for v in default) or '—'
    return _default_text(None if default is None else default.value)


def _subsections(out, section):
    for key, info in section:
        if key or not info.issection():
            continue
        name = info.sectiontype.name
        count = 'one' if info.maxOccurs == 1 else 'any number of'
        out.write(f'It may contain {count} [`<{name}>`](#{name}) '
                  f'section{"s" if info.maxOccurs != 1 else ""}.\n\n')


def rows(section):
    """``(key, datatype name, default text, flags)`` for every key of a
    section type, in schema order."""
    for key, info in section:
        if not key or info.issection():
            continue
        flags = []
        if info.ismulti():
            flags.append('repeatable')
        if info.minOccurs:
            flags.append('required')
        yield key, getattr(info.datatype, 'datatype', None), \
            _default(info), flags


def _section(out, schema, name, docs):
    section = schema.gettype(name)
    out.write(f'## `<{name}>`\n\n{_paragraphs(docs.get(""))}\n\n')
    _subsections(out, section)
    out.write('| key | type | default | description |\n')
    out.write('|---|---|---|---|\n')
    for key, kind, default, flags in rows(section):
        type_text = TYPES.get(kind, kind or 'text')
        if flags:
            type_text += f'; {", ".join(flags)}'
        out.write(f'| `{key}` | {type_text} | {default} | '
                  f'{_paragraphs(docs.get(key))} |\n')
    out.write('\n')


def render():
    """The reference as Markdown text."""
    schema = _schema()
    out = io.StringIO()
    out.write(
        '# zeoconf option reference\n\n'
        '<!-- Generated from zeoconf/component.xml by '
        '`make docs`; do not edit. -->\n\n'
        'Write `%import zeoconf` in a ZODB or Zope configuration file, then '
        'a `<clientstorage>` section wherever ZODB accepts a storage. Each '
        'key sets the `ZEO.ClientStorage.ClientStorage` argument of the '
        'same name with dashes as underscores, except `server` (the list '
        '`addr`) and `cache-path` (`cache`); `<ssl>` gives `ssl` and '
        '`ssl_server_hostname`. The compatibility keys, for configurations '
        'written for ZODB\'s `<zeoclient>`, say in their rows what they '
        'do. Key names are not case sensitive.\n\n')
    docs = documentation(schema)
    _section(out, schema, 'clientstorage', docs['clientstorage'])
    _section(out, schema, 'ssl', docs['ssl'])
    return out.getvalue()


if __name__ == '__main__':
    print(render(), end='')
