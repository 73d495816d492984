"""``zeoconf migrate``: from ``%import ZEO`` and ``<zeoclient>`` to zeoconf.

- :func:`migrate_text` rewrites the text: ``%import ZEO`` becomes
  ``%import zeoconf``, ``<zeoclient>`` becomes ``<clientstorage>``, and
  the ``username``, ``password`` and ``realm`` lines (which ZEO ignores
  since 5.0) are dropped. Every other line is kept byte for byte.
- :func:`find_clients` and :func:`compare` are the proof: the original
  parsed with its own component and the result with zeoconf resolve to
  ClientStorage arguments that are compared, without connecting.
- :func:`migrate_file` is the command.

No password is ever shown: password lines are dropped by line number and
key name, and a ``%define`` only they used goes with them.
"""

import contextlib
import dataclasses
import inspect
import os
import pathlib
import re
import stat
import sys
import tempfile
from typing import NamedTuple

import ZConfig
from ZConfig.substitution import substitute

from zeoconf import loader, openers
from zeoconf.cli import common, hints, schemas
from zeoconf.cli.scanner import scan, split_lines
from zeoconf.cli.storages import clients, numbered, path_label
from zeoconf.datatypes import format_address
from zeoconf.loader import internal_error
from zeoconf.openers import ClientStorageOpener

__all__ = ['migrate_text', 'Migration', 'Dropped', 'Client', 'Difference',
           'find_clients', 'compare', 'run', 'migrate_file', 'add_arguments',
           'DROPPED_KEYS']

# Keys of ZODB's <zeoclient> that ZEO ignores since 5.0; the migration
# drops their lines.
DROPPED_KEYS = openers.AUTHENTICATION_KEYS

# Arguments ClientStorage takes and does nothing with (ZEO 5 and 6):
# those of the keys zeoconf ignores, min_disconnect_poll (which zeoconf
# reads as disconnect-poll) and credentials. disconnect_poll is one of
# them too, but zeoconf makes it take effect: it is compared on its own.
_IGNORED_ARGUMENTS = (*(key.replace('-', '_') for key in openers.IGNORED_KEYS),
                      'min_disconnect_poll', 'credentials')

# The order in which arguments are compared and reported.
_ORDER = ('addr', 'storage', 'name', 'cache', 'cache_size', 'blob_dir',
          'shared_blob_dir', 'blob_cache_size', 'blob_cache_size_check',
          'read_only', 'read_only_fallback', 'server_sync', 'wait_timeout',
          'disconnect_poll', 'wait', 'client_label', 'ssl',
          'ssl_server_hostname')

_WHY_DROPPED = 'ZEO ignores it since 5.0 (it authenticates with <ssl>)'
_WHY_VAR = ('ZEO ignores it without client, which names the cache file '
            'in it')


# The rewrite.

class Dropped(NamedTuple):
    """A line left out of the result: ``line`` (number in the original),
    ``key`` (``username``, ``password``, ``realm``, or ``%define NAME``
    for a definition only dropped lines used) and ``why``. Never the
    value."""

    line: int
    key: str
    why: str


@dataclasses.dataclass
class Migration:
    """What :func:`migrate_text` did.

    ``text`` is the migrated text; ``line_map`` gives, for each of its
    lines, the number in the original (None for an added import).
    ``already_zeoconf``: the text imports zeoconf, not ZEO, and has no
    ``<zeoclient>``. ``renamed`` and ``imports`` are the original lines of
    the ``<zeoclient>`` and ``%import ZEO`` lines rewritten;
    ``added_import`` the line before which ``%import zeoconf`` was added,
    or None. ``dropped`` lists :class:`Dropped` lines; ``kept_defines``
    ``(line, name, [lines using it])`` for a ``%define`` a dropped line
    used that others use too; ``includes`` ``(line, target)`` of
    ``%include`` lines, whose files are not rewritten.
    """

    text: str
    line_map: list
    changed: bool = False
    already_zeoconf: bool = False
    renamed: list = dataclasses.field(default_factory=list)
    imports: list = dataclasses.field(default_factory=list)
    added_import: int = None
    dropped: list = dataclasses.field(default_factory=list)
    kept_defines: list = dataclasses.field(default_factory=list)
    includes: list = dataclasses.field(default_factory=list)

    def original_line(self, number):
        """The original number of line *number* of :attr:`text` (None for
        the added ``%import zeoconf`` or out of range)."""
        if 1 <= number <= len(self.line_map):
            return self.line_map[number - 1]
        return None


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
    names = _Names()
    try:
        substitute(value, names)
    except ZConfig.ConfigurationError:
        return None
    return names.names


def _newline(text):
    """The line end *text* uses: ``\r\n`` or ``\n`` (ZConfig ends lines
    at ``\n`` only)."""
    found = re.search(r'\r?\n', text)
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
    lines = split_lines(text)       # numbered as scan() and ZConfig number
    imports = scanned.directives('import')
    zeo_imports = [line for line in imports if line.value.strip() == 'ZEO']
    has_zeoconf = any(line.value.strip() == 'zeoconf' for line in imports)
    zeoclients = [s for s in scanned.sections if s.type == 'zeoclient']
    includes = [(line.number, line.value.strip())
                for line in scanned.directives('include')]
    if not zeo_imports and not zeoclients:
        return Migration(text, list(range(1, len(lines) + 1)),
                         already_zeoconf=has_zeoconf, includes=includes)

    dropped = [Dropped(line.number, line.name, _WHY_DROPPED)
               for line in scanned.lines
               if line.kind == 'key' and line.name in DROPPED_KEYS
               and line.section is not None
               and line.section.type == 'zeoclient']
    # var names the directory of the cache file that client names:
    # without client, ZEO ignores it (zeoconf would check that it exists).
    for section in zeoclients:
        keys = [line for line in scanned.lines if line.section is section]
        if any(line.kind == 'directive' for line in keys) or any(
                line.kind == 'key' and line.name == 'client'
                for line in keys):
            continue
        dropped += [Dropped(line.number, 'var', _WHY_VAR) for line in keys
                    if line.kind == 'key' and line.name == 'var']
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
    by a dropped line that must stay (other lines use them too).

    Linear in the size of the file: every line's references are read
    once, and a count of the lines still using each definition says when
    the last one went."""
    defines = {}
    for line in scanned.directives('define'):
        defines.setdefault(line.value.split()[0].lower(), []).append(line)
    if not defines:
        return []
    refers = {}     # line number -> the define names it refers to
    uses = {}       # define name -> line numbers referring to it
    anything = set()    # lines ZConfig would not substitute: any name
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
            anything.add(line.number)
            continue
        refers[line.number] = names
        for name in names:
            uses.setdefault(name, set()).add(line.number)
    left = {name: len(where) for name, where in uses.items()}
    unread = [len(anything)]        # lines referring to any name, left
    wanted, todo = set(), set()

    def went(numbers):
        """Lines *numbers* are gone: what they used may be unused now."""
        for number in numbers:
            if number in anything:
                # Any name may be meant: every definition is wanted the
                # first time, and may go once the last such line went.
                if unread[0] == len(anything) or unread[0] == 1:
                    todo.update(defines)
                    wanted.update(defines)
                unread[0] -= 1
            for name in refers.get(number, ()):
                left[name] -= 1
                todo.add(name)
                wanted.add(name)

    went(gone)
    while todo:
        name = todo.pop()
        lines = [line for line in defines.get(name, ())
                 if line.number not in gone]
        if lines and not left.get(name) and not unread[0]:
            numbers = {line.number for line in lines}
            gone |= numbers
            dropped += [Dropped(line.number,
                                f'%define {line.value.split()[0]}',
                                'only the dropped lines used it')
                        for line in lines]
            went(numbers)
    kept = []
    for name in sorted(wanted):
        lines = [line for line in defines.get(name, ())
                 if line.number not in gone]
        if lines:
            users = sorted((uses.get(name, set()) | anything) - gone)
            kept.append((lines[0].number, lines[0].value.split()[0], users))
    return kept


# Finding the ZEO client storages of a parsed configuration.

class Client:
    """A ZEO client section of a parsed configuration.

    ``kind``: ``'zeoclient'`` (ZODB's), ``'ZEO'`` (``%import ZEO``'s
    ``<clientstorage>``) or ``'zeoconf'``; ``path``: the ``(type, name)``
    of each enclosing section, this one last; ``section``: the parsed
    section; ``label``: the path as people read it, numbered when alike.
    """

    def __init__(self, kind, path, section):
        self.kind, self.path, self.section = kind, tuple(path), section
        self.label = path_label(self.path)

    def kwargs(self):
        """The keyword arguments the section would open ClientStorage
        with, ``addr`` included, as its own component computes them;
        ``username``, ``password`` and ``realm`` left out (ClientStorage
        ignores them, and a password is never handed around)."""
        if self.kind == 'zeoconf':
            return self.section.kwargs()
        return _component_kwargs(self.kind, self.section)

    def __repr__(self):
        return f'<Client {self.kind} {self.label}>'


# Arguments the components of ZODB and ZEO pass only when set.
_WHEN_SET = ('blob_cache_size', 'blob_cache_size_check', 'client_label')


def _component_kwargs(kind, c):
    """What the ``open()`` of the section's own component passes to
    ClientStorage: ``ZODB.config.ZEOClient`` for a ``<zeoclient>``,
    ``ZEO.zconfig.ClientStorageConfig`` for ZEO's ``<clientstorage>``."""
    kwargs = {
        'addr': [server.address for server in c.server],
        'blob_dir': c.blob_dir, 'shared_blob_dir': c.shared_blob_dir,
        'storage': c.storage, 'cache_size': c.cache_size, 'name': c.name,
        'read_only': c.read_only, 'read_only_fallback': c.read_only_fallback,
    }
    kwargs.update((name, getattr(c, name)) for name in _WHEN_SET
                  if getattr(c, name) is not None)
    if kind == 'zeoclient':
        # ZODB passes its compatibility keys as they are.
        kwargs.update(
            client=c.client, var=c.var, wait=c.wait,
            min_disconnect_poll=c.min_disconnect_poll,
            max_disconnect_poll=c.max_disconnect_poll,
            drop_cache_rather_verify=c.drop_cache_rather_verify)
    else:
        kwargs.update(cache=c.cache_path, server_sync=c.server_sync,
                      wait_timeout=c.wait_timeout)
        if c.ssl:   # ZEO's <ssl> converts to (context, server_hostname)
            kwargs['ssl'], kwargs['ssl_server_hostname'] = c.ssl
    return kwargs


def find_clients(config):
    """Every ZEO client section of a parsed *config*, in the order the
    schema holds them (the same for the original and the migrated text,
    which differ only in section type names): a list of :class:`Client`.
    """
    found = []
    for path, section in clients(config):
        if isinstance(section, ClientStorageOpener):
            found.append(Client('zeoconf', path + (('clientstorage',
                                                    section.name),), section))
        else:
            kind = section.getSectionType()
            found.append(Client('zeoclient' if kind == 'zeoclient' else 'ZEO',
                                path + ((kind, section.getSectionName()),),
                                section))
    for client, label in zip(found, numbered([c.label for c in found])):
        client.label = label
    return found


# Comparing.

@dataclasses.dataclass
class Difference:
    """How the migrated section's ClientStorage *argument* compares with
    the original's.

    ``original`` and ``migrated`` are the values as text (never a
    password); ``reason`` says why they differ; ``effect`` is ``'same'``
    (written differently, the same for ClientStorage), ``'intended'``
    (zeoconf behaves differently by design) or ``'unexplained'`` (the
    migration would change what opens: it is refused). ``storage`` is the
    client's label, ``line`` the original line of its section when known.
    """

    storage: str
    argument: str
    original: str
    migrated: str
    reason: str
    effect: str
    line: int = None


def _defaults():
    """ClientStorage's own defaults (its constructor's signature), and the
    retry delay that applies when it drops ``disconnect_poll``."""
    from ZEO.ClientStorage import ClientStorage
    defaults = {name: p.default for name, p in inspect.signature(
        ClientStorage).parameters.items()
        if p.default is not inspect.Parameter.empty}
    return defaults, openers.ZEO_DISCONNECT_POLL


def _refused_by_zeo(client):
    """Whether ZEO itself refuses what *client*'s section passes: before
    5.4, ClientStorage asserts that a username comes with a password (or
    a realm). Asked of the installed ZEO, with a storage that waits for no
    server and is closed at once."""
    if client.kind != 'zeoclient':
        return False
    c = client.section
    if not c.username or c.password or c.realm:
        return False
    from ZEO.ClientStorage import ClientStorage
    try:
        storage = ClientStorage(('127.0.0.1', 9), username=c.username,
                                wait=False)
    except AssertionError:
        return True
    storage.close()
    return False


def _stricter(setting, before, after):
    """Whether *after* asks at least what *before* does of a peer: a
    higher minimum TLS version, more verify flags or options."""
    if setting == 'minimum_version':
        return after > before
    if setting in ('verify_flags', 'options'):
        return after & before == before
    return False


def _ssl_settings(context):
    """An ``SSLContext`` as the settings that decide what it accepts."""
    return {
        'verify_mode': context.verify_mode.name,
        'check_hostname': context.check_hostname,
        'minimum_version': context.minimum_version,
        'maximum_version': context.maximum_version,
        'verify_flags': int(context.verify_flags),
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

        addr = self.addr = list(kwargs['addr'])
        storage = get('storage')
        blob_dir, shared = get('blob_dir'), bool(get('shared_blob_dir'))
        cache = get('cache')
        self.cache_from = None
        if cache is None and get('client'):
            cache = openers.cache_file(get('client'), get('var'), storage)
            self.cache_from = (get('client'), get('var'))
        blob_cache_size = get('blob_cache_size')
        if blob_dir is None or shared:
            blob_cache_size = None      # never used then
        fallback = bool(get('read_only_fallback'))
        ssl = get('ssl')
        hostname = get('ssl_server_hostname')
        # ZConfig lowercases the host of ZODB's and ZEO's server key, and
        # host names ignore case: compared in lower case.
        folded = [(a[0].lower(),) + tuple(a[1:]) if isinstance(a, tuple)
                  else a for a in addr]
        self.effective = {
            'addr': [format_address(a) for a in folded],
            'storage': storage,
            'name': get('name') or str(folded),
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
            'wait_timeout': get('wait_timeout') or openers.ZEO_WAIT_TIMEOUT,
            'disconnect_poll': (get('disconnect_poll') if honours_poll
                                else thread_poll),
            'wait': bool(get('wait')),
            'client_label': get('client_label'),
            'ssl': _ssl_settings(ssl) if ssl is not None else None,
            # With TLS, a name to check per address: the one given, else
            # the host of the address (what asyncio does).
            'ssl_server_hostname': (
                [hostname or (a[0] if isinstance(a, tuple) else None)
                 for a in folded] if ssl is not None else None),
        }
        for name in kwargs:
            if (name not in self.effective and name not in
                    _IGNORED_ARGUMENTS and name not in ('client', 'var')):
                self.effective[name] = get(name)

    def given_text(self, name):
        if name == 'ssl':
            return 'an SSLContext' if self.given.get('ssl') else 'none'
        if name == 'addr':
            return ', '.join(map(format_address, self.addr))
        if name not in self.given:
            return f'not given ({self.defaults.get(name)!r})'
        return repr(self.given[name])


def _path_same(a, b):
    if a is None or b is None:
        return a is b
    return os.path.abspath(a) == os.path.abspath(b)


def _compare_one(original, migrated, origin, label, line, defaults,
                 thread_poll, leave_out=()):
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

    names = [name for name in list(_ORDER) + sorted(
        (set(was.effective) | set(now.effective)) - set(_ORDER))
        if name not in leave_out]
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
        if name == 'addr' and was.addr != now.addr:
            note('addr', 'the host names differ in case only: ZConfig '
                 'lowercases the host of a server address, and host names '
                 'ignore case: the same servers (a storage name made of '
                 'the addresses differs in case only too)')
        if name == 'cache' and was.cache_from:
            client, var = was.cache_from
            note('cache', f"{origin} passes client {client!r} and var "
                 f"{var!r}; ClientStorage makes the cache file "
                 f"{before!r} of them (VAR/CLIENT-STORAGE.zec, the "
                 f"working directory when var is not given); zeoconf "
                 f"passes that file as cache",
                 before=f'client={client!r} var={var!r}',
                 after=repr(after))
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
        if all(_stricter(k, before[k], after[k]) for k in differing):
            effect = 'intended'
            reason = (f'zeoconf\'s SSLContext is stricter than {origin}\'s, '
                      f'as intended: {reason}')
        return Difference(label, name, 'an SSLContext', 'an SSLContext',
                          reason, effect, line)
    return Difference(label, name, shown(before), shown(after), reason,
                      effect, line)


_ORIGIN = {'zeoclient': "ZODB's <zeoclient>",
           'ZEO': "ZEO's <clientstorage>",
           'zeoconf': 'zeoconf'}


def compare(original, migrated, lines=None, leave_out=()):
    """Compare the :class:`Client` lists of the original and the migrated
    configuration (matched in order); return a list of
    :class:`Difference`. *lines* gives, per original client, the line of
    its section (or None); the ClientStorage arguments named in
    *leave_out* are not compared."""
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
                              before.label, line, defaults, thread_poll,
                              leave_out)
    return found


# The command.

# The first lines of files that tools generate, and what regenerates them.
_GENERATED = (
    ("# Generated from template; don't edit manually!",
     'plone.recipe.zope2instance', 'the next buildout run'),
    ('# This file was generated by "cookiecutter-zope-instance"',
     'cookiecutter-zope-instance', 'the next cookiecutter run'),
)


def _generated(text):
    """``(line, generator, what overwrites it)`` when *text* is a file a
    known tool generated (its header among the first lines), else
    None."""
    for number, line in enumerate(text.splitlines()[:5], 1):
        for header, generator, when in _GENERATED:
            if line.strip() == header:
                return number, generator, when
    return None


def _section_line(loaded, client, lines):
    """The line where *client*'s section opens in the file *loaded* read
    (None when it stands in an included file): the section holding its
    keys, which the loader located. *lines* is the scan of the file."""
    section = client.section
    if client.kind == 'zeoconf':
        section = section.config
    found = [number for where in loaded.loader.positions(section).values()
             for number, url in where if url == loaded.url]
    holder = lines.section_at(min(found)) if found else None
    return holder.start if holder else None


def _renumber(message, migration):
    """*message* of a parse of the migrated text, with its ``line N``
    references turned into the original's line numbers."""
    def original(found):
        number = int(found.group(2))
        return f'{found.group(1)}{migration.original_line(number) or number}'
    return re.sub(r'(\bline )(\d+)', original, message)


def _in_original(error, migration, url):
    """*error* of a parse of the migrated text, located in the original
    (an error in an included file is left as it is)."""
    if getattr(error, 'url', None) not in (None, url):
        return error
    message = _renumber(error.message, migration)
    lineno = getattr(error, 'lineno', None)
    if not lineno:
        return ZConfig.ConfigurationError(message, url)
    return ZConfig.ConfigurationSyntaxError(
        message, url, migration.original_line(lineno) or lineno)


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
        verdict = _worst(d.effect for d in found)
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
    return _worst(verdicts)


def _worst(effects):
    """'unexplained', 'intended' or 'same': the worst of *effects*."""
    effects = set(effects)
    for effect in ('unexplained', 'intended'):
        if effect in effects:
            return effect
    return 'same'


class _NotWritten(Exception):
    """The file could not be written; ``intact`` is False only when a
    rewrite in place failed half way and could not be undone."""

    def __init__(self, message, intact=True):
        super().__init__(message)
        self.message, self.intact = message, intact


def _state(path):
    """``(device, inode, size, mtime)`` of *path*'s target, which change
    when the file does; None when it cannot be looked at."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _remove(path):
    with contextlib.suppress(OSError):
        os.unlink(path)


def _fsync_directory(directory):
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_all(descriptor, data, offset=0):
    view = memoryview(data)
    while view:
        done = os.pwrite(descriptor, view, offset)
        offset += done
        view = view[done:]


def _temporary(path, data, mode):
    """A new file beside *path* holding *data*, on disk, with *mode*: its
    name and open descriptor. Removed when writing fails."""
    directory, name = os.path.split(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(
        dir=directory, prefix=f'.{name}.', suffix='.zeoconf-tmp')
    try:
        _write_all(descriptor, data)
        os.fsync(descriptor)
        os.fchmod(descriptor, mode)
    except BaseException:
        os.close(descriptor)
        _remove(temporary)
        raise
    return temporary, descriptor


def _create(path, data, mode):
    """Create *path*, which must not exist, holding *data* whole or not
    at all: a temporary file linked to its name (a link never replaces
    a file)."""
    temporary, descriptor = _temporary(path, data, mode)
    os.close(descriptor)
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:
            # A file system without hard links: rename, after a look.
            if os.path.lexists(path):
                raise FileExistsError(path) from None
            os.rename(temporary, path)
    finally:
        _remove(temporary)
    _fsync_directory(os.path.dirname(os.path.abspath(path)))


def _replace(target, data, st):
    """Replace *target* by a new file holding *data*, with its mode and
    owner; False (and nothing changed) when the owner cannot be kept or
    no file can be created beside it."""
    mode = stat.S_IMODE(st.st_mode)
    try:
        temporary, descriptor = _temporary(target, data, mode)
    except PermissionError:
        return False
    try:
        made = os.fstat(descriptor)
        if (made.st_uid, made.st_gid) != (st.st_uid, st.st_gid):
            try:
                os.fchown(descriptor, st.st_uid, st.st_gid)
                os.fchmod(descriptor, mode)     # chown may clear setuid
            except PermissionError:
                _remove(temporary)
                return False
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise
    finally:
        os.close(descriptor)
    _fsync_directory(os.path.dirname(target))
    return True


def _rewrite(target, data, old):
    """Write *data* over *target* in place (its inode stays: hard links
    see the change), growing the file first so that a full disk fails
    before anything is overwritten; on failure, put *old* back."""
    descriptor = os.open(target, os.O_WRONLY)
    try:
        if len(data) > len(old):
            try:
                _write_all(descriptor, data[len(old):], len(old))
                os.fsync(descriptor)
            except OSError as e:
                os.ftruncate(descriptor, len(old))
                raise _NotWritten(e.strerror or str(e)) from None
        try:
            _write_all(descriptor, data[:len(old)], 0)
            os.ftruncate(descriptor, len(data))
            os.fsync(descriptor)
        except OSError as e:
            try:
                _write_all(descriptor, old, 0)
                os.ftruncate(descriptor, len(old))
                os.fsync(descriptor)
            except OSError:
                raise _NotWritten(e.strerror or str(e),
                                  intact=False) from None
            raise _NotWritten(e.strerror or str(e)) from None
    finally:
        os.close(descriptor)


def _write(path, original, text, read_state):
    """Keep *original* as PATH.orig, byte for byte, with the file's
    permissions (it may hold a password), then put *text* in PATH.

    PATH is written through a symlink to its target, keeps its mode and
    owner, and is never left cut short: the new text goes to a temporary
    file beside it that replaces it at once, or, for a file with several
    hard links (all of which must see the change), over it in place
    after the file was grown to its new size. Raises :class:`_NotWritten`
    (then PATH.orig is removed again unless PATH may be damaged) or
    ``FileExistsError`` for PATH.orig."""
    target = os.path.realpath(path)
    old, new = original.encode('utf-8'), text.encode('utf-8')
    try:
        st = os.stat(target)
        with open(target, 'rb') as f:
            now = f.read(len(old) + 1)
    except OSError as e:
        raise _NotWritten(f'cannot read it again: {e.strerror or e}') \
            from None
    if _state(target) != read_state or now != old:
        raise _NotWritten('it changed on disk while zeoconf migrate ran; '
                          'run it again')
    backup = path + '.orig'
    try:
        _create(backup, old, stat.S_IMODE(st.st_mode) & 0o777)
    except FileExistsError:
        raise
    except OSError as e:
        raise _NotWritten(f'cannot write {backup}: {e.strerror or e}') \
            from None
    try:
        if st.st_nlink > 1 or not _replace(target, new, st):
            _rewrite(target, new, old)
    except _NotWritten as e:
        if e.intact:
            _remove(backup)
        raise
    except OSError as e:
        _remove(backup)
        raise _NotWritten(e.strerror or str(e)) from None


def add_arguments(parser):
    """The arguments of ``zeoconf migrate`` on the argparse *parser*."""
    parser.add_argument('file', metavar='FILE', help='a configuration file')
    parser.add_argument('--schema', help=common.SCHEMA_HELP)
    parser.add_argument('--write', action='store_true',
                        help='replace FILE, keeping the original as '
                             'FILE.orig (default: print the result)')
    parser.add_argument('--offline', action='store_true',
                        help='review a file meant for another machine: look '
                             'at nothing on this one (TLS files, cache and '
                             'blob directories, password functions); the '
                             '<ssl> settings are then not compared')


_OFFLINE_NOTE = ('offline: not looked at on this machine: the TLS files '
                 '(certificate, key, authenticate), the cache-path, '
                 'blob-dir and var directories, the password-function (not '
                 'imported)')


def _ssl_lines(scanned):
    """``{line: ''}`` for every line of an ``<ssl>`` section in a ZEO
    ``<clientstorage>``: ZEO's component reads the TLS files when it
    parses them, which an offline review must not do."""
    blank = {}
    for section in scanned.sections:
        if (section.type == 'ssl' and section.parent is not None
                and section.parent.type == 'clientstorage'):
            end = section.end or section.start
            blank.update((number, '') for number in
                         range(section.start, end + 1))
    return blank


NAME = 'migrate'
HELP = 'move a file from %%import ZEO or <zeoclient> to zeoconf'
DESCRIPTION = (
    'Turn %import ZEO into %import zeoconf and <zeoclient> into '
    '<clientstorage>, keeping every other line; drop username, password '
    'and realm (ZEO ignores them). Parse the original with its own '
    'component and the result with zeoconf, and say on standard error '
    'whether both resolve to the same ClientStorage arguments. See '
    'docs/migrate.md.')
EXIT_CODES = ('migrated (or nothing to migrate), and both versions resolve '
              'to the same ClientStorage arguments',
              'the original does not parse, the result does not, or they '
              'differ in a way that is not explained')


def run(args, out):
    """``zeoconf migrate``, from the parsed command line."""
    return migrate_file(args.file, args.schema, args.write, out=out,
                        err=common.Escaping(sys.stderr),
                        offline=args.offline)


def migrate_file(path, schema=None, write=False, out=None, err=None,
                 offline=False):
    """``zeoconf migrate FILE``: return the exit code (0 or 1).

    Prints the migrated text on *out* (standard output by default), or
    with *write* replaces *path* and keeps the original as ``PATH.orig``
    (an existing ``PATH.orig`` is never overwritten). What changed, and
    whether both versions resolve to the same ClientStorage arguments,
    goes to *err* (standard error by default). *schema* is ``'zodb'``,
    ``'zope'``, the path of a schema file, or None to choose by what the
    file reads like (:func:`zeoconf.schemas.choose`).

    Exit 1, with ``FILE:LINE: message`` on *err* and nothing on *out*,
    when the file cannot be read, the original does not parse with its
    own component, the result does not parse with zeoconf, or the two
    would not open the same storages (an unexplained difference).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    read_state = _state(path)
    try:
        text = loader.read_text(path)
    except ZConfig.ConfigurationError as e:
        err.write(f'{e.message}\n')     # it names the file
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
        err.write(f'{_orig_exists(path)}\n')
        return 1

    try:
        schema, note = schemas.choose(schema, text, offline)
    except ZConfig.ConfigurationError as e:
        err.write(f'{path}: {e.message}\n')
        return 1
    if note:
        err.write(f'{path}: {note}\n')
    url = pathlib.Path(os.path.abspath(path)).as_uri()
    scanned = scan(text)
    blank = _ssl_lines(scanned) if offline else {}
    reading = loader.Loader(schema, {url: blank})
    try:
        original = loader.load_text(text, schema, url, reading)
    except ZConfig.ConfigurationError as e:
        empty = _empty_ssl(scanned, getattr(e, 'lineno', None))
        if empty is None:
            err.write(common.describe(hints.explain(e, reading.texts), path)
                      + '\n')
            return 1
        # ZEO's component refuses the empty <ssl> its documentation shows;
        # zeoconf reads it as documented. Nothing to compare with.
        err.write(f'{path}:{empty}: the original never opens: ZEO\'s '
                  f'component refuses an empty <ssl> (its documentation '
                  f'shows one); zeoconf reads it as documented: TLS, the '
                  f'server verified against the system\'s CAs\n')
        original = None
    except Exception as e:      # a bug of zeoconf's, named by its type
        err.write(f'{path}: {internal_error(e)}\n')
        return 1
    try:
        with common.collecting_warnings() as warnings:
            result = loader.load_text(migration.text, schema, url)
    except ZConfig.ConfigurationError as e:
        err.write(f'{common.describe(_in_original(e, migration, url), path)}'
                  f' (after migration: zeoconf refuses it; {path} is '
                  f'unchanged)\n')
        return 1
    except Exception as e:      # a bug of zeoconf's, named by its type
        err.write(f'{path}: {internal_error(e)}\n')
        return 1

    _say_changes(migration, path, err)
    generated = _generated(text)
    if generated:
        number, generator, when = generated
        err.write(f'{path}:{number}: warning: {generator} generated this '
                  f'file: {when} overwrites the change; carry it into '
                  f'the settings {generator} reads (see docs/migrate.md)\n')
    for warning in warnings:
        err.write(f'{path}: zeoconf: {_renumber(warning, migration)}\n')
    if original is None:
        return _finish(path, text, migration, write, out, err, read_state)
    before, after = find_clients(original.config), find_clients(result.config)
    lines = [_section_line(original, client, scanned) for client in before]
    leave_out = ('ssl', 'ssl_server_hostname') if offline else ()
    differences = compare(before, after, lines, leave_out)
    verdict = _say_comparison(differences, before, lines, path, err)
    for client, line in zip(before, lines):
        if _refused_by_zeo(client):
            where = f'{path}:{line}' if line else path
            err.write(f'{where}: {client.label}: the original never opens '
                      f'on the installed ZEO: ZEO before 5.4 refuses a '
                      f'username without a password; the migrated file '
                      f'drops both and opens\n')
    if offline:
        err.write(f'{path}: {_OFFLINE_NOTE}; not compared: ssl and '
                  f'ssl_server_hostname (the SSLContext needs the TLS '
                  f'files)\n')
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
    return _finish(path, text, migration, write, out, err, read_state)


def _orig_exists(path):
    return (f'{path}.orig already exists: not overwriting it (move it away '
            f'to migrate {path} again)')


def _finish(path, text, migration, write, out, err, read_state):
    """Write the migrated text to *path* (unless it changed since
    *read_state*) or print it on *out*."""
    if write:
        try:
            _write(path, text, migration.text, read_state)
        except FileExistsError:
            err.write(f'{_orig_exists(path)}; {path} is unchanged\n')
            return 1
        except _NotWritten as e:
            if e.intact:
                err.write(f'{path}: not written: {e.message}; {path} is '
                          f'unchanged\n')
            else:
                err.write(f'{path}: writing failed half way: {e.message}; '
                          f'{path} may be damaged: the original is '
                          f'{path}.orig\n')
            return 1
        err.write(f'{path}: written; the original is {path}.orig\n')
    else:
        out.write(migration.text)
    return 0


def _empty_ssl(scanned, lineno):
    """The line of the empty ``<ssl>`` of ZEO's ``<clientstorage>`` that
    holds *lineno*, or None."""
    for section in scanned.sections:
        if (section.type == 'ssl' and lineno is not None
                and section.start <= lineno <= (section.end or lineno)
                and not scanned.keys(section)):
            return section.start
    return None
