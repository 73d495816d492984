"""The ``zeoconf`` command: check, show, ping, demo.

Exit codes: 0 when all is well; 1 when a configuration has an error or, for
``ping``, a storage has no usable server; 2 for a usage error.

``check`` writes its findings, errors included, to standard output, as a
linter does; ``show`` and ``ping`` write their report there and a
configuration they cannot read to standard error. Warnings (keys ZEO
ignores, ...) go to standard error. There is no colour: the output is the
same on a terminal and in a pipe.

Nothing here imports ZEO or asyncio at import time: ``check`` and ``show``
never do, ``ping`` and ``demo`` do when they connect.
"""

import argparse
import json
import logging
import os
import sys

__all__ = ['main', 'load']

# Version of the JSON that ``show --json`` and ``ping --json`` print
# (docs/cli.md); raised when a field changes meaning or goes away.
JSON_FORMAT = 1

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
                            'Python (pip install Zope), or give the path '
                            'of a schema file') from None
        # Zope reads its wsgischema.xml with its own parser, which skips
        # the imports of packages that are not installed (tempstorage);
        # ZConfig.loadSchema would fail on them.
        options = ZopeWSGIOptions()
        options.load_schema()
        return options.schema
    import xml.sax
    try:
        return ZConfig.loadSchema(os.path.abspath(name))
    except (ZConfig.ConfigurationError, xml.sax.SAXException, OSError,
            ValueError) as e:
        problem = getattr(e, 'message', None) or e
    except (Exception, SystemExit) as e:
        # What a package the schema imports, or a datatype it names,
        # raises while it is imported (SyntaxError, ImportError, ...).
        problem = f'{type(e).__name__}: {e}'
    raise LoadError(f'{name}: not a usable ZConfig schema: {problem}')


# ZODB's schema does not know these; Zope's does.
_ZOPE_ONLY = ("'instancehome' is not a known key name",
              "unknown type name: 'zodb_db'")


def load(path, schema=None, offline=False):
    """Load *path* with *schema* (a schema object; ZODB's by default).

    Returns a :class:`zeoconf.loader.Loaded` (``config``, ``storages()``,
    ``warnings``). Raises :class:`LoadError` whose text is
    ``FILE:LINE: message``.
    """
    import ZConfig

    from zeoconf import errors, loader
    if schema is None:
        schema = _schema(None)
    try:
        return loader.load_path(path, schema, offline, warnings=True)
    except ZConfig.ConfigurationError as e:
        error = e
    message = errors.describe(error, path)
    # getDbSchema() keeps the one schema it loads.
    if schema is _schema(None) and any(s in message for s in _ZOPE_ONLY):
        message += ' (is this a zope.conf? use --schema zope)'
    raise LoadError(message)


def _table(rows, out):
    """Print *rows* (lists of cells) in columns, two spaces apart.

    Rows may be shorter than others; the last cell of a row is never
    padded.
    """
    count = max(len(row) for row in rows)
    widths = [max((len(str(row[i])) for row in rows if len(row) > i + 1),
                  default=0) for i in range(count)]
    for row in rows:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths)]
        print('  '.join(cells + [str(row[-1])]).rstrip(), file=out)


def _without_text(data):
    """*data* from ``storages.describe`` without the display texts."""
    data = dict(data)
    for part in ('keys', 'ssl'):
        if data[part] is not None:
            data[part] = {key: {k: v for k, v in row.items() if k != 'text'}
                          for key, row in data[part].items()}
    return data


def _print_warnings(path, warnings):
    for message in warnings:
        print(f'{path}: warning: {message}', file=sys.stderr)


# Commands.

def cmd_check(args, out):
    """Parse and validate every file; one line per clientstorage."""
    schema = _schema(args.schema)
    status = 0
    for path in args.files:
        others = []
        try:
            loaded = load(path, schema)
        except LoadError as e:
            print(e, file=out)
            status = 1
            continue
        storages, warnings = loaded.storages(others), loaded.warnings
        _print_warnings(path, warnings)
        count = len(storages)
        line = f'{path}: ok, {count} clientstorage{"" if count == 1 else "s"}'
        if warnings:
            line += (f', {len(warnings)} warning'
                     f'{"" if len(warnings) == 1 else "s"}')
        print(line, file=out)
        if storages:
            _table([['  ' + label] + opener.summary()
                    for label, opener in storages], out)
        for label in others:
            print(f'  {label}: not checked: {_other_client(label)}', file=out)
    return status


def _other_client(label):
    """What a ZEO client section zeoconf does not handle is, and the way
    to zeoconf's (a label from find_storages' *others*)."""
    if label.endswith('<zeoclient>'):
        return ("ZODB's own ZEO client; add %import zeoconf and rename "
                "<zeoclient> to <clientstorage>")
    return ("a ZEO client without zeoconf; write %import zeoconf instead "
            "of %import ZEO")


def cmd_show(args, out):
    """Every key of every clientstorage: value, origin, resolution."""
    from zeoconf import storages
    loaded = load(args.file, _schema(args.schema))
    warnings = loaded.warnings
    data = [storages.describe(opener, loaded.url, label)
            for label, opener in loaded.storages()]
    if args.json:
        json.dump({'format': JSON_FORMAT, 'file': args.file,
                   'warnings': warnings,
                   'storages': [_without_text(item) for item in data]},
                  out, indent=2)
        print(file=out)
        return 0
    _print_warnings(args.file, warnings)
    if not data:
        print(f'{args.file}: no clientstorage', file=out)
    for number, item in enumerate(data):
        if number:
            print(file=out)
        print(item['label'], file=out)
        rows = [[f'  {key}', row['text'], row['origin'], row['note'] or '']
                for key, row in item['keys'].items()]
        if item['ssl'] is not None:
            rows += [[f'  ssl.{key}', row['text'], row['origin'],
                      row['note'] or ''] for key, row in item['ssl'].items()]
        hidden = [row for row in rows if row[2] == 'default' and not row[3]]
        if args.only_set:
            rows = [row for row in rows if row not in hidden]
        if rows:
            _table([['  KEY', 'VALUE', 'FROM', 'NOTE']] + rows, out)
        if hidden and args.only_set:
            print(f'  ({len(hidden)} more keys at their defaults)', file=out)
    return 0


def cmd_ping(args, out):
    """Probe every server of every storage; a table or JSON."""
    from zeoconf import ping

    # ZEO's client logs its connection attempts; the report says what
    # matters, so they are not echoed to the terminal.
    logging.getLogger('ZEO').addHandler(logging.NullHandler())
    others = []
    loaded = load(args.file, _schema(args.schema))
    storages = loaded.storages(others)
    _print_warnings(args.file, loaded.warnings)
    for label in others:
        print(f'{args.file}: {label}: not probed: {_other_client(label)}',
              file=sys.stderr)
    results = ping.ping_storages(storages, args.timeout, progress=sys.stderr)
    usable = sum(1 for s in results if s['usable'])
    if args.json:
        json.dump({'format': JSON_FORMAT, 'file': args.file,
                   'timeout': args.timeout, 'storages': results,
                   'not_probed': others}, out, indent=2)
        print(file=out)
    elif results:
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
        print(f'{usable} of {len(results)} storage'
              f'{"" if len(results) == 1 else "s"} usable', file=out)
    elif others:
        print(f'{args.file}: no zeoconf clientstorage; {len(others)} ZEO '
              f'client section{"" if len(others) == 1 else "s"} not probed',
              file=out)
    else:
        print(f'{args.file}: no clientstorage', file=out)
    if others and not results:
        # ZEO clients were configured and none could be probed: a health
        # check must not read that as "reachable".
        return 1
    return 0 if usable == len(results) else 1


def cmd_demo(args, out):
    """Run the demo of ``make demo``."""
    from zeoconf import demo
    return demo.run(out)


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a number of seconds above zero')
    return value


def _wrap(text):
    import textwrap
    return textwrap.fill(text, 79)


def _parser():
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog='zeoconf', description='Check, inspect and probe ZEO client '
        'configurations (%import zeoconf).', epilog=EPILOG,
        formatter_class=formatter)
    from zeoconf import __version__
    parser.add_argument('--version', action='version',
                        version=f'zeoconf {__version__}')
    commands = parser.add_subparsers(dest='command', required=True,
                                     metavar='COMMAND')
    schema_help = ('schema to read the files with: zodb (ZODB.config, the '
                   'default), zope (Zope\'s zope.conf) or a schema file')

    check = commands.add_parser(
        'check', help='parse and validate configuration files',
        description=_wrap('Parse each FILE as ZODB.config (or Zope, or '
                          'the given schema) would; print FILE:LINE: '
                          'message for an error, else one line per '
                          'clientstorage.'), epilog=EPILOG,
        formatter_class=formatter)
    check.add_argument('files', nargs='+', metavar='FILE',
                       help='configuration files')
    check.add_argument('--schema', default='zodb', help=schema_help)
    check.set_defaults(run=cmd_check)

    show = commands.add_parser(
        'show', help='every resolved value of every clientstorage and '
        'where it came from', description=_wrap(
            'Every key of every clientstorage in FILE: its value, the line '
            'that set it (or "default"), and how it resolves when '
            'ClientStorage gets something else. Passwords are never '
            'shown.'), epilog=EPILOG,
        formatter_class=formatter)
    show.add_argument('file', metavar='FILE', help='a configuration file')
    show.add_argument('--schema', default='zodb', help=schema_help)
    show.add_argument('--json', action='store_true',
                      help='print JSON (see docs/cli.md for its shape)')
    show.add_argument('--only-set', action='store_true',
                      help='leave out keys at their defaults (the table '
                           'only: --json always has every key)')
    # Every key is shown by default now; --all stays accepted.
    show.add_argument('--all', action='store_true', help=argparse.SUPPRESS)
    show.set_defaults(run=cmd_show)

    ping_ = commands.add_parser(
        'ping', help='connect to every configured server and report',
        description=_wrap(
            'Connect to every server of every clientstorage in FILE, all at '
            'once, with the configured TLS; report per server whether it '
            'is usable, read-only or writable, and the round trip of one '
            'ZEO call. Progress goes to standard error. Exit 0 only when '
            'every storage has a usable server.'), epilog=EPILOG,
        formatter_class=formatter)
    ping_.add_argument('file', metavar='FILE', help='a configuration file')
    ping_.add_argument('--schema', default='zodb', help=schema_help)
    ping_.add_argument('--timeout', type=_seconds, default=5.0,
                       metavar='S', help='seconds the whole ping may take '
                       '(default 5)')
    ping_.add_argument('--json', action='store_true',
                       help='print JSON (see docs/cli.md for its shape)')
    ping_.set_defaults(run=cmd_ping)

    demo = commands.add_parser(
        'demo', help='run a throwaway ZEO server (plain and TLS) and use it '
        'through zeoconf configurations', description=_wrap(
            'Start a throwaway ZEO server on a temporary FileStorage with '
            'blobs, over plain TCP and then over TLS with throwaway '
            'certificates (needs trustme: pip install zeoconf[test]); open '
            'it twice through zeoconf configurations with ZODB.config, '
            'write through one client and read through the other; remove '
            'everything it started.'), epilog=EPILOG,
        formatter_class=formatter)
    demo.set_defaults(run=cmd_demo)
    return parser


def main(argv=None, out=None):
    """Run the command line; return the exit code.

    *out* receives the report (standard output by default).
    """
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    try:
        return args.run(args, out)
    except LoadError as e:
        # check prints its errors itself; this is a file that show or ping
        # cannot read, or a schema that cannot be loaded.
        print(e, file=out if args.command == 'check' else sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `zeoconf show --json f | head`: the reader left; not an error.
        sys.stdout = None
        return 0
