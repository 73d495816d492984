"""The ``zeoconf`` command: check, show, ping, demo.

Exit codes: 0 when all is well; 1 when a configuration has an error or, for
``ping``, a storage has no usable server; 2 for a usage error.

Nothing here imports ZEO or asyncio at import time: ``check`` and ``show``
never do, ``ping`` and ``demo`` do when they connect.
"""

import argparse
import json
import os
import sys

from zeoconf.datatypes import format_address

__all__ = ['main', 'load', 'find_storages', 'describe_storage']

EPILOG = """\
exit codes:
  0  every file is valid (check, show), every storage has a usable server
     (ping), the demo ran (demo)
  1  a configuration error, printed as FILE:LINE: message; or, for ping, a
     storage none of whose servers is usable
  2  wrong command-line usage
"""


class LoadError(Exception):
    """A configuration that cannot be loaded; ``str`` is FILE:LINE: text."""


# Loading.

def _schema(name):
    """The ZConfig schema for ``--schema`` (zodb, zope or a path)."""
    import ZConfig
    if name in (None, 'zodb'):
        import ZODB.config
        return ZODB.config.getDbSchema()
    if name == 'zope':
        try:
            from Zope2.Startup.options import ZopeWSGIOptions
        except ImportError:
            raise LoadError('--schema zope needs Zope installed in this '
                            'Python (pip install Zope)') from None
        # Zope loads its schema with its own parser (conditional imports).
        options = ZopeWSGIOptions()
        options.load_schema()
        return options.schema
    try:
        return ZConfig.loadSchema(os.path.abspath(name))
    except ZConfig.ConfigurationError as e:
        raise LoadError(f'{name}: not a usable ZConfig schema: {e}') from None


def load(path, schema=None):
    """Parse *path* with *schema* (a schema object); return the config.

    Raises :class:`LoadError` with a ``FILE:LINE: message`` text.
    """
    import ZConfig

    from zeoconf.errors import describe, from_directive, located
    if schema is None:
        schema = _schema(None)
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError(f'{path}: cannot read: {e}') from None
    url = 'file://' + os.path.abspath(path)
    try:
        config, _ = ZConfig.loadConfigFile(schema, _Text(text), url)
    except ZConfig.ConfigurationError as e:
        raise LoadError(describe(from_directive(located(e), text, url),
                                 path)) from None
    except (ValueError, LookupError, OSError, TypeError) as e:
        # ZConfig lets some directive errors escape as these.
        raise LoadError(describe(from_directive(e, text, url), path)) \
            from None
    return config


def _Text(text):
    import io
    return io.StringIO(text)


def find_storages(config):
    """``[(label, ClientStorageOpener)]`` for every clientstorage, in order.

    The label names the enclosing named sections too, as in
    ``<zodb main> <clientstorage> for zeo1:8100``.
    """
    from ZConfig.matcher import SectionValue

    from zeoconf.openers import ClientStorageOpener
    found, seen = [], set()

    def walk(value, where):
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, ClientStorageOpener):
            found.append((f'{where} {value.label()}'.strip(), value))
        elif isinstance(value, SectionValue):
            name = value.getSectionName()
            if name and value.getSectionType() != 'clientstorage':
                where = f'{where} <{value.getSectionType()} {name}>'.strip()
            for attribute in value.getSectionAttributes():
                walk(getattr(value, attribute, None), where)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, where)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, where)
        elif isinstance(getattr(value, 'config', None), SectionValue):
            walk(value.config, where)   # ZODB's and Zope's section objects

    walk(config, '')
    return found


# Describing.

def _plain(value):
    """A converted value as JSON-able data, secrets hidden."""
    from zeoconf.keys import Secret
    if isinstance(value, Secret):
        return '<redacted>'
    if isinstance(value, tuple) and len(value) == 2:
        return format_address(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if callable(value):
        return f'{value.__module__}.{value.__qualname__}'
    return value


def _keys(section, url):
    """``{key: {'value': ..., 'origin': ...}}`` for one section.

    The origin is ``default``, ``line N`` for a line of the file at *url*,
    or ``FILE:N`` for a line of an included file.
    """
    from zeoconf.errors import _file_of
    rows = {}
    definition = section.config.getSectionDefinition()
    for key, info in definition:
        if not key or info.issection():
            continue
        value = getattr(section.config, info.attribute)
        lines = section.positions.get(key)
        if lines:
            origin = ', '.join(
                f'line {p.lineno}' if p.url == url else
                f'{_file_of(p.url) or "<config>"}:{p.lineno}' for p in lines)
        else:
            origin = 'default'
        rows[key] = {'value': _plain(value), 'origin': origin}
    return rows


def describe_storage(opener, url=None, label=None):
    """Everything ``show`` says about one storage, as JSON-able data.

    *url* is the configuration file's URL: origins in it read ``line N``.
    """
    kwargs = opener.kwargs()
    resolved = {}
    for name, value in kwargs.items():
        if name == 'ssl':
            value = 'SSLContext' if value is not None else None
        resolved[name] = _plain(value)
    return {
        'label': label or opener.label(),
        'section': opener.name,
        'keys': _keys(opener, url),
        'ssl': _keys(opener.ssl, url) if opener.ssl else None,
        'kwargs': resolved,
    }


def _summary_line(label, opener):
    kwargs = opener.kwargs()
    servers = ','.join(format_address(a) for a in kwargs['addr'])
    mode = ('read-only-fallback' if kwargs['read_only_fallback'] else
            'read-only' if kwargs['read_only'] else 'read-write')
    return [label, servers, f'storage={kwargs["storage"]}',
            f'tls={"on" if kwargs["ssl"] else "off"}', mode]


def _table(rows, out):
    widths = [max(len(str(row[i])) for row in rows)
              for i in range(len(rows[0]))]
    for row in rows:
        cells = [str(c).ljust(w) for c, w in zip(row, widths)]
        print('  '.join(cells).rstrip(), file=out)


# Commands.

def cmd_check(args, out):
    schema = _schema(args.schema)
    status = 0
    for path in args.files:
        try:
            storages = find_storages(load(path, schema))
        except LoadError as e:
            print(e, file=out)
            status = 1
            continue
        print(f'{path}: ok, {len(storages)} clientstorage'
              f'{"" if len(storages) == 1 else "s"}', file=out)
        if storages:
            _table([['  ' + row[0]] + row[1:]
                    for row in (_summary_line(*s) for s in storages)], out)
    return status


def cmd_show(args, out):
    # A LoadError is printed by main(), with exit code 1.
    storages = find_storages(load(args.file, _schema(args.schema)))
    url = 'file://' + os.path.abspath(args.file)
    data = [describe_storage(opener, url, label)
            for label, opener in storages]
    if args.json:
        json.dump({'file': args.file, 'storages': data}, out, indent=2)
        print(file=out)
        return 0
    for item in data:
        print(item['label'], file=out)
        rows = [[f'  {key}', json.dumps(row['value']), row['origin']]
                for key, row in item['keys'].items()]
        if item['ssl'] is not None:
            rows += [[f'  ssl.{key}', json.dumps(row['value']),
                      row['origin']] for key, row in item['ssl'].items()]
        hidden = [row for row in rows if row[2] == 'default']
        if not args.all:
            rows = [row for row in rows if row[2] != 'default']
        if rows:
            _table(rows, out)
        if hidden and not args.all:
            print(f'  ({len(hidden)} more keys at their defaults; --all '
                  f'shows them)', file=out)
        print(file=out)
    return 0


def cmd_ping(args, out):
    from zeoconf import ping
    storages = find_storages(load(args.file, _schema(args.schema)))
    results = ping.ping_storages(storages, args.timeout, progress=sys.stderr)
    if args.json:
        json.dump({'file': args.file, 'storages': results}, out, indent=2)
        print(file=out)
    else:
        rows = [['STORAGE', 'SERVER', 'STATUS', 'MODE', 'LATENCY', 'DETAIL']]
        for storage in results:
            for server in storage['servers']:
                latency = server['latency_ms']
                rows.append([
                    storage['label'], server['server'], server['status'],
                    server['mode'] or '-',
                    f'{latency:.1f}ms' if latency is not None else '-',
                    server['detail'] or ''])
        _table(rows, out)
    return 0 if all(s['usable'] for s in results) else 1


def cmd_demo(args, out):
    from zeoconf import demo
    return demo.run(out)


def _parser():
    parser = argparse.ArgumentParser(
        prog='zeoconf', description='Check, inspect and probe ZEO client '
        'configurations (%%import zeoconf).', epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    from zeoconf import __version__
    parser.add_argument('--version', action='version',
                        version=f'zeoconf {__version__}')
    commands = parser.add_subparsers(dest='command', required=True)
    schema_help = ('schema to read the files with: zodb (ZODB.config, the '
                   'default), zope (Zope\'s zope.conf) or a schema file')

    check = commands.add_parser(
        'check', help='parse and validate configuration files',
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument('files', nargs='+', metavar='FILE')
    check.add_argument('--schema', default='zodb', help=schema_help)
    check.set_defaults(run=cmd_check)

    show = commands.add_parser(
        'show', help='every resolved value of every clientstorage and '
        'where it came from', epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument('file', metavar='FILE')
    show.add_argument('--schema', default='zodb', help=schema_help)
    show.add_argument('--json', action='store_true',
                      help='print JSON (always with every key)')
    show.add_argument('--all', action='store_true',
                      help='list keys left at their defaults too')
    show.set_defaults(run=cmd_show)

    ping_ = commands.add_parser(
        'ping', help='connect to every configured server and report',
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ping_.add_argument('file', metavar='FILE')
    ping_.add_argument('--schema', default='zodb', help=schema_help)
    ping_.add_argument('--timeout', type=float, default=5.0, metavar='S',
                       help='seconds to wait for each server (default 5)')
    ping_.add_argument('--json', action='store_true', help='print JSON')
    ping_.set_defaults(run=cmd_ping)

    demo = commands.add_parser(
        'demo', help='run a throwaway ZEO server (plain and TLS) and use it '
        'through zeoconf configurations')
    demo.set_defaults(run=cmd_demo)
    return parser


def main(argv=None, out=None):
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    try:
        return args.run(args, out)
    except LoadError as e:
        print(e, file=out)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `zeoconf show --json f | head`: the reader left; not an error.
        sys.stdout = None
        return 0
