"""Hints where ZConfig's words do not say what to do: :func:`explain`
looks at the line an error points to and adds what a person needs (the
missing ``%import zeoconf``, a ``<clientstorage>`` key in ``<zodb>``...).
The commands use it; a plain ``ZODB.config`` parse never does.
"""

import re

import ZConfig

from zeoconf import keys, loader
from zeoconf.cli import words
from zeoconf.cli.scanner import Scans

IMPORT_COLLISION = (
    "'%import ZEO' and '%import zeoconf' cannot stand in the same "
    "configuration: both define the section types clientstorage and ssl. "
    "Remove '%import ZEO' (zeoconf accepts every key of ZEO's "
    "<clientstorage>)")
EMPTY_SSL = ("ZEO's own component refuses an empty <ssl>, although its "
             "documentation shows one; zeoconf reads it as documented")
_COMMENTS = ('ZConfig comments stand on lines of their own, so it is part '
             'of the value')
_ENCLOSING = ('zodb', 'zodb_db')
_ZOPE_CONF = ("this reads like a zope.conf: read it with Zope's schema "
              "(zeoconf check --schema zope FILE)")
# Keys of <clientstorage> and <ssl> (name is one of <zodb>'s too).
_STORAGE_KEYS = (keys.CLIENTSTORAGE_KEYS | keys.SSL_KEYS) - {'name'}


def _imports(scanned, package):
    return [line.number for line in scanned.directives('import')
            if line.value.strip().lower() == package]


def _hint(error, scanned, line):
    section = line.section if line is not None else None
    kind = words.unknown_type(error)
    if kind is not None:
        if '></' in kind or (line is not None and '></' in line.text):
            return ('ZConfig wants the opening and the closing tag of a '
                    'section on lines of their own: write <ssl> and </ssl> '
                    'on two lines (or <ssl/> for an empty one)')
        if kind in ('clientstorage', 'ssl') and not _imports(scanned,
                                                             'zeoconf'):
            return ('add %import zeoconf at the top of the file, which '
                    'defines <clientstorage> and <ssl>')
        if kind == 'zodb_db':
            return _ZOPE_CONF
    if (words.no_matching_section(error) in ('clientstorage', 'zeoclient')
            and section is not None and section.parent is None):
        return ('a storage section at the top level is a storage-only file, '
                'as ZODB.config.storageFromFile reads it: check it without '
                '--schema, or with --schema storage')
    name = (words.unknown_key(error) or '').lower()
    if name == 'instancehome':
        return _ZOPE_CONF
    if name in _STORAGE_KEYS and line is not None:
        if section is None:
            return (f'{name} belongs inside a <clientstorage> section, '
                    f'which is missing around it')
        if section.type in _ENCLOSING:
            return (f'{name} belongs inside the <clientstorage> section, '
                    f'not in <{section.type}>')
    if name == 'cache-size-byte' and section is not None:
        return 'did you mean cache-size-bytes?'
    if (section is not None and section.type == 'ssl'
            and not scanned.keys(section) and _imports(scanned, 'zeo')):
        return f'{EMPTY_SSL}: run zeoconf migrate, or write %import zeoconf'
    name = words.no_replacement(error)
    suggestion = name and _braced(name, scanned)
    if suggestion:
        return suggestion
    if words.too_many_sections(error) == 'zodb.storage':
        return ('a <zodb> section holds one storage: give each storage a '
                '<zodb NAME> section of its own, or remove one')
    if line is None or line.kind != 'key':
        return None
    note = inline_comment(line)
    if note:
        return note
    if (line.name == 'cache-size' and section is not None
            and section.type in _ENCLOSING and words.not_an_integer(error)):
        return (f'cache-size of <{section.type}> counts objects; bound '
                f'the object cache in bytes with cache-size-bytes')
    return None


def inline_comment(line):
    """What to say of a key *line* whose value holds ``#`` after white
    space, which ZConfig reads as part of the value; None for any other."""
    found = re.search(r'\s#', line.value) if line.kind == 'key' else None
    if found is None:
        return None
    secret = keys.secret_key(line.name)
    if secret is not None:
        return (f'the value of {secret} holds a # after white space: '
                f'{_COMMENTS} (not shown)')
    return (f'the value of {line.name} holds '
            f'{line.value[found.end() - 1:]!r}: {_COMMENTS}')


def _braced(name, scanned):
    """``did you mean ${ZEO}:8100?`` for ``$ZEO8100`` when ZEO is
    ``%define``d."""
    for directive in scanned.directives('define'):
        defined = directive.value.split()[0]
        rest = name[len(defined):]
        if rest and name.lower().startswith(defined.lower()):
            colon = ':' if rest.isdigit() else ''
            written = f'${{{defined}}}{colon}{rest}'
            return (f'did you mean {written}? ${name} reads as one name, '
                    f'{name}; braces end a name: ${{{defined}}}')
    return None


def _first_line(scanned):
    """The number of the first line that is no blank or comment."""
    return next((line.number for line in scanned.lines
                 if line.kind not in ('blank', 'comment')), None)


def not_configuration(error, scanned):
    """Whether *error* says that the file of *scanned* is no ZConfig
    configuration at all (a PEM key, a JSON file): its first line is no
    key, section or directive."""
    lineno = getattr(error, 'lineno', None)
    return (words.not_a_line(error) is not None and lineno is not None
            and lineno == _first_line(scanned))


def _instead(error, url, scanned):
    """An error to report instead of *error*, whose words would quote
    what must not be shown or say nothing useful."""
    if not_configuration(error, scanned):
        # ZConfig quotes the line, and would quote each line after it: of
        # a key file, the key.
        return ZConfig.ConfigurationSyntaxError(
            f'{loader.file_of(url) or "the file"} is not a configuration '
            f'file: its first line is no key, section or directive of '
            f'ZConfig (a key or a certificate, a file of another format?); '
            f'its lines are not shown', url, error.lineno)
    line = scanned.line(getattr(error, 'lineno', None) or 0)
    secret = line is not None and line.kind == 'key' and keys.secret_key(
        line.name)
    if secret and words.not_a_line(error) is not None:
        # ZConfig quotes the key name it refuses; password=S3CRET is one.
        return ZConfig.ConfigurationSyntaxError(
            f'a key that starts with {secret!r} is not a key name ZConfig '
            f'reads (the rest of the name is not shown: it may be the '
            f'password); write {secret}, a space, then the value', url,
            error.lineno)
    directive = words.unknown_directive(error) or ''
    if directive.lower().startswith('define') and directive[6:]:
        # ZConfig quotes the name, and %definePW=S3CRET is one.
        return ZConfig.ConfigurationSyntaxError(
            '%define needs white space after it: write %define NAME VALUE '
            '(the rest of the line is not shown)', url, error.lineno)
    if words.missing_section(error) == 'zodb.database' and not any(
            s.type in _ENCLOSING for s in scanned.sections):
        what = ('the file is empty' if _first_line(scanned) is None
                else 'the file has no <zodb> section')
        return ZConfig.ConfigurationError(
            f'{what}: ZODB.config reads one <zodb> section holding one '
            f'storage; write %import zeoconf, then <zodb>, and in it '
            f'<clientstorage> with a server line (see docs/cli.md)', url)
    return None


def explain(error, texts, scans=None):
    """*error* with a hint added where one helps; *texts* maps the URLs
    of the files read to their text. *scans*: the
    ``zeoconf.cli.scanner.Scans`` of the command run, or None."""
    scans = Scans() if scans is None else scans
    url, lineno = error.url, getattr(error, 'lineno', None)
    text = texts.get(url)
    if text is None and len(texts) == 1:
        [text] = texts.values()
    if words.import_collision(error):
        # Point at the %import ZEO, in this file or in one it includes.
        for read, read_text in [(url, text), *texts.items()]:
            found = _imports(scans[read_text or ''], 'zeo')
            if found:
                return ZConfig.ConfigurationSyntaxError(
                    IMPORT_COLLISION, read, found[-1])
        return ZConfig.ConfigurationSyntaxError(IMPORT_COLLISION, url,
                                                lineno)
    scanned = scans[text or '']
    line = scanned.line(lineno) if lineno else None
    replaced = _instead(error, url, scanned)
    if replaced is not None:
        return replaced
    hint = _hint(error, scanned, line)
    if not hint:
        return error
    return loader.at_line(f'{error.message}; {hint}', url, lineno)
