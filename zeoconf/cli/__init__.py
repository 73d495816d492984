"""The ``zeoconf`` command: check, show, ping, migrate, demo.

Each command is a module of this package with ``add_arguments(parser)``
and ``run(args, out)``; this one parses the command line and runs it.

``check`` writes its findings, errors included, to standard output, as a
linter does; ``show`` and ``ping`` write their report there and a
configuration they cannot read to standard error. Warnings go to
standard error. Each command's ``--help`` lists its exit codes.
"""

import argparse
import logging
import sys
import textwrap

import zeoconf
from zeoconf.cli import check, common, demo, migrate, ping, show, storages

__all__ = ['main']

# ping keeps its command-line glue here until it has its own.
_EXIT_CODES = {
    'ping': ('every storage has a usable server',
             'a storage none of whose servers is usable, or a file that '
             'cannot be read'),
}


def _epilog(codes):
    ok, failed = codes
    lines = ['exit codes:']
    for code, text in (('0', ok), ('1', failed),
                       ('2', 'wrong command-line usage')):
        wrapped = textwrap.wrap(text, 74)
        lines.append(f'  {code}  {wrapped[0]}')
        lines += [f'     {rest}' for rest in wrapped[1:]]
    return '\n'.join(lines) + '\n'


def cmd_ping(args, out):
    """Probe every server of every storage; a table or JSON."""
    # ZEO's client logs its connection attempts; the report says what
    # matters, so they are not echoed to the terminal.
    logging.getLogger('ZEO').addHandler(logging.NullHandler())
    others = []
    loaded, warnings = common.load(args.file, args.schema)
    found = storages.find(loaded.config, others)
    for message in warnings:
        common.say(f'{args.file}: warning: {message}')
    for label in others:
        common.say(f'{args.file}: {label}: not probed: '
                   f'{storages.other_client(label)}')
    results = ping.ping_storages(found, args.timeout,
                                 progress=common.Escaping(sys.stderr))
    usable = sum(1 for s in results if s['usable'])
    if args.json:
        common.print_json({'format': common.JSON_FORMAT, 'file': args.file,
                           'timeout': args.timeout, 'storages': results,
                           'not_probed': others}, out)
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
        for line in common.columns(rows):
            print(line, file=out)
        print(f'{usable} of {len(results)} storage'
              f'{"" if len(results) == 1 else "s"} usable', file=out)
    elif others:
        print(f'{args.file}: no zeoconf clientstorage; {len(others)} ZEO '
              f'client section{"" if len(others) == 1 else "s"} not probed',
              file=out)
    else:
        print(f'{args.file}: no clientstorage', file=out)
    if others and not results:
        return 1
    return 0 if usable == len(results) else 1


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a number of seconds above zero')
    return value


def _parser():
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog='zeoconf', description='Check, inspect, probe and migrate ZEO '
        'client configurations (%import zeoconf).', epilog=(
            "Each command's --help lists its exit codes; 2 is always wrong\n"
            "command-line usage."), formatter_class=formatter)
    parser.add_argument('--version', action='version',
                        version=f'zeoconf {zeoconf.__version__}')
    commands = parser.add_subparsers(dest='command', required=True,
                                     metavar='COMMAND')

    def command(name, help, description, codes, run):
        sub = commands.add_parser(
            name, help=help, description=textwrap.fill(description, 79),
            epilog=_epilog(codes), formatter_class=formatter)
        sub.set_defaults(run=run)
        return sub

    for module in (check, show, migrate):
        module.add_arguments(command(module.NAME, module.HELP,
                                     module.DESCRIPTION, module.EXIT_CODES,
                                     module.run))

    ping_ = command(
        'ping', 'connect to every configured server and report',
        'Connect to every server of every clientstorage in FILE, all at '
        'once, with the configured TLS; report per server whether it is '
        'usable, read-only or writable, and the round trip of one ZEO '
        'call. Progress goes to standard error.', _EXIT_CODES['ping'],
        cmd_ping)
    ping_.add_argument('file', metavar='FILE', help='a configuration file')
    ping_.add_argument('--schema', help=common.SCHEMA_HELP)
    ping_.add_argument('--timeout', type=_seconds, default=5.0,
                       metavar='S', help='seconds the whole ping may take '
                       '(default 5)')
    ping_.add_argument('--json', action='store_true',
                       help='print JSON (see docs/cli.md for its shape)')

    demo.add_arguments(command(demo.NAME, demo.HELP, demo.DESCRIPTION,
                               demo.EXIT_CODES, demo.run))
    return parser


def main(argv=None, out=None):
    """Run the command line; return the exit code.

    *out* receives the report (standard output by default).
    """
    args = _parser().parse_args(argv)
    stream = out or sys.stdout
    if stream is None:
        common.say('zeoconf: standard output is closed')
        return 1
    if args.command == 'migrate' and not _isatty(stream):
        # The migrated file itself, redirected to a file: byte for byte
        # (a CRLF file stays CRLF). On a terminal it is escaped as all.
        out = stream
    else:
        out = common.Escaping(stream)
    try:
        status = args.run(args, out)
        out.flush()
        return status
    except common.LoadError as e:
        # A file that show or ping cannot read, or a schema that cannot be
        # loaded.
        common.say(e)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `zeoconf show --json f | head`: the reader left; not an error.
        # Nothing more may be written there, not even at exit.
        sys.stdout = None
        return 0
    except OSError as e:
        # Standard output that cannot be written (a full disk, /dev/full).
        common.say(f'zeoconf: cannot write the output: {e.strerror or e}')
        sys.stdout = None
        return 1


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
