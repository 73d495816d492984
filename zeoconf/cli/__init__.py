"""The ``zeoconf`` command: check, show, ping, migrate, demo.

Each command is a module of this package with ``add_arguments(parser)``
and ``run(args, out)``; this one parses the command line and runs it.
Reports go to standard output (``check``'s errors too, as a linter's);
warnings, and a file ``show`` or ``ping`` cannot read, to standard error.
"""

import argparse
import importlib
import sys
import textwrap

import zeoconf
from zeoconf.cli import common

#: The commands, each a module of this package.
COMMANDS = ('check', 'show', 'ping', 'migrate', 'demo')


def _epilog(codes):
    """The exit codes 0 and 1 of *codes*, and 2 (a third of *codes*, or
    wrong usage)."""
    lines = ['exit codes:']
    for code, text in zip('012', [*codes, 'wrong command-line usage']):
        lines += textwrap.wrap(text, 79, initial_indent=f'  {code}  ',
                               subsequent_indent='     ')
    return '\n'.join(lines) + '\n'


def _parser(argv=()):
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

    # Only the command run is imported (all of them for --help): `zeoconf
    # ping`, run every few seconds by monitoring, does not load what
    # migrate and demo import.
    chosen = [argv[0]] if argv and argv[0] in COMMANDS else COMMANDS
    for name in chosen:
        module = importlib.import_module(f'zeoconf.cli.{name}')
        sub = commands.add_parser(
            module.NAME, help=module.HELP,
            description=textwrap.fill(module.DESCRIPTION, 79),
            epilog=_epilog(module.EXIT_CODES), formatter_class=formatter)
        sub.set_defaults(run=module.run)
        module.add_arguments(sub)
    return parser


def main(argv=None, out=None):
    """Run the command line, its report to *out* (by default standard
    output); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser(argv).parse_args(argv)
    except SystemExit as e:
        if e.code != 2:
            raise       # --help, --version
        # A command may say more of its wrong command line (ping: Nagios).
        command = (importlib.import_module(f'zeoconf.cli.{argv[0]}')
                   if argv and argv[0] in COMMANDS else None)
        usage_status = getattr(command, 'usage_status', None)
        return usage_status(argv[1:], out) if usage_status else 2
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
        common.say(e)       # a file or a schema that cannot be read
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
