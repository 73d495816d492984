"""``zeoconf show``: every resolved value of every clientstorage, where
it came from and how it resolves; secrets never shown."""

import os

from zeoconf import datatypes, keys, loader, openers
from zeoconf.cli import common, storages
from zeoconf.cli.scanner import Scans, fed, references

NAME = 'show'
HELP = ('every resolved value of every clientstorage and where it came '
        'from')
DESCRIPTION = (
    'Every key of every clientstorage in FILE: its value, the line that '
    'set it (or "default"), and how it resolves when ClientStorage gets '
    'something else. Passwords are never shown.')
EXIT_CODES = ('the file was read',
              'the file has an error, printed as FILE:LINE: message')

# Keys that do nothing unless written: left out when they were not.
_UNLESS_WRITTEN = frozenset({'client', 'var', 'wait', 'min-disconnect-poll',
                             *openers.IGNORED_KEYS})
# Datatypes of keys whose values are paths.
_PATHS = frozenset({'existing_file', 'existing_path', 'existing_directory',
                    'directory_path', 'file_in_existing_directory',
                    'path_text'})


def add_arguments(parser):
    parser.add_argument('file', metavar='FILE', help='a configuration file')
    parser.add_argument('--schema', help=common.SCHEMA_HELP)
    parser.add_argument('--json', action='store_true',
                        help='print JSON (see docs/cli.md for its shape)')
    parser.add_argument('--only-set', action='store_true',
                        help='leave out keys at their defaults (the table '
                             'only: --json has every key that applies)')
    common.add_offline_argument(parser)
    common.add_env_file_argument(parser)


def run(args, out):
    values = common.read_env_file(args.env_file)
    scans = Scans()
    with common.environment(values):
        text, schema, _ = common.read(args.file, args.schema, args.offline,
                                      scans=scans)
        loaded, warnings = common.load(text, schema, args.file, scans=scans)
        data = [describe(opener, loaded, label, text=not args.json)
                for label, opener in storages.find(loaded.config)]
        used = variables(loaded, values, scans)
    if args.json:
        common.print_json({
            'format': common.JSON_FORMAT, 'file': args.file,
            'offline': args.offline, 'env_file': args.env_file,
            'warnings': warnings, 'variables': used,
            'storages': data}, out)
        return 0
    for message in warnings:
        common.say(f'{args.file}: warning: {message}')
    blocks = ([show_lines(item, args.only_set) for item in data]
              or [[f'{args.file}: no clientstorage']])
    if used:
        blocks.append(variable_lines(used, args.env_file))
    print('\n\n'.join('\n'.join(block) for block in blocks), file=out)
    if args.offline:
        print(f'({common.OFFLINE_NOTE})', file=out)
    return 0


def variables(loaded, env_values, scans=None):
    """The environment variables the files read use: ``[{'name', 'set',
    'from', 'secret', 'value', 'lines'}]``; no ``value`` for one that feeds
    a secret key, directly or through ``%define``s. Called with the
    variables of the env file set. *scans*: the
    ``zeoconf.cli.scanner.Scans`` of the command run, or None."""
    found = {}
    scans = Scans() if scans is None else scans
    by_url = {url: scans[text] for url, text in loaded.loader.texts.items()}
    for url, scanned in by_url.items():
        for line in scanned.lines:
            for name in references(line)[1]:
                source = ('env-file' if name in env_values else
                          'environment' if name in os.environ else None)
                entry = found.setdefault(name, {
                    'name': name, 'set': source is not None, 'from': source,
                    'secret': False, 'value': os.environ.get(name),
                    'lines': []})
                entry['lines'].append(loader.where(line.number, url,
                                                   loaded.url))
    _, secret = fed((line for scanned in by_url.values()
                     for line in scanned.lines), _secret)
    for name in secret:
        found[name].update(secret=True, value=None)
    return list(found.values())


def _secret(line):
    return line.kind == 'key' and keys.secret_key(line.name) is not None


def variable_lines(used, env_file=None):
    """The lines ``show`` prints for the variables of :func:`variables`."""
    where = {'env-file': env_file or 'env file',
             'environment': 'environment', None: 'not set'}
    rows = [['  NAME', 'FROM', 'VALUE', 'USED AT']]
    for item in used:
        if item['secret'] and item['set']:
            value = '(feeds a secret: not shown)'
        elif item['value'] is None:
            value = '-'
        else:
            value = repr(item['value'])
        rows.append([f'  {item["name"]}', where[item['from']], value,
                     ', '.join(item['lines'])])
    return ['environment variables'] + common.columns(rows)


def _rows(section, opener, loaded, notes, text, prefix=''):
    """``{key: {'value', 'origin', 'note'}}`` for one section, and the
    ``text`` shown with *text*; the notes of ``<ssl>`` are *prefix*ed."""
    rows = {}
    positions = loaded.loader.positions(section)
    for key, info in section.getSectionDefinition():
        lines = positions.get(key)
        if (not key or info.issection()
                or key in _UNLESS_WRITTEN and not lines):
            continue
        value = getattr(section, info.attribute)
        if key == 'disconnect-poll':
            value = opener.disconnect_poll
        elif key == 'server':
            value = opener.addresses
        datatype = getattr(info.datatype, 'datatype', None)
        note = notes.get(prefix + key)
        paths = value if isinstance(value, list) else [value]
        relative = [p for p in paths if (datatype in _PATHS or key == 'server')
                    and isinstance(p, str) and p and not os.path.isabs(p)]
        if relative and note is None:
            note = (f'relative: {os.path.abspath(relative[0])} from this '
                    f'working directory')
        origin = ', '.join(loader.where(n, url, loaded.url)
                           for n, url in lines or ())
        rows[key] = {'value': storages.plain(value),
                     'origin': origin or 'default', 'note': note}
        if text:
            rows[key]['text'] = datatypes.format_value(value, datatype)
    return rows


def _notes(opener):
    """``{key: note}``: how keys resolve when ClientStorage gets something
    else (what the warnings say is not said again: an ignored key's note
    points at its warning, which says why); ``ssl.KEY`` for the keys of
    ``<ssl>``."""
    c, kwargs = opener.config, opener.kwargs()
    # Written, each is warned of (openers.IGNORED_KEYS); unwritten, no row.
    notes = dict.fromkeys(openers.IGNORED_KEYS, 'ignored (see the warning)')
    if c.client and c.cache_path is None:
        notes['cache-path'] = (
            f'cache file {kwargs["cache"]}, from client and ' +
            ('var' if c.var else 'the current directory'))
    if c.min_disconnect_poll is not None:
        notes['disconnect-poll'] = (
            f'{kwargs["disconnect_poll"]:g}s, from min-disconnect-poll')
    if c.read_only and c.read_only_fallback:
        notes['read-only'] = 'ignored: read-only-fallback is true'
    tls = opener.ssl
    if tls is not None and tls.server_hostname is None:
        notes['ssl.server-hostname'] = (
            'each server is checked against the host of its address'
            if tls.check_hostname else 'no host name is checked')
    return notes


def describe(opener, loaded, label=None, text=True):
    """Everything ``show`` says about one storage, as JSON-able data
    (docs/cli.md); *text*: with the text :func:`show_lines` shows."""
    resolved = {name: storages.plain(value)
                for name, value in opener.kwargs().items()}
    if resolved['ssl'] is not None:
        resolved['ssl'] = 'SSLContext'
    notes, tls = _notes(opener), opener.ssl
    return {
        'label': label or opener.label(),
        'section': opener.name,
        'keys': _rows(opener.config, opener, loaded, notes, text),
        'ssl': (_rows(tls.config, tls, loaded, notes, text, 'ssl.')
                if tls is not None else None),
        'kwargs': resolved,
    }


def show_lines(item, only_set=False):
    """The lines ``show`` prints for *item* from :func:`describe`; with
    *only_set*, keys at their defaults are counted, not listed."""
    parts = [('', item['keys']), ('ssl.', item['ssl'] or {})]
    rows = [[f'  {prefix}{key}', row['text'], row['origin'],
             row['note'] or '']
            for prefix, part in parts for key, row in part.items()]
    hidden = [row for row in rows if row[2] == 'default' and not row[3]]
    if only_set:
        rows = [row for row in rows if row not in hidden]
    lines = [item['label']]
    if rows:
        lines += common.columns([['  KEY', 'VALUE', 'FROM', 'NOTE']] + rows)
    if hidden and only_set:
        lines.append(f'  ({len(hidden)} more keys at their defaults)')
    return lines
