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

from zeoconf.datatypes import format_address

__all__ = ['main', 'load', 'find_storages', 'describe_storage']

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


class _Warnings(logging.Handler):
    """Collects what zeoconf logs at WARNING or above while a file loads."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


# ZODB's schema does not know these; Zope's does.
_ZOPE_ONLY = ("'instancehome' is not a known key name",
              "unknown type name: 'zodb_db'")


def load(path, schema=None, warnings=None):
    """Parse *path* with *schema* (a schema object); return the config.

    When *warnings* is a list, the warnings zeoconf logs while the file is
    read (keys that ZEO ignores, ...) are appended to it instead of going
    to the log. Raises :class:`LoadError` with a ``FILE:LINE: message``
    text.
    """
    import ZConfig

    from zeoconf import errors, keys
    if schema is None:
        schema = _schema(None)
    # getDbSchema() keeps the one schema it loads.
    zodb_schema = schema is _schema(None)
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError(f'{path}: cannot read: {e}') from None
    url = 'file://' + os.path.abspath(path)
    collector = _Warnings()
    logger = logging.getLogger('zeoconf')
    if warnings is not None:
        logger.addHandler(collector)
        # Only to the collector: the command prints them its own way.
        propagate, logger.propagate = logger.propagate, False
    try:
        with keys.recording():
            config, _ = ZConfig.loadConfigFile(schema, _Text(text), url)
    except ZConfig.ConfigurationError as e:
        error = _at_directive(
            errors.located(errors.without_secrets(e, url)), text, url)
    except (Exception, SystemExit) as e:
        # ZConfig lets errors of %import and %include escape as they come:
        # its own ValueError or OSError, and whatever a package named by
        # %import raises while it is imported (SyntaxError, RuntimeError,
        # even SystemExit). A check must report them, not die of them.
        error = _at_directive(e, text, url)
    else:
        return config
    finally:
        if warnings is not None:
            logger.removeHandler(collector)
            logger.propagate = propagate
            warnings.extend(collector.messages)
    message = errors.describe(error, path)
    if (errors.is_import_collision(error)
            and not getattr(error, 'lineno', None)):
        # The %import ZEO is in an included file: point at it there.
        found = _find_import_zeo(path, text)
        if found:
            message = f'{found[0]}:{found[1]}: ' + message.split(': ', 1)[1]
    if zodb_schema and any(s in message for s in _ZOPE_ONLY):
        message += ' (is this a zope.conf? use --schema zope)'
    if _objects_not_bytes(error, text, url):
        message += (' (cache-size of <zodb> and <zodb_db> counts objects; '
                    'bound the object cache in bytes with cache-size-bytes)')
    raise LoadError(message)


def _objects_not_bytes(error, text, url):
    """Whether *error* is ZODB's for a size given to its cache-size, which
    counts objects (zeoconf's own cache-size takes the size)."""
    from zeoconf import errors
    lineno = getattr(error, 'lineno', None)
    if not lineno or 'invalid literal for int()' not in str(error):
        return False
    lines = errors.source_lines(text, url, getattr(error, 'url', None)) or []
    words = lines[lineno - 1].split() if lineno <= len(lines) else []
    return bool(words) and words[0].lower() == 'cache-size'


def _at_directive(error, text, url):
    """A ``ConfigurationError`` for *error*, at the directive that failed.

    ZConfig raises the errors of ``%import`` and ``%include`` without a
    line, some not as ``ConfigurationError``. While it handles a
    directive, its parser (``ZConfig.cfgparser.ZConfigParser``) is on the
    traceback and knows the file and line, included files too: that
    position is used when it is there. Otherwise, and for the
    ``%import ZEO`` collision (reported at the ``%import ZEO`` line, not at
    whichever import came second), :func:`zeoconf.errors.from_directive`
    searches the text.
    """
    import ZConfig

    from zeoconf import errors
    configuration_error = isinstance(error, ZConfig.ConfigurationError)
    if (configuration_error and getattr(error, 'lineno', None)
            or errors.is_import_collision(error)):
        return errors.from_directive(error, text, url)
    found = _parser_frame(error.__traceback__)
    if found is None:
        if not configuration_error:
            # Not its lineno: a SyntaxError's is in the imported module.
            error = ZConfig.ConfigurationError(
                f'{type(error).__name__}: {error}', url)
        return errors.from_directive(error, text, url)
    lineno, where, directive = found
    message = str(getattr(error, 'message', None) or error)
    if isinstance(error, SystemExit):
        message = f'importing it called sys.exit({error.code!r})'
    elif not configuration_error:
        message = f'{type(error).__name__}: {message}'
    if directive:
        message = f'{directive}: {message}'
    located = ZConfig.ConfigurationError(message, where)
    located.lineno = lineno
    return located


def _parser_frame(traceback):
    """``(line, url, '%name arg')`` of the innermost directive in hand.

    Reads the locals of ZConfig's parser frames on *traceback*: its
    internal structure, not its API (pinned by tests/test_cli.py). None
    when there is no such frame.
    """
    found = None
    while traceback is not None:
        frame = traceback.tb_frame
        code = frame.f_code
        if (code.co_name == 'handle_directive'
                and code.co_filename.replace('\\', '/').endswith(
                    'ZConfig/cfgparser.py')):
            local = frame.f_locals
            parser = local.get('self')
            lineno = getattr(parser, 'lineno', None)
            if isinstance(lineno, int) and lineno > 0:
                name, arg = local.get('name'), local.get('arg')
                directive = (f'%{name} {arg.strip()}'
                             if isinstance(name, str) and isinstance(
                                 arg, str) else None)
                found = (lineno, getattr(parser, 'url', None), directive)
        traceback = traceback.tb_next
    return found


def _find_import_zeo(path, text, seen=None):
    """``(file, line)`` of ``%import ZEO`` in *text* or what it includes."""
    seen = set() if seen is None else seen
    seen.add(os.path.abspath(path))
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if words[:2] == ['%import', 'ZEO']:
            return path, number
        if len(words) == 2 and words[0] == '%include':
            # ZConfig resolves an include against the including file.
            included = os.path.join(os.path.dirname(path), words[1])
            if os.path.abspath(included) in seen:
                continue
            try:
                with open(included, encoding='utf-8') as f:
                    found = _find_import_zeo(included, f.read(), seen)
            except (OSError, UnicodeDecodeError):
                continue
            if found:
                return found
    return None


def _Text(text):
    import io
    return io.StringIO(text)


# Section types that open ZEO clients without zeoconf: ZEO's own
# component (%import ZEO) and ZODB's built-in <zeoclient>.
_OTHER_CLIENTS = ('clientstorage', 'zeoclient')


def find_storages(config, others=None):
    """``[(label, ClientStorageOpener)]`` for every clientstorage, in order.

    The label is the innermost enclosing section (``<zodb main>``), with
    the clientstorage's own label added where that alone would be
    ambiguous or when the clientstorage is named itself. When *others* is
    a list, the labels of ZEO client sections that zeoconf does not handle
    (``%import ZEO``'s ``<clientstorage>``, ZODB's ``<zeoclient>``) are
    appended to it.
    """
    from ZConfig.matcher import SectionValue

    from zeoconf.openers import ClientStorageOpener
    found, seen = [], set()

    def walk(value, where):
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, ClientStorageOpener):
            found.append((where, value))
        elif isinstance(value, SectionValue):
            kind, name = value.getSectionType(), value.getSectionName()
            if kind in _OTHER_CLIENTS:
                if others is not None:
                    others.append(_join(where, f'<{kind}>'))
                return
            if kind:
                where = _join(where, f'<{kind} {name}>' if name else
                              f'<{kind}>')
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
    short = [where if where and not opener.name else
             _join(where, opener.label()) for where, opener in found]
    labels = []
    for (where, opener), label in zip(found, short):
        if short.count(label) > 1:
            label = _join(where, opener.label())
        labels.append(label)
    for number, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[number] = f'{label} #{labels[:number].count(label) + 1}'
    return [(label, opener) for label, (_, opener) in zip(labels, found)]


def _join(where, section):
    return f'{where} {section}'.strip()


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


_UNITS = (('TB', 1 << 40), ('GB', 1 << 30), ('MB', 1 << 20), ('KB', 1 << 10))


def _text(value, datatype=None):
    """A converted value as people write it in a configuration."""
    from zeoconf.keys import Secret
    if value is None:
        return '-'
    if isinstance(value, Secret):
        return '<redacted>'
    if isinstance(value, list):
        return ', '.join(_text(v, datatype) for v in value)
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if datatype == 'size' and isinstance(value, int):
        for unit, factor in _UNITS:
            if value and value % factor == 0:
                return f'{value // factor}{unit}'
        return f'{value}B'
    if datatype in ('interval', 'positive_interval'):
        return f'{value:g}s'
    if datatype == 'percent':
        return f'{value}%'
    if value == '':
        return '""'
    return str(_plain(value))


def _keys(section, url, notes):
    """``{key: {'value', 'text', 'origin', 'note'}}`` for one section.

    The origin is ``default``, ``line N`` for a line of the file at *url*,
    or ``FILE:N`` for a line of an included file. ``note`` says how the
    value resolves when ClientStorage gets something else, else None.
    """
    from zeoconf import keys
    from zeoconf.errors import _file_of
    rows = {}
    for key, value, datatype in _values(section, keys):
        lines = section.positions.get(key)
        if lines:
            origin = ', '.join(
                f'line {p.lineno}' if p.url == url else
                f'{_file_of(p.url) or "<config>"}:{p.lineno}' for p in lines)
        else:
            origin = 'default'
        rows[key] = {'value': _plain(value), 'text': _text(value, datatype),
                     'origin': origin, 'note': notes.get(key)}
    return rows


def _values(section, keys):
    """``(key, value, datatype name)`` for every key of an opener's
    section, in schema order; the ``<zeoclient>`` keys in place of the
    "+" entry that holds them."""
    given = getattr(section, 'zeoclient', None)     # <ssl> has none
    for key, info in keys.keys_of(section.config.getSectionDefinition()):
        if info is None:
            convert = keys.ZEOCLIENT_KEYS[key][0]
            value = (given[key] if key in given
                     else keys.zeoclient_default(key))
            yield key, value, getattr(convert, 'datatype', None)
        else:
            yield (key, getattr(section.config, info.attribute),
                   getattr(info.datatype, 'datatype', None))


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


def describe_storage(opener, url=None, label=None):
    """Everything ``show`` says about one storage, as JSON-able data.

    *url* is the configuration file's URL: origins in it read ``line N``.
    Keys map to ``{'value', 'origin', 'note'}`` (the shape documented in
    docs/cli.md); ``kwargs`` are ClientStorage's keyword arguments.
    """
    kwargs = opener.kwargs()
    resolved = {}
    for name, value in kwargs.items():
        if name == 'ssl':
            value = 'SSLContext' if value is not None else None
        resolved[name] = _plain(value)
    notes, ssl_notes = _notes(opener)
    return {
        'label': label or opener.label(),
        'section': opener.name,
        'keys': _keys(opener, url, notes),
        'ssl': _keys(opener.ssl, url, ssl_notes) if opener.ssl else None,
        'kwargs': resolved,
    }


def _without_text(data):
    """*data* from :func:`describe_storage` without the display texts."""
    data = dict(data)
    for part in ('keys', 'ssl'):
        if data[part] is not None:
            data[part] = {key: {k: v for k, v in row.items() if k != 'text'}
                          for key, row in data[part].items()}
    return data


def _summary_row(label, opener):
    kwargs = opener.kwargs()
    servers = ','.join(format_address(a) for a in kwargs['addr'])
    mode = ('read-only-fallback' if kwargs['read_only_fallback'] else
            'read-only' if kwargs['read_only'] else 'read-write')
    row = [label, servers, f'storage={kwargs["storage"]}']
    if kwargs['name']:
        row.append(f'name={kwargs["name"]}')
    return row + [f'tls={"on" if kwargs["ssl"] else "off"}', mode]


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


def _print_warnings(path, warnings):
    for message in warnings:
        print(f'{path}: warning: {message}', file=sys.stderr)


# Commands.

def cmd_check(args, out):
    """Parse and validate every file; one line per clientstorage."""
    schema = _schema(args.schema)
    status = 0
    for path in args.files:
        warnings, others = [], []
        try:
            storages = find_storages(load(path, schema, warnings), others)
        except LoadError as e:
            print(e, file=out)
            status = 1
            continue
        _print_warnings(path, warnings)
        count = len(storages)
        line = f'{path}: ok, {count} clientstorage{"" if count == 1 else "s"}'
        if warnings:
            line += (f', {len(warnings)} warning'
                     f'{"" if len(warnings) == 1 else "s"}')
        print(line, file=out)
        if storages:
            _table([['  ' + row[0]] + row[1:]
                    for row in (_summary_row(*s) for s in storages)], out)
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
    warnings = []
    storages = find_storages(load(args.file, _schema(args.schema),
                                  warnings))
    url = 'file://' + os.path.abspath(args.file)
    data = [describe_storage(opener, url, label)
            for label, opener in storages]
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
    warnings, others = [], []
    storages = find_storages(load(args.file, _schema(args.schema),
                                  warnings), others)
    _print_warnings(args.file, warnings)
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
