"""``zeoconf migrate``: from ``%import ZEO`` and ``<zeoclient>`` to zeoconf.

:func:`migrate_text` rewrites the text, keeping every other line byte for
byte; :func:`compare` proves, without connecting, that the original parsed
with its own component and the result parsed with zeoconf give
ClientStorage the same arguments; :func:`migrate_file` is the command. No
password is ever shown: password lines are dropped by line number and key
name, and a ``%define`` only they used goes too.
"""

import dataclasses
import inspect
import io
import os
import re
import stat
import sys
from typing import NamedTuple

from zeoconf import openers
from zeoconf.cli import common, files, hints
from zeoconf.cli.scanner import Scans, fed, references
from zeoconf.cli.storages import clients
from zeoconf.datatypes import format_address
from zeoconf.loader import internal_error
from zeoconf.openers import AUTHENTICATION_KEYS

# Arguments ClientStorage takes and ignores: those of the keys zeoconf
# ignores, and min_disconnect_poll (zeoconf's disconnect-poll).
_IGNORED_ARGUMENTS = (*(key.replace('-', '_') for key in openers.IGNORED_KEYS),
                      'min_disconnect_poll')

# The keys of a <zeoclient> that the migration looks at.
_LOOKED_AT = frozenset({*AUTHENTICATION_KEYS, 'var', 'client'})

_WHY_DROPPED = 'ZEO ignores it since 5.0 (it authenticates with <ssl>)'
_WHY_VAR = ('ZEO ignores it without client, which names the cache file '
            'in it')


# The rewrite.

class Dropped(NamedTuple):
    """A line left out of the result: ``line`` (number in the original),
    ``key`` (``username``, ``password``, ``realm``, ``var``, or ``%define
    NAME`` for a definition only dropped lines used) and ``why``. Never
    the value."""

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
        """The original number of line *number* of :attr:`text`, or None."""
        if 1 <= number <= len(self.line_map):
            return self.line_map[number - 1]
        return None


def migrate_text(text, scans=None):
    """Rewrite configuration *text* for zeoconf; return a :class:`Migration`.

    Pure: reads no file, parses nothing, never raises for any text. A text
    that already uses zeoconf, or has neither ``%import ZEO`` nor
    ``<zeoclient>``, comes back unchanged, unless a ``<clientstorage>``
    holds an authentication key, which is dropped. *scans*: the
    ``zeoconf.cli.scanner.Scans`` of the command run, or None.
    """
    scanned = (Scans() if scans is None else scans)[text]
    # The lines as scan() and ZConfig number them: a form feed, a lone \r
    # or a Unicode line separator ends none.
    lines = io.StringIO(text).readlines()
    imports = scanned.directives('import')
    zeo_imports = [line.number for line in imports
                   if line.value.strip() == 'ZEO']
    has_zeoconf = any(line.value.strip() == 'zeoconf' for line in imports)
    includes = [(line.number, line.value.strip())
                for line in scanned.directives('include')]
    # Each <zeoclient> section: the lines looked at below, and only those
    # (a section may hold millions of lines).
    zeoclients = {}
    # zeoconf's <clientstorage> takes the authentication keys too, and
    # ignores them as ZEO does: they go, with the password.
    dropped = []
    for line in scanned.lines:
        if line.section is None:
            continue
        if line.section.type == 'zeoclient' and (
                line.kind in ('directive', 'open', 'close', 'empty')
                or line.kind == 'key' and line.name in _LOOKED_AT):
            zeoclients.setdefault(line.section, []).append(line)
        elif (line.section.type == 'clientstorage' and line.kind == 'key'
                and line.name in AUTHENTICATION_KEYS):
            dropped.append(Dropped(line.number, line.name, _WHY_DROPPED))
    if not zeo_imports and not zeoclients and not dropped:
        return Migration(text, list(range(1, len(lines) + 1)),
                         already_zeoconf=has_zeoconf, includes=includes)

    for inside in zeoclients.values():
        # var names the directory of the cache file that client names:
        # without client (which a directive might set), ZEO ignores it,
        # and zeoconf would check that the directory exists.
        keep_var = any(line.kind == 'directive' or (
            line.kind == 'key' and line.name == 'client') for line in inside)
        for line in inside:
            if line.kind == 'key' and line.name in AUTHENTICATION_KEYS:
                dropped.append(Dropped(line.number, line.name, _WHY_DROPPED))
            elif line.kind == 'key' and line.name == 'var' and not keep_var:
                dropped.append(Dropped(line.number, 'var', _WHY_VAR))
            elif line.kind in ('open', 'close', 'empty'):
                lines[line.number - 1] = re.sub(
                    r'(<\s*/?\s*)zeoclient', r'\1clientstorage',
                    lines[line.number - 1], count=1, flags=re.IGNORECASE)
    for number in zeo_imports:      # ZEO is the line's only word but import
        lines[number - 1] = lines[number - 1].replace('ZEO', 'zeoconf')
    gone = {d.line for d in dropped}
    kept_defines = _drop_definitions(scanned, dropped, gone)

    added_import = None
    if not zeo_imports and not has_zeoconf:
        # Before the first line that is not a comment or blank: after the
        # comment block that usually opens a file.
        added_import = next(line.number for line in scanned.lines
                            if line.kind not in ('comment', 'blank'))
    found = re.search(r'\r?\n', text)     # ZConfig ends lines at \n only
    newline = found.group(0) if found else '\n'
    result, line_map = [], []
    for number, raw in enumerate(lines, 1):
        if number == added_import:
            result.append('%import zeoconf' + newline)
            line_map.append(None)
        if number not in gone:
            result.append(raw)
            line_map.append(number)
    return Migration(
        ''.join(result), line_map, changed=True,
        renamed=[section.start for section in zeoclients],
        imports=zeo_imports, added_import=added_import,
        dropped=sorted(dropped, key=lambda d: d.line),
        kept_defines=kept_defines, includes=includes)


def _drop_definitions(scanned, dropped, gone):
    """Drop (add to *dropped* and *gone*) every ``%define`` that only
    dropped lines use, directly or through other definitions: its value
    may be the password. Return ``(line, name, users)`` of those that a
    dropped line uses and others too. Linear in the lines."""
    defines = {}
    for line in scanned.directives('define'):
        defines.setdefault(line.value.split()[0].lower(), []).append(line)
    if not defines:
        return []
    reached, _ = fed(scanned.lines, lambda line: line.number in gone)
    maybe = {line.number for name in reached for line in defines.get(name, ())}
    kept, _ = fed(scanned.lines, lambda line: line.number not in gone
                  and line.number not in maybe)
    for name in reached - kept:
        for line in defines.get(name, ()):
            gone.add(line.number)
            dropped.append(Dropped(line.number,
                                   f'%define {line.value.split()[0]}',
                                   'only the dropped lines used it'))
    users = {}      # name (None: any name) -> the lines using it
    for line in scanned.lines:
        names, _, readable = references(line)
        for name in names if readable else [None]:
            users.setdefault(name, []).append(line.number)
    anywhere = users.get(None, [])
    any_gone = any(number in gone for number in anywhere)
    return [(lines[0].number, lines[0].value.split()[0],
             sorted(set(users.get(name, []) + anywhere) - gone))
            for name, lines in defines.items()
            if lines[0].number not in gone and (any_gone or any(
                number in gone for number in users.get(name, ())))]


# What each component passes ClientStorage.

def _kwargs(client):
    """The keyword arguments the section of *client*, a
    ``storages.Client``, opens ClientStorage with, ``addr`` included:
    zeoconf's ``kwargs()``, or what the ``open()`` of
    ``ZODB.config.ZEOClient`` or ``ZEO.zconfig.ClientStorageConfig``
    passes, but ``username``, ``password`` and ``realm`` (ClientStorage
    ignores them, and a password is never handed around)."""
    c = client.section
    if client.kind == 'zeoconf':
        return c.kwargs()
    kwargs = {
        'addr': [server.address for server in c.server],
        'blob_dir': c.blob_dir, 'shared_blob_dir': c.shared_blob_dir,
        'storage': c.storage, 'cache_size': c.cache_size,
        'name': c.name, 'read_only': c.read_only,
        'read_only_fallback': c.read_only_fallback,
    }
    for name in ('blob_cache_size', 'blob_cache_size_check',
                 'client_label'):
        if getattr(c, name) is not None:    # passed only when set
            kwargs[name] = getattr(c, name)
    if client.kind == 'zeoclient':
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


# Comparing.

@dataclasses.dataclass
class Difference:
    """How the migrated section's ClientStorage *argument* compares with
    the original's: ``original`` and ``migrated`` as text (never a
    password), ``reason``, and ``effect``: ``'same'`` (written
    differently, the same for ClientStorage), ``'intended'`` (zeoconf
    differs by design) or ``'unexplained'`` (the migration is refused).
    ``storage`` is the client's label, ``line`` that of its section."""

    storage: str
    argument: str
    original: str
    migrated: str
    reason: str
    effect: str
    line: int = None


# The arguments compared, in the order they are reported.
_COMPARED = ('addr', 'storage', 'name', 'cache', 'cache_size', 'blob_dir',
             'shared_blob_dir', 'blob_cache_size', 'blob_cache_size_check',
             'read_only', 'read_only_fallback', 'server_sync',
             'wait_timeout', 'disconnect_poll', 'wait', 'client_label',
             'ssl', 'ssl_server_hostname')

# Why an argument written differently on each side has the same effect:
# str.format() of origin, was and now (the arguments each side gives) and
# before (what the original's comes to).
_SAME_EFFECT = {
    'addr': 'the host names differ in case only: ZConfig lowercases the '
            'host of a server address, and host names ignore case: the '
            'same servers (a storage name made of the addresses differs in '
            'case only too)',
    'cache': "{origin} passes client {was[client]!r} and var {was[var]!r}; "
             'ClientStorage makes the cache file {before!r} of them '
             '(VAR/CLIENT-STORAGE.zec, the working directory when var is '
             'not given); zeoconf passes that file as cache',
    'blob_cache_size': "ZEO ignores blob-cache-size with shared-blob-dir "
                       "(the blobs are the server's own and no client trims "
                       'them); zeoconf leaves it out, with a warning',
    'read_only': 'read-only-fallback is true, so read-only is not used by '
                 'ClientStorage on either side',
    'wait_timeout': '{origin} does not pass wait_timeout; ClientStorage then '
                    "waits {before:g} seconds, as zeoconf's default does",
    'ssl': 'two SSLContext objects, compared by their settings '
           '(verification mode, host name check, TLS versions, flags, '
           'options, CA certificates, ciphers): the same. The client '
           'certificate and key come from the same <ssl> lines on both '
           'sides (a context does not show which certificate it holds).',
    'ssl_server_hostname': '{origin} passes {was[ssl_server_hostname]!r}, so '
                           'each connection checks the host of its address; '
                           'zeoconf passes that host: '
                           '{now[ssl_server_hostname]}',
}


def _ssl_settings(context):
    """An ``SSLContext`` as the settings that decide what it accepts."""
    return {
        'verify_mode': context.verify_mode.name,
        'check_hostname': context.check_hostname,
        'minimum_version': context.minimum_version,
        'maximum_version': context.maximum_version,
        'verify_flags': int(context.verify_flags),
        'options': int(context.options),
        'ca_certificates': sorted(str(sorted(c.get('subject', ())))
                                  for c in context.get_ca_certs()),
        'ciphers': [c['name'] for c in context.get_ciphers()],
        'hostname_checks_common_name': context.hostname_checks_common_name,
    }


def _view(kind, given, defaults):
    """What ClientStorage makes of the arguments a section of *kind*
    gives (the others are its *defaults*): ``{argument: value}``."""
    a = {**defaults, **given}
    # ZConfig lowercases the host of ZODB's and ZEO's server key, and
    # host names ignore case: compared in lower case.
    addr = [(x[0].lower(), *x[1:]) if isinstance(x, tuple) else x
            for x in a['addr']]
    if a['cache'] is None and a['client']:
        a['cache'] = openers.cache_file(a['client'], a['var'], a['storage'])
    if a['blob_dir'] is None or a['shared_blob_dir']:
        a['blob_cache_size'] = None     # only a private blob cache is trimmed
    if a['blob_cache_size'] is None:
        a['blob_cache_size_check'] = None
    if a['read_only_fallback']:
        a['read_only'] = None
    if kind != 'zeoconf':   # ClientStorage drops it; zeoconf does not
        a['disconnect_poll'] = openers.ZEO_DISCONNECT_POLL
    if a['ssl'] is not None:
        a['ssl'] = _ssl_settings(a['ssl'])
        # The name each address is checked against: the one given, else
        # the host of the address (what asyncio does).
        a['ssl_server_hostname'] = [
            a['ssl_server_hostname'] or (x[0] if isinstance(x, tuple)
                                         else None) for x in addr]
    a.update(addr=[format_address(x) for x in addr],
             name=a['name'] or str(addr),
             wait_timeout=a['wait_timeout'] or openers.ZEO_WAIT_TIMEOUT)
    return {name: a[name] for name in _COMPARED}


def _shown(name, value):
    """An argument's value as the report shows it."""
    if name == 'ssl':
        return 'none' if value is None else 'an SSLContext'
    if name == 'addr':
        return ', '.join(map(format_address, value))
    return repr(value)


def _as_given(given, defaults, name):
    """Argument *name* as a section's component gives it, for a note."""
    if name == 'cache' and given.get('client') and given.get(name) is None:
        return f"client={given['client']!r} var={given['var']!r}"
    if name not in given:
        return f'not given ({defaults[name]!r})'
    return _shown(name, given[name])


def _same(name, before, after):
    if name in ('cache', 'blob_dir') and None not in (before, after):
        return os.path.abspath(before) == os.path.abspath(after)
    return before == after


def _stricter(setting, before, after):
    """Whether *after* asks at least what *before* does of a peer: a
    higher minimum TLS version, more verify flags or options."""
    if setting == 'minimum_version':
        return after > before
    if setting in ('verify_flags', 'options'):
        return after & before == before
    return False


def _explain(name, before, after, written, origin):
    """``(effect, reason)`` for an argument whose effect differs."""
    if name == 'disconnect_poll':
        return 'intended', (
            f'ClientStorage drops disconnect_poll (and ignores '
            f'min_disconnect_poll), so {origin} retries an unreachable '
            f'server every {before!r} s plus up to 1 s; zeoconf makes the '
            f'configured {after!r} s take effect (min-disconnect-poll means '
            f'disconnect-poll)')
    if (name in ('cache', 'blob_dir') and isinstance(written, str)
            and written.startswith('~')
            and _same(name, os.path.expanduser(written), after)):
        return 'intended', (
            f"{origin} takes {written!r} literally (a directory named '~' "
            f"in the working directory); zeoconf expands ~ to the home "
            f"directory")
    if name == 'ssl' and None not in (before, after):
        differing = sorted(k for k in before if before[k] != after[k])
        reason = (f'the SSLContexts differ in {", ".join(differing)}: '
                  f'{origin}: ' + '; '.join(
                      f'{k}={before[k]!r}' for k in differing) +
                  '; zeoconf: ' + '; '.join(
                      f'{k}={after[k]!r}' for k in differing))
        if all(_stricter(k, before[k], after[k]) for k in differing):
            return 'intended', (f"zeoconf's SSLContext is stricter than "
                                f"{origin}'s, as intended: {reason}")
        return 'unexplained', reason
    return 'unexplained', (
        f'{origin} resolves to {_shown(name, before)}, zeoconf to '
        f'{_shown(name, after)}: the migrated file would not open the same '
        f'storage')


def compare(original, migrated, lines=None, leave_out=()):
    """The :class:`Difference` list of two ``storages.clients()``, matched
    in order; *lines*: the line of each original's section (or None);
    *leave_out*: arguments not compared."""
    if len(original) != len(migrated) or any(
            [t for t, _ in a.path[:-1]] != [t for t, _ in b.path[:-1]]
            for a, b in zip(original, migrated)):
        return [Difference(
            'the file', 'storages',
            ', '.join(c.label for c in original) or 'none',
            ', '.join(c.label for c in migrated) or 'none',
            'the migrated file does not hold the same ZEO client storages '
            'in the same sections', 'unexplained')]
    from ZEO.ClientStorage import ClientStorage
    defaults = {name: p.default for name, p in inspect.signature(
        ClientStorage).parameters.items() if p.default is not p.empty}
    found = []
    for one, other, line in zip(original, migrated,
                                lines or [None] * len(original)):
        origin = one.origin
        was, now = _kwargs(one), _kwargs(other)
        before = _view(one.kind, was, defaults)
        after = _view(other.kind, now, defaults)
        for name in _COMPARED:
            if name in leave_out:
                continue
            if not _same(name, before[name], after[name]):
                effect, reason = _explain(name, before[name], after[name],
                                          was.get(name), origin)
                texts = _shown(name, before[name]), _shown(name, after[name])
            elif (name in _SAME_EFFECT and was.get(name) != now.get(name)
                  and (name != 'cache' or was.get('client'))):
                effect, reason = 'same', _SAME_EFFECT[name].format(
                    origin=origin, was=was, now=now, before=before[name])
                texts = (_as_given(was, defaults, name),
                         _as_given(now, defaults, name))
            else:
                continue
            found.append(Difference(one.label, name, *texts, reason, effect,
                                    line))
        ignored = sorted(name for name in was
                         if name in _IGNORED_ARGUMENTS and name not in now)
        if ignored:
            found.append(Difference(
                one.label, 'ignored arguments', ', '.join(ignored),
                'not passed', f'{origin} passes {", ".join(ignored)}, which '
                f'ClientStorage accepts and ignores; zeoconf does not pass '
                f'them', 'same', line))
    return found


def _refused_by_zeo(client):
    """Whether the installed ZEO refuses what *client* passes: before 5.4,
    a username without a password (or a realm). A storage that waits for
    no server is asked, and closed."""
    c = client.section
    if client.kind != 'zeoclient' or not c.username or c.password or c.realm:
        return False
    from ZEO.ClientStorage import ClientStorage
    try:
        storage = ClientStorage(('127.0.0.1', 9), username=c.username,
                                wait=False)
    except AssertionError:
        return True
    storage.close()
    return False


# The command.

# The first line of a file a tool generates: the tool, and what
# regenerates the file.
_GENERATED = {
    "# Generated from template; don't edit manually!": (
        'plone.recipe.zope2instance', 'the next buildout run'),
    '# This file was generated by "cookiecutter-zope-instance"': (
        'cookiecutter-zope-instance', 'the next cookiecutter run'),
}

# Per effect, best first: what a storage's line says, how a difference
# is marked, and the verdict on the file.
_SAID = {
    'same': ('the same ClientStorage arguments', 'same effect',
             'same: every ZEO client storage resolves to the same '
             'ClientStorage arguments after migration'),
    'intended': ('the same ClientStorage arguments, but for the intended '
                 'differences below', 'differs, as intended',
                 'same, but for the intended differences listed above'),
    'unexplained': ('DIFFERENT ClientStorage arguments', 'DIFFERS',
                    'not migrated: the result would not open the same '
                    'storages as the original (see above)'),
}

_INCLUDE = ('%include {}: included files are not rewritten; migrate them '
            'on their own')
_ORIG_EXISTS = ('{0}.orig already exists: not overwriting it (move it away '
                'to migrate {0} again)')


def _worst(effects):
    return max(effects, key=list(_SAID).index, default='same')


def _section_line(loaded, client, scanned):
    """The line where *client*'s section opens in the file *loaded* read
    (where its keys are), or None when it is in an included file."""
    section = client.section
    if client.kind == 'zeoconf':
        section = section.config
    found = [number for where in loaded.loader.positions(section).values()
             for number, url in where if url == loaded.url]
    holder = scanned.line(min(found)).section if found else None
    return holder.start if holder else None


def _renumber(message, migration):
    """*message* of a parse of the migrated text, with its ``line N``
    references turned into the original's line numbers."""
    def original(found):
        number = int(found.group(2))
        return f'{found.group(1)}{migration.original_line(number) or number}'
    return re.sub(r'(\bline )(\d+)', original, message)


def _in_original(problem, migration, url):
    """*problem* of a parse of the migrated text, at the original's line
    (one of an included file as it is)."""
    if problem.url != url:
        return problem
    line = problem.line and (migration.original_line(problem.line)
                             or problem.line)
    message = _renumber(problem.message, migration)
    return common.Problem(problem.url, line, message, problem.key)


def _changes(migration):
    """What the rewrite did: ``(line, message)``, in line order."""
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
    said += [(number, _INCLUDE.format(target))
             for number, target in migration.includes]
    return sorted(said, key=lambda item: item[0])


def _say_comparison(differences, clients, lines, say):
    """Report the comparison; return the verdict, the worst effect."""
    by_storage = {}
    for difference in differences:
        by_storage.setdefault(difference.storage, []).append(difference)
    if 'the file' in by_storage:
        d = by_storage['the file'][0]
        say(f'{d.reason}: before {d.original}; after {d.migrated}')
        return 'unexplained'
    verdicts = []
    for client, line in zip(clients, lines):
        found = by_storage.get(client.label, [])
        verdicts.append(_worst(d.effect for d in found))
        said = _SAID[verdicts[-1]][0]
        if client.kind == 'zeoconf':
            said = f"already zeoconf's, {said}"
        else:
            said = f'{client.origin} and zeoconf resolve to {said}'
        say(f'{client.label}: {said}' + ''.join(
            f'\n  {d.argument}: {d.original} -> {d.migrated} '
            f'({_SAID[d.effect][1]}): {d.reason}' for d in found), line)
    return _worst(verdicts)


def _state(path):
    """What changes when the file at *path* does; None if not there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _write(path, original, text, read_state):
    """Keep *original* as PATH.orig, with the file's permissions (it may
    hold a password), then put *text* in PATH, through a symlink, keeping
    its mode, owner and hard links; refuse a file changed since
    *read_state*. Return None, or the line that says what went wrong."""
    def refused(why):
        return f'{path}: not written: {why}; {path} is unchanged'

    target = os.path.realpath(path)
    old, new = original.encode('utf-8'), text.encode('utf-8')
    try:
        st = os.stat(target)
        with open(target, 'rb') as f:
            now = f.read(len(old) + 1)
    except OSError as e:
        return refused(f'cannot read it again: {e.strerror or e}')
    if _state(target) != read_state or now != old:
        return refused('it changed on disk while zeoconf migrate ran; run '
                       'it again')
    try:
        files.create(path + '.orig', old, stat.S_IMODE(st.st_mode) & 0o777)
    except FileExistsError:
        return f'{_ORIG_EXISTS.format(path)}; {path} is unchanged'
    except OSError as e:
        return refused(f'cannot write {path}.orig: {e.strerror or e}')
    try:
        if st.st_nlink > 1:     # in place, for every name to see it
            files.rewrite(target, new, old)
        else:
            try:
                files.replace(target, new, st)
            except PermissionError:
                # No file beside it, or not with its owner: in place.
                files.rewrite(target, new, old)
    except files.Damaged as e:
        return (f'{path}: writing failed half way: {e.strerror}; {path} may '
                f'be damaged: the original is {path}.orig')
    except OSError as e:
        files.remove(path + '.orig')
        return refused(e.strerror or e)
    return None


def _ssl_lines(scanned):
    """``{line: ''}`` for the ``<ssl>`` lines of ZEO's ``<clientstorage>``,
    whose component reads the TLS files, for an offline review."""
    return {number: '' for section in scanned.sections
            if section.type == 'ssl' and section.parent is not None
            and section.parent.type == 'clientstorage'
            for number in range(section.start,
                                (section.end or section.start) + 1)}


def _empty_ssl(scanned, lineno):
    """The line of the empty ``<ssl>`` that holds *lineno*, or None."""
    for section in scanned.sections:
        if (section.type == 'ssl' and lineno is not None
                and section.start <= lineno <= (section.end or lineno)
                and not scanned.keys(section)):
            return section.start
    return None


def add_arguments(parser):
    """The arguments of ``zeoconf migrate`` on the argparse *parser*."""
    parser.add_argument('file', metavar='FILE', help='a configuration file')
    parser.add_argument('--schema', help=common.SCHEMA_HELP)
    parser.add_argument('--write', action='store_true',
                        help='replace FILE, keeping the original as '
                             'FILE.orig (default: print the result)')
    common.add_offline_argument(
        parser, '; the <ssl> settings are then not compared')


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
    # With standard error closed (2>&-) the report goes nowhere; the exit
    # code still says how it went.
    err = io.StringIO() if sys.stderr is None else common.Escaping(sys.stderr)
    return migrate_file(args.file, args.schema, args.write, out=out,
                        err=err, offline=args.offline)


def migrate_file(path, schema=None, write=False, out=None, err=None,
                 offline=False):
    """``zeoconf migrate FILE``: return the exit code (0 or 1).

    Prints the migrated text on *out*, or with *write* replaces *path*,
    keeping the original as ``PATH.orig`` (never overwritten); the report
    goes to *err*. *schema*: ``'zodb'``, ``'zope'``, a schema file, or
    None to choose by the text. Exit 1, with nothing on *out*, when the
    file cannot be read, either version does not parse, or they would
    not open the same storages.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err

    def say(message, line=None):
        err.write(f'{path}:{line}: {message}\n' if line
                  else f'{path}: {message}\n')

    read_state = _state(path)
    scans = Scans()
    try:
        text, schema, note = common.read(path, schema, offline, quiet=True,
                                         scans=scans)
    except common.LoadError as e:
        if e.error.url is None:
            say(e)      # the schema's problem, said with the file
        else:
            err.write(f'{e}\n')
        return 1
    migration = migrate_text(text, scans)
    if not migration.changed:
        say(('already uses zeoconf (%import zeoconf, no %import ZEO, no '
             '<zeoclient>)' if migration.already_zeoconf else
             'no %import ZEO and no <zeoclient> section') +
            ': nothing to change')
        for number, target in migration.includes:
            say(_INCLUDE.format(target), number)
        if write:
            say('not written')
        else:
            out.write(text)
        return 0
    if write and os.path.lexists(path + '.orig'):
        err.write(_ORIG_EXISTS.format(path) + '\n')
        return 1
    if note:
        say(note)
    url = common.file_url(path)
    scanned = scans[text]
    try:
        try:
            original, _ = common.load(text, schema, path, {
                url: _ssl_lines(scanned) if offline else {}}, scans=scans)
        except common.LoadError as e:
            empty = _empty_ssl(scanned, e.problem.line)
            if empty is None:
                err.write(f'{e}\n')
                return 1
            # zeoconf reads it as documented: nothing to compare.
            say(f"the original never opens: {hints.EMPTY_SSL}: TLS, the "
                f"server verified against the system's CAs", empty)
            original = None
        try:
            result, warnings = common.load(migration.text, schema, path,
                                           scans=scans)
        except common.LoadError as e:
            err.write(f'{_in_original(e.problem, migration, url).text()} '
                      f'(after migration: zeoconf refuses it; {path} is '
                      f'unchanged)\n')
            return 1
    except Exception as e:      # a bug of zeoconf's, named by its type
        say(internal_error(e))
        return 1

    for number, message in _changes(migration):
        say(message, number)
    for number, line in enumerate(text.split('\n', 5)[:5], 1):
        if line.strip() in _GENERATED:
            tool, when = _GENERATED[line.strip()]
            say(f'warning: {tool} generated this file: {when} overwrites '
                f'the change; carry it into the settings {tool} reads (see '
                f'docs/migrate.md)', number)
    for warning in warnings:
        say(f'zeoconf: {_renumber(warning, migration)}')
    verdict = 'same'
    if original is not None:
        before = clients(original.config)
        lines = [_section_line(original, c, scanned) for c in before]
        leave_out = ('ssl', 'ssl_server_hostname') if offline else ()
        verdict = _say_comparison(compare(
            before, clients(result.config), lines, leave_out), before,
            lines, say)
        for client, line in zip(before, lines):
            if _refused_by_zeo(client):
                say(f'{client.label}: the original never opens on the '
                    f'installed ZEO: ZEO before 5.4 refuses a username '
                    f'without a password; the migrated file drops both and '
                    f'opens', line)
        if offline:
            say(f'{common.OFFLINE_NOTE}; not compared: ssl and '
                f'ssl_server_hostname (the SSLContext needs the TLS files)')
        say('no ZEO client storage to compare' if not before
            and verdict == 'same' else _SAID[verdict][2])
    if verdict == 'unexplained':
        return 1
    if not write:
        out.write(migration.text)
        return 0
    failed = _write(path, text, migration.text, read_state)
    err.write((failed or f'{path}: written; the original is {path}.orig')
              + '\n')
    return 1 if failed else 0
