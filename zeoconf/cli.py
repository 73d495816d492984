"""The ``zeoconf`` command: check, show, ping, migrate, demo.

Arguments and output only: loading is :mod:`zeoconf.loader` and
:mod:`zeoconf.lint`, what is said of a storage :mod:`zeoconf.storages`,
the rest ``ping``, ``migrate`` and ``demo``.

``check`` writes its findings, errors included, to standard output, as a
linter does; ``show`` and ``ping`` write their report there and a
configuration they cannot read to standard error. Warnings (keys ZEO
ignores, ...) go to standard error. There is no colour, and control
characters in values are written escaped (``\\x1b``), so that a value
cannot drive the terminal. Each subcommand's ``--help`` lists its exit
codes.

Nothing here imports ZEO or asyncio at import time: ``check`` and ``show``
never do, ``ping``, ``migrate`` and ``demo`` do when they need to.
"""

import argparse
import json
import sys

from zeoconf.storages import ESCAPES

__all__ = ['main']

# Version of the JSON that ``check``, ``show`` and ``ping`` print with
# --json (docs/cli.md); raised when a field changes meaning or goes away.
JSON_FORMAT = 1

EXIT_CODES = {
    'check': ('every file is valid',
              'a file has a problem, printed as FILE:LINE: message'),
    'show': ('the file was read',
             'the file has an error, printed as FILE:LINE: message'),
    'ping': ('every storage has a usable server',
             'a storage none of whose servers is usable (2: the file '
             'cannot be read)'),
    'migrate': ('migrated (or nothing to migrate), and both versions '
                'resolve to the same ClientStorage arguments',
                'the original does not parse, the result does not, or they '
                'differ in a way that is not explained'),
    'demo': ('the demo ran', 'it failed'),
}


def _epilog(command):
    ok, failed = EXIT_CODES[command]
    import textwrap
    lines = ['exit codes:']
    for code, text in (('0', ok), ('1', failed),
                       ('2', 'wrong command-line usage')):
        wrapped = textwrap.wrap(text, 74)
        lines.append(f'  {code}  {wrapped[0]}')
        lines += [f'     {rest}' for rest in wrapped[1:]]
    return '\n'.join(lines) + '\n'


class LoadError(Exception):
    """A configuration that cannot be loaded; ``str`` is FILE:LINE: text,
    ``message`` the text alone and ``line`` the line (None when none)."""

    def __init__(self, text, message=None, line=None):
        super().__init__(text)
        self.message = text if message is None else message
        self.line = line


def _load_error(error, path):
    """A :class:`LoadError` for a ``ZConfig.ConfigurationError`` met
    while *path* was read."""
    from zeoconf import errors
    message = getattr(error, 'message', None) or str(error)
    line = getattr(error, 'lineno', None) or None
    if line is None and message.startswith((f'{path} ', f'{path}: ')):
        # The message names the file already (loader.read_text's).
        return LoadError(message, message, None)
    return LoadError(errors.describe(error, path), message, line)


class _Escaping:
    """A text stream that writes control characters escaped."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        return self.stream.write(text.translate(ESCAPES))

    def flush(self):
        flush = getattr(self.stream, 'flush', None)
        if flush is not None:
            flush()


def _say(text):
    """A line on standard error, escaped."""
    print(str(text).translate(ESCAPES), file=sys.stderr)


# Loading.

def _read_with_schema(path, name):
    """``(schema, note)`` for the file at *path* and ``--schema`` *name*
    (see :func:`zeoconf.schemas.choose`)."""
    import ZConfig

    from zeoconf import loader, schemas
    try:
        text = loader.read_text(path) if name is None else ''
        return schemas.choose(name, text)
    except ZConfig.ConfigurationError as e:
        if getattr(e, 'url', None) is None:
            raise LoadError(e.message) from None    # the schema's own
        raise _load_error(e, path) from None


def load(path, name=None, offline=False):
    """Load *path*; *name* is ``--schema`` (None: by what the file reads
    like). Returns a :class:`zeoconf.loader.Loaded` (``config``,
    ``storages()``, ``warnings``). Raises :class:`LoadError` whose text is
    ``FILE:LINE: message``.
    """
    import ZConfig

    from zeoconf import loader
    schema, note = _read_with_schema(path, name)
    if note:
        _say(f'{path}: {note}')
    try:
        return loader.load_path(path, schema, offline, warnings=True)
    except ZConfig.ConfigurationError as e:
        error = _load_error(e, path)
    except Exception as e:
        # Not the promised ConfigurationError: a bug, said as one.
        from zeoconf.errors import internal_error
        error = LoadError(f'{path}: {internal_error(e)}')
    raise error


def _table(rows, out):
    """Print *rows* (lists of cells) in columns (``storages.columns``)."""
    from zeoconf.storages import columns
    for line in columns(rows):
        print(line, file=out)


def _without_text(data):
    """*data* from ``storages.describe`` without the display texts."""
    data = dict(data)
    for part in ('keys', 'ssl'):
        if data[part] is not None:
            data[part] = {key: {k: v for k, v in row.items() if k != 'text'}
                          for key, row in data[part].items()}
    return data


def _print_json(data, out):
    """*data* as indented JSON and a new line, written at once (JSON
    escapes control characters itself)."""
    out.write(json.dumps(data, indent=2) + '\n')


def _print_warnings(path, warnings):
    for message in warnings:
        _say(f'{path}: warning: {message}')


# Commands.

# What --offline leaves out, as check --json lists it.
OFFLINE_LEFT_OUT = ('tls-files', 'cache-path', 'blob-dir', 'var',
                    'password-function')

_OFFLINE_NOTE = ('offline: not looked at on this machine: the TLS files '
                 '(certificate, key, authenticate), the cache-path, '
                 'blob-dir and var directories, the password-function '
                 '(not imported); every value was converted and every rule '
                 'across keys checked')


def cmd_check(args, out):
    """Every problem of every file; one line per clientstorage."""
    from zeoconf import lint, storages
    status, documents = 0, []
    for path in args.files:
        try:
            schema, note = _read_with_schema(path, args.schema)
        except LoadError as e:
            if not args.json:
                print(e, file=out)
            documents.append({
                'file': path, 'schema': None, 'problems': [
                    {'file': path, 'line': e.line, 'key': None,
                     'message': e.message}],
                'more': False, 'warnings': [], 'notes': [], 'storages': [],
                'not_checked': []})
            status = 1
            continue
        if note:
            _say(f'{path}: {note}')
        report = lint.check(path, schema, args.offline)
        # After a problem, what parsed is the file with the lines at fault
        # read as blank (a bad server as a stand-in): not the file's
        # storages.
        loaded = None if report.problems else report.loaded
        others = []
        found = loaded.storages(others) if loaded else []
        warnings = loaded.warnings if loaded else []
        if report.problems:
            status = 1
        if args.json:
            documents.append({
                'file': path, 'schema': note,
                'problems': [p.data(path) for p in report.problems],
                'more': report.more, 'warnings': warnings,
                'notes': [n.data(path) for n in report.notes],
                'storages': [{'label': label,
                              'summary': storages.summary(opener)}
                             for label, opener in found],
                'not_checked': others})
            continue
        for problem in report.problems:
            print(problem.text(path), file=out)
        for note in report.notes:
            _say(note.text(path).replace(': ', ': warning: ', 1))
        if report.more:
            print(f'{path}: stopped after {len(report.problems)} problems; '
                  f'fix these and run check again', file=out)
        if report.problems:
            continue
        _print_warnings(path, warnings)
        count = len(found)
        line = f'{path}: ok, {count} clientstorage{"" if count == 1 else "s"}'
        if warnings:
            line += (f', {len(warnings)} warning'
                     f'{"" if len(warnings) == 1 else "s"}')
        print(line, file=out)
        if found:
            _table([['  ' + label] + storages.summary(opener)
                    for label, opener in found], out)
        for label in others:
            print(f'  {label}: not checked: {_other_client(label)}', file=out)
        if args.offline:
            print(f'  ({_OFFLINE_NOTE})', file=out)
    if args.json:
        _print_json({'format': JSON_FORMAT, 'offline': args.offline,
                     'left_out': list(OFFLINE_LEFT_OUT) if args.offline
                     else [], 'files': documents}, out)
    return status


def _other_client(label):
    """What a ZEO client section zeoconf does not handle is, and the way
    to zeoconf's (a label from ``storages.find``'s *others*)."""
    if label.endswith('<zeoclient>'):
        return ("ZODB's own ZEO client; run zeoconf migrate, or add "
                "%import zeoconf and rename <zeoclient> to <clientstorage>")
    return ("a ZEO client without zeoconf; run zeoconf migrate, or write "
            "%import zeoconf instead of %import ZEO")


def cmd_show(args, out):
    """Every key of every clientstorage: value, origin, resolution."""
    from zeoconf import storages
    loaded = load(args.file, args.schema, args.offline)
    warnings = loaded.warnings
    data = [storages.describe(opener, loaded.url, label)
            for label, opener in loaded.storages()]
    if args.json:
        _print_json({'format': JSON_FORMAT, 'file': args.file,
                     'offline': args.offline, 'warnings': warnings,
                     'storages': [_without_text(item) for item in data]},
                    out)
        return 0
    _print_warnings(args.file, warnings)
    if not data:
        print(f'{args.file}: no clientstorage', file=out)
    for number, item in enumerate(data):
        if number:
            print(file=out)
        for line in storages.show_lines(item, args.only_set):
            print(line, file=out)
    if args.offline:
        print(f'({_OFFLINE_NOTE})', file=out)
    return 0


def cmd_ping(args, out):
    """Probe every server of every storage (:mod:`zeoconf.ping`)."""
    from zeoconf import ping
    return ping.run(args, out)


def cmd_migrate(args, out):
    """Migrate a file from ``%import ZEO``/``<zeoclient>`` to zeoconf."""
    from zeoconf import migrate
    return migrate.run(args.file, args.schema, args.write, out=out,
                       err=_Escaping(sys.stderr))


def cmd_demo(args, out):
    """Run the demo of ``make demo``."""
    from zeoconf import demo
    return demo.run(out)


def _wrap(text):
    import textwrap
    return textwrap.fill(text, 79)


def _parser():
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog='zeoconf', description='Check, inspect, probe and migrate ZEO '
        'client configurations (%import zeoconf).', epilog=(
            "Each command's --help lists its exit codes; 2 is always wrong\n"
            "command-line usage."), formatter_class=formatter)
    from zeoconf import __version__
    parser.add_argument('--version', action='version',
                        version=f'zeoconf {__version__}')
    commands = parser.add_subparsers(dest='command', required=True,
                                     metavar='COMMAND')
    schema_help = ('schema to read the files with: zodb (ZODB.config), '
                   'zope (Zope\'s zope.conf) or a schema file; by default a '
                   'file with <zodb_db> or instancehome is read as a '
                   'zope.conf, any other as a zodb.conf')

    def command(name, help, description, run):
        sub = commands.add_parser(name, help=help,
                                  description=_wrap(description),
                                  epilog=_epilog(name),
                                  formatter_class=formatter)
        sub.set_defaults(run=run)
        return sub

    check = command(
        'check', 'parse and validate configuration files',
        'Parse each FILE as ZODB.config (or Zope, or the given schema) '
        'would and report every problem, in line order, as FILE:LINE: '
        'message (at most 50 a file); a valid file gets one line per '
        'clientstorage.', cmd_check)
    check.add_argument('files', nargs='+', metavar='FILE',
                       help='configuration files')
    check.add_argument('--schema', help=schema_help)
    check.add_argument('--json', action='store_true',
                       help='print JSON (see docs/cli.md for its shape)')
    check.add_argument('--offline', action='store_true',
                       help='review a configuration meant for another '
                            'machine: convert every value and check every '
                            'rule, but look at nothing on this one (TLS '
                            'files, cache and blob paths, password '
                            'functions)')

    show = command(
        'show', 'every resolved value of every clientstorage and where it '
        'came from', 'Every key of every clientstorage in FILE: its value, '
        'the line that set it (or "default"), and how it resolves when '
        'ClientStorage gets something else. Passwords are never shown.',
        cmd_show)
    show.add_argument('file', metavar='FILE', help='a configuration file')
    show.add_argument('--schema', help=schema_help)
    show.add_argument('--json', action='store_true',
                      help='print JSON (see docs/cli.md for its shape)')
    show.add_argument('--only-set', action='store_true',
                      help='leave out keys at their defaults (the table '
                           'only: --json always has every key)')
    show.add_argument('--offline', action='store_true',
                      help='look at nothing on this machine (see check)')
    # Every key is shown by default now; --all stays accepted.
    show.add_argument('--all', action='store_true', help=argparse.SUPPRESS)

    ping_ = command(
        'ping', 'connect to every configured server and report',
        'Connect to every server of every clientstorage in FILE, all at '
        'once, with the configured TLS; report per server whether it is '
        'usable, read-only or writable, and the round trip of one ZEO '
        'call, as a table, JSON, a Nagios plugin or Prometheus metrics. '
        'Progress goes to standard error.', cmd_ping)
    from zeoconf import ping
    ping.add_arguments(ping_, schema_help)

    migrate = command(
        'migrate', 'move a file from %%import ZEO or <zeoclient> to zeoconf',
        'Turn %import ZEO into %import zeoconf and <zeoclient> into '
        '<clientstorage>, keeping every other line; drop username, '
        'password and realm (ZEO ignores them). Parse the original with '
        'its own component and the result with zeoconf, and say on '
        'standard error whether both resolve to the same ClientStorage '
        'arguments. See docs/migrate.md.', cmd_migrate)
    migrate.add_argument('file', metavar='FILE', help='a configuration file')
    migrate.add_argument('--schema', help=schema_help)
    migrate.add_argument('--write', action='store_true',
                         help='replace FILE, keeping the original as '
                              'FILE.orig (default: print the result)')

    command(
        'demo', 'run a throwaway ZEO server (plain and TLS) and use it '
        'through zeoconf configurations',
        'Start a throwaway ZEO server on a temporary FileStorage with '
        'blobs, over plain TCP and then over TLS with throwaway '
        'certificates (needs trustme: pip install zeoconf[test]); open it '
        'twice through zeoconf configurations with ZODB.config, write '
        'through one client and read through the other; remove everything '
        'it started.', cmd_demo)
    return parser


def main(argv=None, out=None):
    """Run the command line; return the exit code.

    *out* receives the report (standard output by default).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        if e.code != 2:
            raise
        # ping --format nagios says UNKNOWN (3).
        from zeoconf import ping
        return ping.usage_status(argv, out)
    stream = out or sys.stdout
    if stream is None:
        _say('zeoconf: standard output is closed')
        return 1
    if args.command == 'migrate' and not _isatty(stream):
        # The migrated file itself, redirected to a file: byte for byte
        # (a CRLF file stays CRLF). On a terminal it is escaped as all.
        out = stream
    else:
        out = _Escaping(stream)
    try:
        status = args.run(args, out)
        out.flush()
        return status
    except LoadError as e:
        # check prints its errors itself; this is a file that show or ping
        # cannot read, or a schema that cannot be loaded.
        if args.command == 'check':
            print(e, file=out)
        else:
            _say(e)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `zeoconf show --json f | head`: the reader left; not an error.
        # Nothing more may be written there, not even at exit.
        _silence_stdout()
        return 0
    except OSError as e:
        # Standard output that cannot be written (a full disk, /dev/full).
        _say(f'zeoconf: cannot write the output: {e.strerror or e}')
        _silence_stdout()
        return 1


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _silence_stdout():
    """After a write error: what is left in standard output's buffer must
    not fail again when Python exits."""
    sys.stdout = None
