"""The storages of a loaded configuration, and what the tools say of them.

:func:`clients` walks a configuration object for every ZEO client
section, zeoconf's and others' (``zeoconf migrate`` compares both);
:func:`find` gives each ``<clientstorage>`` of zeoconf's a label people
can find in the file (``<zodb main>``);
:func:`describe` is everything ``zeoconf show`` says about one: each
key's value, where it came from, and how it resolves.
"""

import collections

from zeoconf import keys
from zeoconf.datatypes import format_address
from zeoconf.openers import ClientStorageOpener
from zeoconf.values import NamedCallable, Secret
from zeoconf.wording import format_value

__all__ = ['clients', 'path_label', 'find', 'describe', 'summary', 'plain',
           'columns', 'show_lines', 'ESCAPES', 'OTHER_CLIENTS']

# Section types that open ZEO clients without zeoconf: ZEO's own
# component (%import ZEO) and ZODB's built-in <zeoclient>.
OTHER_CLIENTS = ('clientstorage', 'zeoclient')


def _join(where, section):
    return f'{where} {section}'.strip()


def clients(config):
    """Every ZEO client section of a parsed *config*, depth first in the
    order the schema holds them: ``(path, section)``.

    *path* is the ``(type, name)`` of each enclosing section (name None
    when unnamed); *section* is zeoconf's ``ClientStorageOpener``, or the
    ``SectionValue`` of a client zeoconf does not handle (a type in
    :data:`OTHER_CLIENTS`), whose own sections are not looked into.
    """
    from ZConfig.matcher import SectionValue
    seen = set()
    stack = [(config, ())]
    while stack:        # depth first, in order, without recursion
        value, path = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        children = ()
        if isinstance(value, ClientStorageOpener):
            yield path, value
        elif isinstance(value, SectionValue):
            kind = value.getSectionType()
            if kind in OTHER_CLIENTS:
                yield path, value
                continue
            if kind:
                path = path + ((kind, value.getSectionName()),)
            children = [getattr(value, attribute, None)
                        for attribute in value.getSectionAttributes()]
        elif isinstance(value, (list, tuple)):
            children = value
        elif isinstance(value, dict):
            children = list(value.values())
        elif isinstance(getattr(value, 'config', None), SectionValue):
            children = [value.config]   # ZODB's and Zope's section objects
        stack.extend((child, path) for child in reversed(children))


def path_label(path):
    """*path* (as :func:`clients` gives it) as people read it:
    ``<zodb main> <zeoclient>``."""
    return ' '.join(f'<{kind} {name}>' if name else f'<{kind}>'
                    for kind, name in path)


def find(config, others=None):
    """``[(label, ClientStorageOpener)]`` for every clientstorage, in order.

    The label is the innermost enclosing section (``<zodb main>``), with
    the clientstorage's own label added where that alone would be
    ambiguous or when the clientstorage is named itself. When *others* is
    a list, the labels of ZEO client sections that zeoconf does not handle
    (``%import ZEO``'s ``<clientstorage>``, ZODB's ``<zeoclient>``) are
    appended to it.
    """
    found = []
    for path, section in clients(config):
        if isinstance(section, ClientStorageOpener):
            found.append((path_label(path), section))
        elif others is not None:
            others.append(_join(path_label(path),
                                f'<{section.getSectionType()}>'))

    short = [where if where and not opener.name else
             _join(where, opener.label()) for where, opener in found]
    counts = collections.Counter(short)
    labels = [_join(where, opener.label()) if counts[label] > 1 else label
              for (where, opener), label in zip(found, short)]
    counts, numbered = collections.Counter(labels), collections.Counter()
    for index, label in enumerate(labels):
        if counts[label] > 1:
            numbered[label] += 1
            labels[index] = f'{label} #{numbered[label]}'
    return [(label, opener) for label, (_, opener) in zip(labels, found)]


def plain(value):
    """A converted value as JSON-able data, secrets hidden."""
    if isinstance(value, Secret):
        return '<redacted>'
    if isinstance(value, tuple) and len(value) == 2:
        return format_address(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, NamedCallable):
        return value.name
    return value


def _values(section):
    """``(key, value, datatype name)`` for every key of an opener's
    section, in schema order; the ``<zeoclient>`` keys in place of the
    "+" entry that holds them."""
    given = getattr(section, 'zeoclient', None)     # <ssl> has none
    for key, info in section.config.getSectionDefinition():
        if key == '+':
            for name, (convert, _) in keys.ZEOCLIENT_KEYS.items():
                value = (given[name] if name in given
                         else keys.zeoclient_default(name))
                yield name, value, getattr(convert, 'datatype', None)
        elif key and not info.issection():
            value = getattr(section.config, info.attribute)
            if key == 'disconnect-poll':
                value = section.disconnect_poll     # what takes effect
            yield key, value, getattr(info.datatype, 'datatype', None)


# Datatypes of keys whose values are paths.
_PATHS = frozenset({'existing_file', 'existing_path', 'existing_directory',
                    'directory_path', 'file_in_existing_directory'})


def _rows(section, url, notes):
    """``{key: {'value', 'text', 'origin', 'note'}}`` for one section.

    The origin is ``default``, ``line N`` for a line of the file at *url*,
    or ``FILE:N`` for a line of an included file. ``note`` says how the
    value resolves when ClientStorage gets something else, else None.
    """
    import os

    from zeoconf.errors import display_path
    rows = {}
    positions = section.positions
    for key, value, datatype in _values(section):
        if (datatype in _PATHS and isinstance(value, str)
                and not os.path.isabs(value) and key not in notes):
            notes = dict(notes, **{key: f'relative: {os.path.abspath(value)}'
                                   f' from this working directory'})
        lines = positions.get(key)
        if lines:
            origin = ', '.join(
                f'line {n}' if where == url else
                f'{display_path(where) or "<config>"}:{n}'
                for n, where in lines)
        else:
            origin = 'default'
        rows[key] = {'value': plain(value),
                     'text': format_value(value, datatype),
                     'origin': origin, 'note': notes.get(key)}
    return rows


def _notes(opener):
    """How keys resolve when ClientStorage gets something else.

    ``({key: note}, {ssl key: note})``: the cache file named by
    client/var, disconnect-poll set by min-disconnect-poll, the host name
    TLS checks, and keys that are accepted but have no effect.
    """
    c, kwargs, at = opener.config, opener.kwargs(), opener.key_at
    zeoclient = opener.zeoclient
    client, var = zeoclient.get('client'), zeoclient.get('var')
    notes, ssl_notes = {}, {}
    if client and c.cache_path is None:
        notes['cache-path'] = (
            f'cache file {kwargs["cache"]}, from {at("client")} and ' +
            (at('var') if var else 'the current directory'))
    elif client:
        notes['client'] = f'ignored: {at("cache-path")} names the cache file'
    if var is not None and not client:
        notes['var'] = 'ignored without client'
    if 'min-disconnect-poll' in zeoclient:
        notes['disconnect-poll'] = (
            f'{kwargs["disconnect_poll"]:g}s, from '
            f'{at("min-disconnect-poll")}')
    if c.blob_cache_size is not None and kwargs['blob_cache_size'] is None:
        notes['blob-cache-size'] = 'ignored with shared-blob-dir'
    if c.read_only and c.read_only_fallback:
        notes['read-only'] = 'ignored: read-only-fallback is true'
    for key in ('max-disconnect-poll', 'drop-cache-rather-verify',
                'username', 'password', 'realm'):
        if key in zeoclient:
            notes[key] = 'accepted and ignored: current ZEO has no use for it'
    tls = opener.ssl
    if tls is not None and tls.server_hostname is None:
        hostname = kwargs['ssl_server_hostname']
        if hostname:
            ssl_notes['server-hostname'] = (
                f'{hostname} is checked: the host of the server address')
        elif not tls.check_hostname:
            ssl_notes['server-hostname'] = 'no host name is checked'
    return notes, ssl_notes


def describe(opener, url=None, label=None):
    """Everything ``show`` says about one storage, as JSON-able data.

    *url* is the configuration file's URL: origins in it read ``line N``.
    Keys map to ``{'value', 'text', 'origin', 'note'}`` (the shape
    documented in docs/cli.md, where ``text`` is left out of the JSON);
    ``kwargs`` are ClientStorage's keyword arguments.
    """
    kwargs = opener.kwargs()
    resolved = {}
    for name, value in kwargs.items():
        if name == 'ssl':
            value = 'SSLContext' if value is not None else None
        resolved[name] = plain(value)
    notes, ssl_notes = _notes(opener)
    return {
        'label': label or opener.label(),
        'section': opener.name,
        'keys': _rows(opener, url, notes),
        'ssl': _rows(opener.ssl, url, ssl_notes) if opener.ssl else None,
        'kwargs': resolved,
    }


def summary(opener):
    """The cells of one line for people: servers, storage, name (when
    set), TLS and mode."""
    kw = opener.kwargs()
    mode = ('read-only-fallback' if kw['read_only_fallback'] else
            'read-only' if kw['read_only'] else 'read-write')
    cells = [','.join(format_address(a) for a in kw['addr']),
             f'storage={kw["storage"]}']
    if kw['name']:
        cells.append(f'name={kw["name"]}')
    return cells + [f'tls={"on" if opener.ssl is not None else "off"}', mode]


# Control characters in what the tools print: escaped, so that a value (a
# storage name, a label) cannot move the cursor, ring or retitle a
# terminal. New lines and tabs are the output's own.
ESCAPES = {code: f'\\x{code:02x}' for code in
           [*range(0x20), 0x7f, *range(0x80, 0xa0)] if code not in (9, 10)}


def columns(rows):
    """*rows* (lists of cells) as lines of columns, two spaces apart.

    Rows may be shorter than others; the last cell of a row is never
    padded. Cells are escaped before they are measured: an escape is wider
    than the character.
    """
    rows = [[str(cell).translate(ESCAPES) for cell in row] for row in rows]
    count = max(len(row) for row in rows)
    widths = [max((len(row[i]) for row in rows if len(row) > i + 1),
                  default=0) for i in range(count)]
    return ['  '.join([c.ljust(w) for c, w in zip(row[:-1], widths)]
                      + [row[-1]]).rstrip() for row in rows]


def show_lines(item, only_set=False):
    """The lines ``zeoconf show`` prints for one storage (*item* from
    :func:`describe`): its label, then a table of keys, values, origins
    and notes; with *only_set*, keys at their defaults are counted, not
    listed."""
    rows = [[f'  {key}', row['text'], row['origin'], row['note'] or '']
            for key, row in item['keys'].items()]
    if item['ssl'] is not None:
        rows += [[f'  ssl.{key}', row['text'], row['origin'],
                  row['note'] or ''] for key, row in item['ssl'].items()]
    hidden = [row for row in rows if row[2] == 'default' and not row[3]]
    if only_set:
        rows = [row for row in rows if row not in hidden]
    lines = [item['label']]
    if rows:
        lines += columns([['  KEY', 'VALUE', 'FROM', 'NOTE']] + rows)
    if hidden and only_set:
        lines.append(f'  ({len(hidden)} more keys at their defaults)')
    return lines
