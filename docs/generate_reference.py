"""Generate docs/reference.md from component.xml, as ZConfig reads it:
``python docs/generate_reference.py`` (``make docs``).

ZConfig's ``zconfig_schema2html`` (HTML, which a Git host shows as
source) and ``ZConfig.sphinx`` (which needs a Sphinx site) walk the same
objects; this writes Markdown, with each key's value syntax in words.
"""

import io
import os

import ZConfig

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

INTRODUCTION = (
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


def _schema():
    return ZConfig.loadSchemaFile(io.StringIO(
        '<schema>\n  <import package="zeoconf"/>\n</schema>\n'))


def _keys(section):
    return [(key, info) for key, info in section
            if key and not info.issection()]


def _cell(text):
    # One line for a table cell; a '|' in a description would end the cell.
    return ' '.join((text or '').split()).replace('|', '\\|')


def _default(info):
    default = info.getdefault()
    if info.ismulti():
        return ', '.join(f'`{v.value}`' for v in default) or '—'
    if default is None:
        return '—'
    return f'`{default.value}`' if default.value != '' else '(empty)'


def _section(section):
    text = f'## `<{section.name}>`\n\n{_cell(section.description)}\n\n'
    for key, info in section:
        if not key and info.issection():
            child = info.sectiontype.name
            count = 'one' if info.maxOccurs == 1 else 'any number of'
            text += (f'It may contain {count} [`<{child}>`](#{child}) '
                     f'section{"s" if info.maxOccurs != 1 else ""}.\n\n')
    text += '| key | type | default | description |\n|---|---|---|---|\n'
    for key, info in _keys(section):
        kind = getattr(info.datatype, 'datatype', None)
        type_text = TYPES.get(kind, kind or 'text')
        flags = [flag for flag, on in (('repeatable', info.ismulti()),
                                       ('required', info.minOccurs)) if on]
        if flags:
            type_text += f'; {", ".join(flags)}'
        text += (f'| `{key}` | {type_text} | {_default(info)} | '
                 f'{_cell(info.description)} |\n')
    return text + '\n'


def render():
    """The reference as Markdown text."""
    schema = _schema()
    return INTRODUCTION + ''.join(_section(schema.gettype(name))
                                  for name in ('clientstorage', 'ssl'))


if __name__ == '__main__':
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'reference.md'), 'w') as f:
        f.write(render())
