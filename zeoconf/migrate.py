"""``zeoconf migrate``: from ``%import ZEO`` and ``<zeoclient>`` to zeoconf.

Three parts, usable on their own:

- :func:`migrate_text` rewrites configuration text (no file system): the
  ``%import ZEO`` line becomes ``%import zeoconf``, every ``<zeoclient>``
  becomes ``<clientstorage>``, and the ``username``, ``password`` and
  ``realm`` lines of those sections (which ZEO ignores since 5.0) are
  dropped. Every other line is kept byte for byte. Lines are found with
  :func:`zeoconf.scanner.scan`.
- :func:`find_clients`, :func:`compare`: the proof. The original is parsed
  with its own component (ZODB's ``<zeoclient>``, or ZEO's
  ``<clientstorage>``) and the result with zeoconf, through the same
  schema; for every ZEO client storage, the keyword arguments its section
  would give ``ZEO.ClientStorage.ClientStorage`` are worked out (without
  connecting) and compared with what ClientStorage does with them.
- :func:`run`: the command, ``zeoconf migrate FILE [--schema ...]
  [--write]``.

No password, nor a piece of one, is ever shown: password lines are dropped
by line number and key name, a ``%define`` used only by dropped lines goes
with them, and messages of the parses are checked for the values before
they are printed. This module imports ZEO only to compare (it reads the
defaults of ``ClientStorage``); parsing with zeoconf never needs it.
"""

import io
import logging
import os
import pathlib
import re
import sys

from zeoconf.scanner import scan

__all__ = ['migrate_text', 'Migration', 'Dropped', 'Client', 'Difference',
           'find_clients', 'compare', 'load', 'load_schema', 'looks_like_zope',
           'run', 'DROPPED_KEYS']

# Keys of ZODB's <zeoclient> that ZEO ignores since 5.0; the migration
# drops their lines.
DROPPED_KEYS = ('username', 'password', 'realm')

# Arguments ClientStorage takes and does nothing with (ZEO 5 and 6).
# disconnect_poll is one of them, but zeoconf makes it take effect: it is
# compared on its own.
_IGNORED_ARGUMENTS = ('min_disconnect_poll', 'max_disconnect_poll',
                      'drop_cache_rather_verify', 'credentials',
                      'username', 'password', 'realm')

# The order in which arguments are compared and reported.
_ORDER = ('addr', 'storage', 'name', 'cache', 'cache_size', 'blob_dir',
          'shared_blob_dir', 'blob_cache_size', 'blob_cache_size_check',
          'read_only', 'read_only_fallback', 'server_sync', 'wait_timeout',
          'disconnect_poll', 'wait', 'client_label', 'ssl',
          'ssl_server_hostname')

_WHY_DROPPED = 'ZEO ignores it since 5.0 (it authenticates with <ssl>)'


# The rewrite.

class Dropped:
    """A line left out of the result: ``line`` (number in the original),
    ``key`` (``username``, ``password``, ``realm``, or ``%define NAME``
    for a definition only dropped lines used) and ``why``. Never the
    value."""

    __slots__ = ('line', 'key', 'why')

    def __init__(self, line, key, why):
        self.line, self.key, self.why = line, key, why

    def __repr__(self):
        return f'<Dropped line {self.line} {self.key}>'

    def __eq__(self, other):
        return (isinstance(other, Dropped) and
                (self.line, self.key) == (other.line, other.key))

    __hash__ = None


class Migration:
    """What :func:`migrate_text` did.

    - ``text``: the migrated text (the original itself when unchanged);
    - ``changed``: whether anything was rewritten;
    - ``already_zeoconf``: the text uses zeoconf and nothing else (it
      imports zeoconf, not ZEO, and has no ``<zeoclient>``);
    - ``renamed``: original line numbers of the ``<zeoclient>`` opening
      lines now reading ``<clientstorage>``;
    - ``imports``: original line numbers of ``%import ZEO`` lines now
      reading ``%import zeoconf``;
    - ``added_import``: the original line number before which
      ``%import zeoconf`` was added (``len(lines) + 1`` at the end), or
      None;
    - ``dropped``: :class:`Dropped` lines, in order;
    - ``kept_defines``: ``[(line, name, [lines using it])]`` for a
      ``%define`` used by a dropped line that had to stay because other
      lines use it too;
    - ``includes``: ``[(line, target)]`` of ``%include`` lines; included
      files are not rewritten;
    - ``line_map``: for each line of ``text``, its number in the original
      (None for the added import line).
    """

    __slots__ = ('text', 'changed', 'already_zeoconf', 'renamed', 'imports',
                 'added_import', 'dropped', 'kept_defines', 'includes',
                 'line_map')

    def __init__(self, text, line_map, changed=False, already_zeoconf=False,
                 renamed=(), imports=(), added_import=None, dropped=(),
                 kept_defines=(), includes=()):
        self.text, self.line_map = text, list(line_map)
        self.changed, self.already_zeoconf = changed, already_zeoconf
        self.renamed, self.imports = list(renamed), list(imports)
        self.added_import, self.dropped = added_import, list(dropped)
        self.kept_defines, self.includes = (list(kept_defines),
                                            list(includes))

    def original_line(self, number):
        """The original line number of line *number* of :attr:`text`
        (None for the added ``%import zeoconf`` or out of range)."""
        if 1 <= number <= len(self.line_map):
            return self.line_map[number - 1]
        return None

    def __repr__(self):
        return (f'<Migration changed={self.changed} '
                f'already_zeoconf={self.already_zeoconf} '
                f'renamed={self.renamed} dropped={self.dropped}>')


class _Names:
    """A mapping for ``ZConfig.substitution.substitute`` that records the
    ``%define`` names a value refers to (their values do not matter)."""

    def __init__(self):
        self.names = set()

    def get(self, name):
        self.names.add(name)
        return ''


def _references(value):
    """The ``%define`` names (lower case) *value* refers to, or None when
    ZConfig would not substitute it (then any name may be meant)."""
    import ZConfig
    from ZConfig.substitution import substitute
    names = _Names()
    try:
        substitute(value, names)
    except ZConfig.ConfigurationError:
        return None
    return names.names


def _define_name(line):
    return line.value.split(None, 1)[0].lower() if line.value else ''


def _newline(text):
    found = re.search(r'\r\n|\n|\r', text)
    return found.group(0) if found else '\n'


def _body(raw):
    """A line without its line ending, and the ending."""
    stripped = raw.rstrip('\r\n')
    return stripped, raw[len(stripped):]


def migrate_text(text):
    """Rewrite configuration *text* for zeoconf; return a :class:`Migration`.

    Pure: reads no file, parses nothing, never raises for any text. A text
    that already uses zeoconf, or has neither ``%import ZEO`` nor
    ``<zeoclient>``, comes back unchanged.
    """
    scanned = scan(text)
    lines = text.splitlines(keepends=True)
    imports = scanned.directives('import')
    zeo_imports = [line for line in imports if line.value.strip() == 'ZEO']
    has_zeoconf = any(line.value.strip() == 'zeoconf' for line in imports)
    zeoclients = [s for s in scanned.sections if s.type == 'zeoclient']
    includes = [(line.number, line.value.strip())
                for line in scanned.directives('include')]
    if not zeo_imports and not zeoclients:
        return Migration(text, range(1, len(lines) + 1),
                         already_zeoconf=has_zeoconf, includes=includes)

    dropped = [Dropped(line.number, line.name, _WHY_DROPPED)
               for line in scanned.lines
               if line.kind == 'key' and line.name in DROPPED_KEYS
               and line.section is not None
               and line.section.type == 'zeoclient']
    gone = {d.line for d in dropped}
    kept_defines = _drop_definitions(scanned, dropped, gone)

    replace = {}
    for line in zeo_imports:
        body, end = _body(lines[line.number - 1])
        at = body.rstrip().rfind('ZEO')
        replace[line.number] = body[:at] + 'zeoconf' + body[at + 3:] + end
    for line in scanned.lines:
        if (line.kind in ('open', 'close', 'empty')
                and line.section.type == 'zeoclient'):
            body, end = _body(lines[line.number - 1])
            replace[line.number] = re.sub(
                r'(<\s*/?\s*)zeoclient', r'\1clientstorage', body, count=1,
                flags=re.IGNORECASE) + end

    added_import = None
    if not zeo_imports and not has_zeoconf:
        # Before the first line that is not a comment or blank: after the
        # comment block that usually opens a file.
        added_import = next(
            (line.number for line in scanned.lines
             if line.kind not in ('comment', 'blank')), len(lines) + 1)

    result, line_map = [], []
    for number, raw in enumerate(lines, 1):
        if number == added_import:
            result.append('%import zeoconf' + _newline(text))
            line_map.append(None)
        if number in gone:
            continue
        result.append(replace.get(number, raw))
        line_map.append(number)
    if added_import == len(lines) + 1:     # pragma: no cover (no content)
        result.append('%import zeoconf' + _newline(text))
        line_map.append(None)
    return Migration(
        ''.join(result), line_map, changed=True,
        renamed=[s.start for s in zeoclients],
        imports=[line.number for line in zeo_imports],
        added_import=added_import, dropped=sorted(
            dropped, key=lambda d: d.line),
        kept_defines=kept_defines, includes=includes)


def _drop_definitions(scanned, dropped, gone):
    """Add to *dropped* (and *gone*) every ``%define`` that only dropped
    lines use: its value may be the password. Return the definitions used
    by a dropped line that must stay (other lines use them too)."""
    defines = {}
    for line in scanned.directives('define'):
        defines.setdefault(_define_name(line), []).append(line)
    if not defines:
        return []
    uses = {}      # define name -> line numbers referring to it
    for line in scanned.lines:
        if line.kind in ('blank', 'comment'):
            continue
        # Every other line may refer to a definition (%include $DIR/...);
        # a definition's own name is not a reference.
        value = line.text.strip()
        if line.kind == 'directive' and line.name == 'define':
            parts = line.value.split(None, 1)
            value = parts[1] if len(parts) == 2 else ''
        names = _references(value)
        if names is None:
            names = set(defines)     # unreadable: assume any
        for name in names:
            uses.setdefault(name, set()).add(line.number)
    wanted = set()
    for number in gone:
        wanted |= {name for name, where in uses.items() if number in where}
    kept, changed = [], True
    while changed:
        changed = False
        for name in sorted(wanted):
            lines = defines.get(name, [])
            if not lines or all(line.number in gone for line in lines):
                continue
            if uses.get(name, set()) <= gone:
                for line in lines:
                    gone.add(line.number)
                    dropped.append(Dropped(
                        line.number, f'%define {line.value.split()[0]}',
                        'only the dropped lines used it'))
                # What this definition referred to may be unused now.
                for other, where in uses.items():
                    if any(line.number in where for line in lines):
                        wanted.add(other)
                changed = True
    for name in sorted(wanted):
        lines = defines.get(name, [])
        if lines and not all(line.number in gone for line in lines):
            users = sorted(uses.get(name, set()) - gone)
            kept.append((lines[0].number, lines[0].value.split()[0], users))
    return kept


def _secrets(text):
    """Values that must never be shown: every ``password`` value, as
    written and as substituted, and the value of each ``%define`` it
    uses. Pieces of three characters or more between ``$`` signs too."""
    from ZConfig.substitution import substitute
    scanned = scan(text)
    defines, found = {}, set()
    for line in scanned.lines:
        if line.kind == 'directive' and line.name == 'define':
            parts = line.value.split(None, 1)
            value = parts[1] if len(parts) == 2 else ''
            try:
                value = substitute(value, defines)
            except Exception:
                pass
            defines.setdefault(parts[0].lower() if parts else '', value)
        elif line.kind == 'key' and line.name == 'password':
            found.add(line.value)
            names = _references(line.value) or set()
            found |= {defines[name] for name in names if name in defines}
            try:
                found.add(substitute(line.value, defines))
            except Exception:
                pass
    pieces = set()
    for value in found:
        pieces |= {piece for piece in re.split(r'[${}()]', value)
                   if len(piece) >= 3}
    return {value for value in found | pieces if value}


def _scrub(message, secrets):
    """*message*, or a stand-in when it shows one of *secrets*. The key
    name itself is not a secret: ``pa$sword`` must not hide every
    message that says "password"."""
    text = re.sub('password', '', message, flags=re.IGNORECASE)
    if any(secret in text for secret in secrets):
        return 'the message would show a password, so it is not shown'
    return message


# Schemas and parsing.


def load_schema(schema):
    """The ZConfig schema object for *schema*: ``'zodb'`` (ZODB's,
    ``ZODB.config.getDbSchema()``), ``'zope'`` (Zope's, loaded by Zope's
    own loader) or the path of a schema file. Raises ``ValueError`` with
    a message for people when it cannot be had."""
    if schema in (None, 'zodb'):
        import ZODB.config
        return ZODB.config.getDbSchema()
    if schema == 'zope':
        try:
            from Zope2.Startup.options import ZopeWSGIOptions
        except ImportError:
            raise ValueError('reading a zope.conf needs Zope installed in '
                             'this Python (pip install Zope), or give the '
                             'path of a schema file') from None
        # Zope's schema has a conditional import (tempstorage) that only
        # Zope's own loader understands.
        options = ZopeWSGIOptions()
        options.load_schema()
        return options.schema
    import ZConfig
    try:
        return ZConfig.loadSchema(os.path.abspath(schema))
    except (ZConfig.ConfigurationError, OSError, ValueError) as e:
        problem = getattr(e, 'message', None) or e
    except Exception as e:
        problem = type(e).__name__
    raise ValueError(f'{schema}: not a usable ZConfig schema: {problem}')


def looks_like_zope(text):
    """Whether *text* reads like a zope.conf: a ``<zodb_db>`` section or an
    ``instancehome`` key at top level."""
    scanned = scan(text)
    return (any(s.type == 'zodb_db' for s in scanned.sections)
            or bool(scanned.keys(None, 'instancehome')))


def load(text, schema, url):
    """Parse *text* (read from *url*) with the schema object *schema*;
    return the configuration object. ZConfig's exceptions pass through."""
    import ZConfig
    config, _ = ZConfig.loadConfigFile(schema, io.StringIO(text), url)
    return config


def _file_of(url, path):
    """What to call the file of an error: *path* for the file itself."""
    if not url:
        return path
    if url.startswith('file:'):
        import urllib.parse
        return urllib.parse.unquote(urllib.parse.urlparse(url).path)
    return url


def _failure(error, path, url, text, secrets, line_map=None):
    """``FILE:LINE: message`` for an exception of a parse of *text*.

    The line is the exception's (or, for ZConfig's errors of section
    datatypes, the wrapped error's). A substitution that failed on a
    password line or a ``%define`` is reported without ZConfig's words,
    which quote what follows the ``$``. *line_map* turns line numbers of
    *text* into the original's.
    """
    import ZConfig
    inner = getattr(error, 'exception', None)
    lineno = getattr(inner, 'lineno', None) or getattr(error, 'lineno', None)
    where = getattr(inner, 'url', None) or getattr(error, 'url', None)
    if isinstance(error, ZConfig.ConfigurationError):
        message = str(getattr(error, 'message', None) or error)
    elif isinstance(error, OSError):
        message = f'{type(error).__name__}: {error}'
    else:
        # Raised by code a configuration names (a password function, an
        # imported package): its words are not ours to show.
        message = f'{type(error).__name__} raised while reading the file'
    same_file = where in (None, url)
    hidden = False      # our own words, with no value in them
    if isinstance(error, (ZConfig.SubstitutionReplacementError,
                          ZConfig.SubstitutionSyntaxError)):
        if not lineno and same_file:
            lineno = _failed_substitution(text)
        line = scan(text).line(lineno) if lineno and same_file else None
        what = None
        if line is not None and line.kind == 'key':
            what = line.key
        elif line is not None and line.kind == 'directive':
            what = f'%{line.name} {line.value.split()[0]}' \
                if line.value else f'%{line.name}'
        if what is None or line.name in ('password', 'define'):
            message = ((f'{what}: ' if what else '') +
                       "a '$' in the value starts a substitution that "
                       "failed (the value is not shown); write '$$' for "
                       "a literal '$'")
            hidden = True
        else:
            message = f"{what}: {message}; write '$$' for a literal '$'"
    if not hidden:
        message = _scrub(message, secrets)
    if line_map is not None and same_file:
        message = _renumber(message, line_map)
        lineno = (line_map[lineno - 1]
                  if lineno and lineno <= len(line_map) else lineno)
    name = path if same_file else _file_of(where, path)
    if lineno and lineno > 0:
        return f'{name}:{lineno}: {message}'
    return f'{name}: {message}'


def _failed_substitution(text):
    """The first line of *text* whose substitution ZConfig refuses."""
    import ZConfig
    from ZConfig.substitution import substitute
    defines = {}
    for line in scan(text).lines:
        if line.kind == 'directive' and line.name == 'define':
            parts = line.value.split(None, 1)
            value = parts[1] if len(parts) == 2 else ''
        elif line.kind == 'key':
            parts, value = None, line.value
        else:
            continue
        try:
            value = substitute(value, defines)
        except ZConfig.ConfigurationError:
            return line.number
        if parts:
            defines.setdefault(parts[0].lower(), value)
    return None


def _renumber(message, line_map):
    """*message* of a parse of the migrated text, with its ``line N``
    references turned into the original's line numbers."""
    def original(found):
        number = int(found.group(2))
        if 1 <= number <= len(line_map) and line_map[number - 1]:
            number = line_map[number - 1]
        return f'{found.group(1)}{number}'
    return re.sub(r'(\bline )(\d+)', original, message)


# Finding the ZEO client storages of a parsed configuration.

class Client:
    """A ZEO client section of a parsed configuration.

    ``kind``: ``'zeoclient'`` (ZODB's), ``'ZEO'`` (``%import ZEO``'s
    ``<clientstorage>``) or ``'zeoconf'``; ``path``: the ``(type, name)``
    of each enclosing section, this one last (names None when unnamed);
    ``section``: the parsed section (a ``SectionValue``, or zeoconf's
    ``ClientStorageOpener``).
    """

    __slots__ = ('kind', 'path', 'section')

    def __init__(self, kind, path, section):
        self.kind, self.path, self.section = kind, tuple(path), section

    @property
    def label(self):
        return ' '.join(f'<{t} {n}>' if n else f'<{t}>'
                        for t, n in self.path)

    def kwargs(self):
        """The keyword arguments the section would open ClientStorage
        with, ``addr`` included, as its own component computes them;
        ``username``, ``password`` and ``realm`` left out (ClientStorage
        ignores them, and a password is never handed around)."""
        if self.kind == 'zeoconf':
            return self.section.kwargs()
        if self.kind == 'zeoclient':
            return _zeoclient_kwargs(self.section)
        return _zeo_kwargs(self.section)

    def __repr__(self):
        return f'<Client {self.kind} {self.label}>'


def _optional(config, names):
    """The keys of *config* that the components pass only when set."""
    found = {}
    for name in names:
        value = getattr(config, name)
        if value is not None:
            found[name] = value
    return found


def _zeoclient_kwargs(c):
    # ZODB.config.ZEOClient.open: the addresses, a fixed set of keys
    # (compatibility ones included) and three only when set.
    kwargs = {
        'addr': [server.address for server in c.server],
        'blob_dir': c.blob_dir, 'shared_blob_dir': c.shared_blob_dir,
        'storage': c.storage, 'cache_size': c.cache_size, 'name': c.name,
        'client': c.client, 'var': c.var,
        'min_disconnect_poll': c.min_disconnect_poll,
        'max_disconnect_poll': c.max_disconnect_poll,
        'wait': c.wait, 'read_only': c.read_only,
        'read_only_fallback': c.read_only_fallback,
        'drop_cache_rather_verify': c.drop_cache_rather_verify,
    }
    kwargs.update(_optional(c, ('blob_cache_size', 'blob_cache_size_check',
                                'client_label')))
    return kwargs


def _zeo_kwargs(c):
    # ZEO.zconfig.ClientStorageConfig.open: ZEO's <ssl> section converts
    # to (context, server_hostname).
    kwargs = {
        'addr': [server.address for server in c.server],
        'blob_dir': c.blob_dir, 'shared_blob_dir': c.shared_blob_dir,
        'storage': c.storage, 'cache_size': c.cache_size,
        'cache': c.cache_path, 'name': c.name, 'read_only': c.read_only,
        'read_only_fallback': c.read_only_fallback,
        'server_sync': c.server_sync, 'wait_timeout': c.wait_timeout,
    }
    kwargs.update(_optional(c, ('blob_cache_size', 'blob_cache_size_check',
                                'client_label')))
    if c.ssl:
        kwargs['ssl'], kwargs['ssl_server_hostname'] = c.ssl
    return kwargs


def find_clients(config):
    """Every ZEO client section of a parsed *config*, in the order the
    schema holds them (the same for the original and the migrated text,
    which differ only in section type names): a list of :class:`Client`.
    """
    from ZConfig.matcher import SectionValue

    from zeoconf.openers import ClientStorageOpener
    found, seen = [], set()

    def walk(value, path):
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, ClientStorageOpener):
            found.append(Client('zeoconf', path + (('clientstorage',
                                                     value.name),), value))
        elif isinstance(value, SectionValue):
            kind = value.getSectionType()
            here = path
            if kind:
                here = path + ((kind, value.getSectionName()),)
            if kind in ('zeoclient', 'clientstorage'):
                found.append(Client('zeoclient' if kind == 'zeoclient'
                                    else 'ZEO', here, value))
                return
            for attribute in value.getSectionAttributes():
                walk(getattr(value, attribute, None), here)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, path)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, path)
        elif isinstance(getattr(value, 'config', None), SectionValue):
            # ZODB's and Zope's section objects (<zodb>, <zodb_db>, the
            # storages) keep their section as .config.
            walk(value.config, path)

    walk(config, ())
    return found


# Comparing.

class Difference:
    """How the migrated section's ClientStorage argument *argument*
    compares with the original's.

    ``original`` and ``migrated`` are the values as text (never a
    password); ``reason`` says why they differ; ``effect`` is ``'same'``
    (written differently, ClientStorage does the same: a note),
    ``'intended'`` (zeoconf behaves differently by design) or
    ``'unexplained'`` (the migration would change what opens: it is
    refused). ``storage`` is the client's label, ``line`` the original
    line of its section when known.
    """

    __slots__ = ('storage', 'line', 'argument', 'original', 'migrated',
                 'reason', 'effect')

    def __init__(self, storage, argument, original, migrated, reason,
                 effect, line=None):
        self.storage, self.argument = storage, argument
        self.original, self.migrated = original, migrated
        self.reason, self.effect, self.line = reason, effect, line

    def __repr__(self):
        return (f'<Difference {self.storage} {self.argument} '
                f'{self.effect}: {self.reason}>')


def _defaults():
    """ClientStorage's own defaults, and its connection thread's retry
    delay (the one that applies when ClientStorage drops
    ``disconnect_poll``)."""
    import inspect

    from ZEO.asyncio.client import ClientThread
    from ZEO.ClientStorage import ClientStorage
    defaults = {name: p.default for name, p in inspect.signature(
        ClientStorage.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty}
    poll = inspect.signature(ClientThread.__init__).parameters.get(
        'disconnect_poll')
    thread_poll = 1 if poll is None or poll.default is \
        inspect.Parameter.empty else poll.default
    return defaults, thread_poll


def _addresses(addr):
    if isinstance(addr, (str, int)) or (
            isinstance(addr, tuple) and len(addr) == 2
            and isinstance(addr[1], int)):
        addr = [addr]
    return [tuple(a) if isinstance(a, tuple) else a for a in addr]


def _show_address(a):
    if isinstance(a, tuple):
        host, port = a
        return f'[{host}]:{port}' if ':' in str(host) else f'{host}:{port}'
    return str(a)


def _ssl_settings(context):
    """An ``SSLContext`` as the settings that decide what it accepts."""
    return {
        'verify_mode': context.verify_mode.name,
        'check_hostname': context.check_hostname,
        'minimum_version': context.minimum_version.name,
        'maximum_version': context.maximum_version.name,
        'verify_flags': str(context.verify_flags),
        'options': int(context.options),
        'ca_certificates': sorted(
            str(sorted(c.get('subject', ()))) for c in
            context.get_ca_certs()),
        'ciphers': [c['name'] for c in context.get_ciphers()],
        'hostname_checks_common_name': context.hostname_checks_common_name,
    }


class _Resolved:
    """One side: the arguments given and what ClientStorage makes of
    them."""

    def __init__(self, kwargs, honours_poll, defaults, thread_poll):
        self.given = kwargs
        self.defaults = defaults

        def get(name):
            return kwargs[name] if name in kwargs else defaults.get(name)

        addr = _addresses(kwargs['addr'])
        self.addr = addr
        storage = get('storage')
        blob_dir, shared = get('blob_dir'), bool(get('shared_blob_dir'))
        cache = get('cache')
        self.cache_from = None
        if cache is None and get('client'):
            # ClientStorage's rule for a persistent cache file.
            cache = os.path.join(get('var') or os.getcwd(),
                                 f'{get("client")}-{storage}.zec')
            self.cache_from = (get('client'), get('var'))
        blob_cache_size = get('blob_cache_size')
        if blob_dir is None or shared:
            blob_cache_size = None      # never used then
        fallback = bool(get('read_only_fallback'))
        ssl = get('ssl')
        hostname = get('ssl_server_hostname')
        self.effective = {
            'addr': [_show_address(a) for a in addr],
            'storage': storage,
            'name': get('name') or str(addr),
            'cache': cache,
            'cache_size': get('cache_size'),
            'blob_dir': blob_dir,
            'shared_blob_dir': shared,
            'blob_cache_size': blob_cache_size,
            'blob_cache_size_check': (get('blob_cache_size_check')
                                      if blob_cache_size is not None
                                      else None),
            'read_only': None if fallback else bool(get('read_only')),
            'read_only_fallback': fallback,
            'server_sync': bool(get('server_sync')),
            'wait_timeout': get('wait_timeout') or 30,
            'disconnect_poll': (get('disconnect_poll') if honours_poll
                                else thread_poll),
            'wait': bool(get('wait')),
            'client_label': get('client_label'),
            'ssl': _ssl_settings(ssl) if ssl is not None else None,
            # With TLS, a name to check per address: the one given, else
            # the host of the address (what asyncio does).
            'ssl_server_hostname': (
                [hostname or (a[0] if isinstance(a, tuple) else None)
                 for a in addr] if ssl is not None else None),
        }
        for name in kwargs:
            if (name not in self.effective and name not in
                    _IGNORED_ARGUMENTS and name not in ('client', 'var')):
                self.effective[name] = get(name)

    def given_text(self, name):
        if name == 'ssl':
            return 'an SSLContext' if self.given.get('ssl') else 'none'
        if name == 'addr':
            return ', '.join(_show_address(a) for a in self.addr)
        if name not in self.given:
            return f'not given ({self.defaults.get(name)!r})'
        return repr(self.given[name])


def _path_same(a, b):
    if a is None or b is None:
        return a is b
    return os.path.abspath(a) == os.path.abspath(b)


def _compare_one(original, migrated, origin, label, line, defaults,
                 thread_poll):
    """The differences between one original client and its migration."""
    # Only zeoconf makes disconnect_poll take effect.
    was = _Resolved(original.kwargs(), original.kind == 'zeoconf',
                    defaults, thread_poll)
    now = _Resolved(migrated.kwargs(), True, defaults, thread_poll)
    found = []

    def note(argument, reason, effect='same', before=None, after=None):
        found.append(Difference(
            label, argument,
            before if before is not None else was.given_text(argument),
            after if after is not None else now.given_text(argument),
            reason, effect, line))

    names = list(_ORDER) + sorted(
        (set(was.effective) | set(now.effective)) - set(_ORDER))
    for name in names:
        before, after = was.effective.get(name), now.effective.get(name)
        if name in ('cache', 'blob_dir'):
            same = _path_same(before, after)
        else:
            same = before == after
        if not same:
            found.append(_explain(name, before, after, was, now, origin,
                                  label, line))
            continue
        # The same effect: say so where it is written differently.
        if name == 'cache' and was.cache_from:
            client, var = was.cache_from
            note('cache', f"{origin} passes client {client!r} and var "
                 f"{var!r}; ClientStorage makes the cache file "
                 f"{before!r} of them (VAR/CLIENT-STORAGE.zec, the "
                 f"working directory when var is not given); zeoconf "
                 f"passes that file as cache",
                 before=f'client={client!r} var={var!r}',
                 after=repr(after))
        elif name in ('cache', 'blob_dir') and before != after:
            note(name, f'{before!r} is relative: ClientStorage opens it '
                 f'relative to the working directory when it starts; '
                 f'zeoconf resolved it against the working directory '
                 f'when it read the file ({os.getcwd()}). The same unless '
                 f'the process changes directory in between.',
                 before=repr(before), after=repr(after))
        elif name == 'blob_cache_size' and (
                was.given.get(name) != now.given.get(name)):
            note(name, 'ZEO ignores blob-cache-size with shared-blob-dir '
                 '(the blobs are the server\'s own and no client trims '
                 'them); zeoconf leaves it out, with a warning')
        elif name == 'read_only' and (
                bool(was.given.get(name)) != bool(now.given.get(name))):
            note(name, 'read-only-fallback is true, so read-only is not '
                 'used by ClientStorage on either side')
        elif name == 'wait_timeout' and was.given.get(name) is None:
            note(name, f'{origin} does not pass wait_timeout; '
                 f'ClientStorage then waits 30 seconds, as zeoconf\'s '
                 f'default does')
        elif name == 'ssl' and before is not None:
            note(name, 'two SSLContext objects, compared by their '
                 'settings (verification mode, host name check, TLS '
                 'versions, flags, options, CA certificates, ciphers): '
                 'the same. The client certificate and key come from the '
                 'same <ssl> lines on both sides (a context does not show '
                 'which certificate it holds).',
                 before='an SSLContext', after='an SSLContext')
        elif name == 'ssl_server_hostname' and before is not None and (
                was.given.get(name) != now.given.get(name)):
            note(name, f'{origin} passes {was.given.get(name)!r}, so each '
                 f'connection checks the host of its address; zeoconf '
                 f'passes that host: {", ".join(map(str, set(before)))}')
    ignored = sorted(n for n in was.given if n in _IGNORED_ARGUMENTS
                     and n not in now.given)
    if ignored:
        note('ignored arguments', f'{origin} passes {", ".join(ignored)}, '
             f'which ClientStorage accepts and ignores; zeoconf does not '
             f'pass them', before=', '.join(ignored), after='not passed')
    return found


def _explain(name, before, after, was, now, origin, label, line):
    """A :class:`Difference` for an argument whose effect differs."""
    def shown(value):
        if name == 'ssl':
            return 'none' if value is None else 'an SSLContext'
        return repr(value)

    effect, reason = 'unexplained', (
        f'{origin} resolves to {shown(before)}, zeoconf to '
        f'{shown(after)}: the migrated file would not open the same '
        f'storage')
    if name == 'disconnect_poll':
        given = now.given.get('disconnect_poll')
        effect = 'intended'
        reason = (f'ClientStorage drops disconnect_poll (and ignores '
                  f'min_disconnect_poll), so {origin} retries an '
                  f'unreachable server every {before!r} s plus up to 1 s; '
                  f'zeoconf makes the configured {given!r} s take effect '
                  f'(min-disconnect-poll means disconnect-poll)')
    elif name in ('cache', 'blob_dir'):
        written = was.given.get('cache' if name == 'cache' else name)
        if (isinstance(written, str) and written.startswith('~')
                and _path_same(os.path.expanduser(written), after)):
            effect = 'intended'
            reason = (f'{origin} takes {written!r} literally (a '
                      f"directory named '~' in the working directory); "
                      f'zeoconf expands ~ to the home directory')
    elif name == 'ssl' and before is not None and after is not None:
        differing = sorted(k for k in set(before) | set(after)
                           if before.get(k) != after.get(k))
        reason = (f'the SSLContexts differ in {", ".join(differing)}: '
                  f'{origin}: ' + '; '.join(
                      f'{k}={before.get(k)!r}' for k in differing) +
                  '; zeoconf: ' + '; '.join(
                      f'{k}={after.get(k)!r}' for k in differing))
        return Difference(label, name, 'an SSLContext', 'an SSLContext',
                          reason, effect, line)
    return Difference(label, name, shown(before), shown(after), reason,
                      effect, line)


_ORIGIN = {'zeoclient': "ZODB's <zeoclient>",
           'ZEO': "ZEO's <clientstorage>",
           'zeoconf': 'zeoconf'}


def compare(original, migrated, lines=None):
    """Compare the :class:`Client` lists of the original and the migrated
    configuration (matched in order); return a list of
    :class:`Difference`. *lines* gives, per original client, the line of
    its section (or None)."""
    defaults, thread_poll = _defaults()
    found = []
    if len(original) != len(migrated) or any(
            [t for t, _ in a.path[:-1]] != [t for t, _ in b.path[:-1]]
            for a, b in zip(original, migrated)):
        found.append(Difference(
            'the file', 'storages',
            ', '.join(c.label for c in original) or 'none',
            ', '.join(c.label for c in migrated) or 'none',
            'the migrated file does not hold the same ZEO client storages '
            'in the same sections', 'unexplained'))
        return found
    for number, (before, after) in enumerate(zip(original, migrated)):
        line = lines[number] if lines else None
        found += _compare_one(before, after, _ORIGIN[before.kind],
                              before.label, line, defaults, thread_poll)
    return found


def _section_lines(clients, text):
    """The original line of each client's section, found in *text* by its
    path of section types and names (None when not unique: an included
    file, two alike)."""
    sections = scan(text).sections

    def path_of(section):
        path = []
        while section is not None:
            path.append((section.type, section.name))
            section = section.parent
        return tuple(reversed(path))

    paths = [path_of(s) for s in sections]
    found = []
    for client in clients:
        want = tuple((t.lower(), n.lower() if n else None)
                     for t, n in client.path)
        matches = [s for s, p in zip(sections, paths) if p == want]
        found.append(matches[0].start if len(matches) == 1 else None)
    return found


# The command.

class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _load_migrated(text, schema, url):
    """Parse the migrated text; return (config, zeoconf's warnings)."""
    collector = _Warnings()
    logger = logging.getLogger('zeoconf')
    logger.addHandler(collector)
    propagate, logger.propagate = logger.propagate, False
    try:
        return load(text, schema, url), collector.messages
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate


def _say_changes(migration, path, err):
    """What the rewrite did, in line order."""
    said = [(number, '%import ZEO is now %import zeoconf')
            for number in migration.imports]
    if migration.added_import:
        said.append((migration.added_import,
                     'added %import zeoconf before this line'))
    said += [(number, '<zeoclient> is now <clientstorage>')
             for number in migration.renamed]
    said += [(d.line, f'dropped {d.key}: {d.why}')
             for d in migration.dropped]
    said += [(number, f'kept %define {name}: a dropped line used it, and '
              f'so do lines {", ".join(map(str, users))}')
             for number, name, users in migration.kept_defines]
    said += [(number, f'%include {target}: included files are not '
              f'rewritten; migrate them on their own')
             for number, target in migration.includes]
    for number, message in sorted(said, key=lambda item: item[0]):
        err.write(f'{path}:{number}: {message}\n')


def _say_comparison(differences, clients, lines, path, err):
    """Report the comparison; return the verdict: 'same', 'intended' or
    'unexplained'."""
    by_storage = {}
    for difference in differences:
        by_storage.setdefault(difference.storage, []).append(difference)
    if by_storage.get('the file'):
        d = by_storage['the file'][0]
        err.write(f'{path}: {d.reason}: before {d.original}; after '
                  f'{d.migrated}\n')
        return 'unexplained'
    verdicts = []
    for client, line in zip(clients, lines):
        found = by_storage.get(client.label, [])
        effects = {d.effect for d in found}
        verdict = ('unexplained' if 'unexplained' in effects else
                   'intended' if 'intended' in effects else 'same')
        verdicts.append(verdict)
        where = f'{path}:{line}' if line else path
        said = {'same': 'the same ClientStorage arguments',
                'intended': 'the same ClientStorage arguments, but for '
                            'the intended differences below',
                'unexplained': 'DIFFERENT ClientStorage arguments'}[verdict]
        if client.kind == 'zeoconf':
            err.write(f'{where}: {client.label}: already zeoconf\'s, '
                      f'{said}\n')
        else:
            err.write(f'{where}: {client.label}: {_ORIGIN[client.kind]} '
                      f'and zeoconf resolve to {said}\n')
        for d in found:
            mark = {'same': 'same effect', 'intended': 'differs, as '
                    'intended', 'unexplained': 'DIFFERS'}[d.effect]
            err.write(f'  {d.argument}: {d.original} -> {d.migrated} '
                      f'({mark}): {d.reason}\n')
    if 'unexplained' in verdicts:
        return 'unexplained'
    return 'intended' if 'intended' in verdicts else 'same'


def _write(path, raw, text):
    """Keep the original bytes as PATH.orig (same permissions: it may
    hold a password), then replace PATH in place."""
    mode = os.stat(path).st_mode & 0o777
    descriptor = os.open(path + '.orig', os.O_WRONLY | os.O_CREAT |
                         os.O_EXCL, mode)
    with os.fdopen(descriptor, 'wb') as f:
        f.write(raw)
        f.flush()
        os.fsync(f.fileno())
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def run(path, schema='zodb', write=False, out=None, err=None):
    """``zeoconf migrate FILE``: return the exit code (0 or 1).

    Prints the migrated text on *out* (standard output by default), or
    with *write* replaces *path* and keeps the original as ``PATH.orig``
    (an existing ``PATH.orig`` is never overwritten). What changed, and
    whether both versions resolve to the same ClientStorage arguments,
    goes to *err* (standard error by default). *schema* is ``'zodb'``,
    ``'zope'``, the path of a schema file, or None to read a zope.conf
    (a ``<zodb_db>`` section or an ``instancehome`` key) with Zope's
    schema and anything else with ZODB's.

    Exit 1, with ``FILE:LINE: message`` on *err* and nothing on *out*,
    when the original does not parse with its own component, the result
    does not parse with zeoconf, or the two would not open the same
    storages (an unexplained difference).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        with open(path, 'rb') as f:
            raw = f.read()
        text = raw.decode('utf-8')
    except OSError as e:
        err.write(f'{path}: cannot read: {e.strerror or e}\n')
        return 1
    except UnicodeDecodeError:
        err.write(f'{path}: cannot read: not UTF-8 text\n')
        return 1
    migration = migrate_text(text)
    if not migration.changed:
        if migration.already_zeoconf:
            err.write(f'{path}: already uses zeoconf (%import zeoconf, no '
                      f'%import ZEO, no <zeoclient>): nothing to change\n')
        else:
            err.write(f'{path}: no %import ZEO and no <zeoclient> '
                      f'section: nothing to change\n')
        for number, target in migration.includes:
            err.write(f'{path}:{number}: %include {target}: included files '
                      f'are not looked at; migrate them on their own\n')
        if write:
            err.write(f'{path}: not written\n')
        else:
            out.write(text)
        return 0
    if write and os.path.lexists(path + '.orig'):
        err.write(f'{path}.orig already exists: not overwriting it (move it '
                  f'away to migrate {path} again)\n')
        return 1

    if schema is None:
        if looks_like_zope(text):
            schema = 'zope'
            err.write(f'reading {path} as a zope.conf (Zope\'s schema): it '
                      f'has a <zodb_db> section or instancehome\n')
        else:
            schema = 'zodb'
    try:
        schema_object = load_schema(schema)
    except ValueError as e:
        err.write(f'{path}: {e}\n')
        return 1
    url = pathlib.Path(os.path.abspath(path)).as_uri()
    secrets = _secrets(text)

    try:
        original = load(text, schema_object, url)
    except (Exception, SystemExit) as e:
        message = _failure(e, path, url, text, secrets)
        if schema == 'zodb' and ("'instancehome'" in message
                                 or "'zodb_db'" in message):
            message += ' (is this a zope.conf? use --schema zope)'
        err.write(message + '\n')
        return 1
    try:
        result, warnings = _load_migrated(migration.text, schema_object, url)
    except (Exception, SystemExit) as e:
        message = _failure(e, path, url, migration.text, secrets,
                           migration.line_map)
        err.write(f'{message} (after migration: zeoconf refuses it; '
                  f'{path} is unchanged)\n')
        return 1

    _say_changes(migration, path, err)
    for warning in warnings:
        err.write(f'{path}: zeoconf: '
                  f'{_scrub(_renumber(warning, migration.line_map), secrets)}'
                  f'\n')
    before, after = find_clients(original), find_clients(result)
    lines = _section_lines(before, text)
    differences = compare(before, after, lines)
    verdict = _say_comparison(differences, before, lines, path, err)
    if verdict == 'unexplained':
        err.write(f'{path}: not migrated: the result would not open the '
                  f'same storages as the original (see above)\n')
        return 1
    if not before:
        err.write(f'{path}: no ZEO client storage to compare\n')
    elif verdict == 'same':
        err.write(f'{path}: same: every ZEO client storage resolves to the '
                  f'same ClientStorage arguments after migration\n')
    else:
        err.write(f'{path}: same, but for the intended differences listed '
                  f'above\n')
    if write:
        try:
            _write(path, raw, migration.text)
        except OSError as e:
            err.write(f'{path}: cannot write: {e.strerror or e}\n')
            return 1
        err.write(f'{path}: written; the original is {path}.orig\n')
    else:
        out.write(migration.text)
    return 0
