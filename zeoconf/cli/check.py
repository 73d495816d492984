"""``zeoconf check``: every problem of a configuration in one run.

ZConfig stops at the first error. To report them all, :func:`check`
parses again after each one with the line at fault read as blank (a
whole section, where the error is its header or a rule about all of it),
until the file parses or :data:`MAX_PROBLEMS` were found. Every round
must take a line away that the last did not, so the loop ends by
construction. What an earlier step caused is not reported again: a
section that lost a key line to an earlier problem does not also miss
that key, and a rule across keys involving a key already reported is left
out. A bad value of the one required key, ``server``, is read as a
stand-in address, so that the rest of its section is still checked.
"""

import os
import re
import urllib.parse

import ZConfig

from zeoconf import keys, loader
from zeoconf.cli import common, hints, schemas, storages, words
from zeoconf.cli.scanner import scan

__all__ = ['add_arguments', 'run', 'check', 'Problem', 'Report',
           'MAX_PROBLEMS']

NAME = 'check'
HELP = 'parse and validate configuration files'
DESCRIPTION = (
    'Parse each FILE as ZODB.config (or Zope, or the given schema) would '
    'and report every problem, in line order, as FILE:LINE: message (at '
    'most 50 a file); a valid file gets one line per clientstorage.')
EXIT_CODES = ('every file is valid',
              'a file has a problem, printed as FILE:LINE: message')

MAX_PROBLEMS = 50

# Keys a section cannot do without, read as this value once their own
# line was reported (the rest of the section is checked on).
_STAND_IN = 'zeoconf-stand-in.invalid:8100'     # .invalid: RFC 6761
_STAND_INS = {('clientstorage', 'server'): f'server {_STAND_IN}'}


def add_arguments(parser):
    parser.add_argument('files', nargs='+', metavar='FILE',
                        help='configuration files')
    parser.add_argument('--schema', help=common.SCHEMA_HELP)
    parser.add_argument('--json', action='store_true',
                        help='print JSON (see docs/cli.md for its shape)')
    parser.add_argument('--offline', action='store_true',
                        help='review a configuration meant for another '
                             'machine: convert every value and check every '
                             'rule, but look at nothing on this one (TLS '
                             'files, cache and blob paths, password '
                             'functions, the existing-* paths of Zope)')
    common.add_env_file_argument(parser)


def run(args, out):
    status, documents = 0, []
    with common.environment(common.read_env_file(args.env_file)):
        for path in args.files:
            document = _check_file(path, args, out)
            documents.append(document)
            if document['problems']:
                status = 1
    if args.json:
        common.print_json({
            'format': common.JSON_FORMAT, 'offline': args.offline,
            'env_file': args.env_file,
            'left_out': list(common.OFFLINE_LEFT_OUT) if args.offline
            else [], 'files': documents}, out)
    return status


def _check_file(path, args, out):
    """Check one file; print its report unless ``--json``; return its
    JSON document."""
    document = {'file': path, 'schema': None, 'problems': [],
                'more': False, 'warnings': [], 'notes': [], 'storages': [],
                'not_checked': []}
    try:
        text = loader.read_text(path)
        paste = _paste_deploy(path, text)
        if paste is not None:
            raise paste
        schema, note = schemas.choose(args.schema, text, args.offline)
    except ZConfig.ConfigurationError as e:
        if getattr(e, 'url', None) is None and not isinstance(
                e, ZConfig.DataConversionError):
            # The schema's own problem, which names the schema.
            error = common.LoadError(e.message)
        else:
            error = common.load_error(e, path)
        if not args.json:
            print(error, file=out)
        document['problems'] = [{'file': path, 'line': error.line,
                                 'key': None, 'message': error.message}]
        return document
    if note and not args.json:
        common.say(f'{path}: {note}')
    report = check(path, schema, text)
    # After a problem, what parsed is the file with the lines at fault
    # read as blank: not the file's storages.
    loaded = None if report.problems else report.loaded
    others = []
    found = storages.find(loaded.config, others) if loaded else []
    warnings = report.warnings if loaded else []
    document.update({
        'schema': note, 'problems': [p.data(path) for p in report.problems],
        'more': report.more, 'warnings': warnings,
        'notes': [n.data(path) for n in report.notes],
        'storages': [{'label': label, 'summary': storages.summary(opener)}
                     for label, opener in found],
        'not_checked': others})
    if args.json:
        return document
    for problem in report.problems:
        print(problem.text(path), file=out)
    for item in report.notes:
        common.say(item.text(path).replace(': ', ': warning: ', 1))
    if report.more:
        print(f'{path}: stopped after {len(report.problems)} problems; fix '
              f'these and run check again', file=out)
    if report.problems:
        return document
    for message in warnings:
        common.say(f'{path}: warning: {message}')
    count = len(found)
    line = f'{path}: ok, {count} clientstorage{"" if count == 1 else "s"}'
    if warnings:
        line += f', {len(warnings)} warning{"" if len(warnings) == 1 else "s"}'
    print(line, file=out)
    if found:
        for row in common.columns([['  ' + label] + storages.summary(opener)
                                   for label, opener in found]):
            print(row, file=out)
    for label in others:
        print(f'  {label}: not checked: {storages.other_client(label)}',
              file=out)
    if args.offline:
        print(f'  ({common.OFFLINE_NOTE})', file=out)
    return document


# The section headers of a PasteDeploy file (the .ini that Zope's
# runwsgi reads), which ZConfig cannot read.
_PASTE_SECTION = re.compile(
    r'^\[(?:app|server|pipeline|filter|composite|filter-app):[^\]\n]*\]',
    re.MULTILINE | re.IGNORECASE)
_ZOPE_CONF = re.compile(r'^zope_conf\s*[=:]\s*(\S.*?)\s*$',
                        re.MULTILINE | re.IGNORECASE)


def _paste_deploy(path, text):
    """A ``ConfigurationError`` at the first section of a PasteDeploy
    file, naming the zope.conf its ``zope_conf`` names; None for any
    other file."""
    section = _PASTE_SECTION.search(text)
    if section is None:
        return None
    lineno = text.count('\n', 0, section.start()) + 1
    named = _ZOPE_CONF.search(text)
    if named:
        zope_conf = named.group(1).replace(
            '%(here)s', os.path.dirname(os.path.abspath(path)))
        what = f'check the zope.conf it names: zeoconf check {zope_conf}'
    else:
        what = 'check the zope.conf of its Zope application instead'
    return ZConfig.ConfigurationSyntaxError(
        f'this is a PasteDeploy file (the .ini that runwsgi reads), not a '
        f'ZConfig configuration; {what}',
        'file://' + os.path.abspath(path), lineno)


class Problem:
    """One problem: ``url`` and ``line`` (None when unknown), ``message``
    and ``key`` (the key at fault, where there is one)."""

    __slots__ = ('url', 'line', 'message', 'key')

    def __init__(self, url, line, message, key=None):
        self.url, self.line, self.message, self.key = url, line, message, key

    def text(self, filename=None):
        """``FILE:LINE: message``."""
        where = common.display_path(self.url) or filename or '<config>'
        if self.line:
            return f'{where}:{self.line}: {self.message}'
        return f'{where}: {self.message}'

    def data(self, filename=None):
        """As JSON-able data (docs/cli.md)."""
        return {'file': common.display_path(self.url) or filename,
                'line': self.line, 'key': self.key, 'message': self.message}


class Report:
    """What :func:`check` found: ``problems`` in file and line order,
    ``more`` (True when it stopped early), ``notes`` (lines that parse but
    likely do not say what was meant) and, when the file parses at last,
    ``loaded`` (a ``zeoconf.loader.Loaded``) and ``warnings``."""

    __slots__ = ('problems', 'more', 'loaded', 'notes', 'warnings')

    def __init__(self, problems, more, loaded, notes=(), warnings=()):
        self.problems, self.more, self.loaded = problems, more, loaded
        self.notes, self.warnings = list(notes), list(warnings)


def _message(error):
    return getattr(error, 'message', None) or str(error)


def check(path, schema, text=None, limit=MAX_PROBLEMS):
    """Every problem of the configuration file at *path* (whose *text*
    was read already, or is read here): a :class:`Report`."""
    url = 'file://' + os.path.abspath(path)
    if text is None:
        try:
            text = loader.read_text(path)
        except ZConfig.ConfigurationError as e:
            return Report([Problem(getattr(e, 'url', None) or url,
                                   getattr(e, 'lineno', None), _message(e))],
                          False, None)
    problems, blank, order, scans = [], {}, [url], _Scans()
    # Each round reads one more line as blank (or as a stand-in) than the
    # one before, so there are at most as many rounds as lines.
    rounds = text.count('\n') + 2
    loaded = None
    for _ in range(rounds):
        reading = loader.Loader(schema, blank, allow_marks=True)
        scans.texts = reading.texts
        try:
            with common.collecting_warnings() as warnings:
                loaded = loader.load_text(text, schema, url, reading)
        except ZConfig.ConfigurationError as e:
            for read in reading.texts:
                if read not in order:
                    order.append(read)
            where = getattr(e, 'url', None)
            if where in reading.texts and hints.not_configuration(
                    e, scans[where]):
                # Said once, and none of its lines read again (nor
                # quoted: it may be a key).
                problems.append(_problem(hints.explain(
                    e, reading.texts, scans), reading, url, scans))
                blank.setdefault(where, {}).update(dict.fromkeys(
                    range(1, len(scans[where].lines) + 1), ''))
                if len(problems) >= limit:
                    return Report(_ordered(problems, order, scans), True,
                                  None)
                continue
            e = hints.explain(e, reading.texts, scans)
            if words.unclosed_section(e):
                problems.append(_unclosed(e, scans, url, problems))
                break
            before = _snapshot(blank)
            step = _step(e, reading, blank, scans)
            if step is None or _snapshot(blank) == before:
                # No line to step over, or none that the last round did
                # not: reported when it is the only problem; after others
                # it may be their consequence.
                if not problems:
                    problems.append(_problem(e, reading, url, scans))
                elif step is not None:
                    problems.append(Problem(step[0][0], step[0][1], (
                        'check cannot read on past this line; fix the '
                        'problems above and run it again')))
                    return Report(_ordered(problems, order, scans), True,
                                  None)
                break
            where, report, key = step
            if _after_failed_import(e, problems) or _after_lost_define(
                    e, blank, scans):
                report = False
            if report:
                problems.append(Problem(where[0], where[1], _unstood(
                    _message(e), where, blank, scans), key))
            if len(problems) >= limit:
                return Report(_ordered(problems, order, scans), True, None)
            continue
        except Exception as e:
            # zeoconf's own loader promises ConfigurationError alone; if
            # it fails otherwise, the file is reported, not the traceback
            # (nor the exception's text, which may quote a value).
            problems.append(Problem(url, None, loader.internal_error(e)))
            break
        for marked in reading.marked:
            problems.append(Problem(marked, 1, loader.BOM_MESSAGE))
        break
    else:
        problems.append(Problem(url, None, 'check stopped: no line left to '
                                           'read on past'))
    if problems:
        loaded = None
    texts = reading.texts
    # A line that is a problem is not also a note.
    at_fault = {(p.url, p.line) for p in problems}
    notes = [note for read in order if read in texts
             for note in _inline_comments(read, texts[read], scans)
             if (note.url, note.line) not in at_fault]

    return Report(_ordered(problems, order, scans), False, loaded,
                  _ordered(notes, order, scans),
                  warnings if loaded else ())


class _Scans(dict):
    """``{url: scanner.Scan}`` of the files read, each scanned once."""

    texts = {}

    def __missing__(self, url):
        found = self[url] = scan(self.texts.get(url, ''))
        return found


def _snapshot(blank):
    return {url: dict(lines) for url, lines in blank.items()}


def _unclosed(error, scans, url, problems):
    """The problem of a file that ends inside a section: at the line of
    the innermost section left open."""
    where = getattr(error, 'url', None) or url
    open_sections = [s for s in scans[where].sections if s.end is None]
    if not open_sections:
        return Problem(where, getattr(error, 'lineno', None), _message(error))
    section = max(open_sections, key=lambda s: s.start)
    # Listed by its line, which may come before theirs: not "above".
    after = ('; it may come from the other problems: fix them first'
             if problems else '')
    return Problem(where, section.start, (
        f'{section.header} is not closed: the file ends inside it; add '
        f'</{section.type}>{after}'))


def _unstood(message, where, blank, scans):
    """*message* with the stand-in server named as it was written: the
    value of the last stand-in line before the problem in its file."""
    if _STAND_IN not in message:
        return message
    url, lineno = where
    lines = [n for n, text in blank.get(url, {}).items()
             if text and n <= lineno]
    if not lines:
        return message
    written = scans[url].line(max(lines)).value
    return message.replace(_STAND_IN, written)


def _after_lost_define(error, blank, scans):
    """Whether *error* stands on a line that uses a name whose ``%define``
    an earlier problem took away (its own ``$`` could not be read)."""
    url, lineno = getattr(error, 'url', None), getattr(error, 'lineno', None)
    line = scans[url].line(lineno) if lineno else None
    if line is None or '$' not in line.value:
        return False
    for read, lines in blank.items():
        scanned = scans[read]
        for number in lines:
            define = scanned.line(number)
            if (define is not None and define.kind == 'directive'
                    and define.name == 'define' and define.value.split()
                    and re.search(r'\$\{?' + re.escape(define.value.split()[0])
                                  + r'\b', line.value, re.IGNORECASE)):
                return True
    return False


def _after_failed_import(error, problems):
    """Whether *error* is a section type ZConfig does not know after an
    ``%import`` failed: the package that was not imported may be the one
    that defines it (``%import tempstorage``, ``<temporarystorage>``)."""
    return (words.unknown_type(error) is not None and any(
        p.message.startswith('%import ') for p in problems))


# A "#" after white space that follows something else on its line: what
# an inline comment looks like (a cheap test before a file is scanned).
_MAYBE_INLINE = re.compile(r'\S[^\S\n]+#')


def _inline_comments(url, text, scans):
    """Notes for values that hold ``#`` after white space: ZConfig read
    the comment as part of the value."""
    if not _MAYBE_INLINE.search(text):
        return
    for line in scans[url].lines:
        if line.kind == 'key' and re.search(r'\s#', line.value):
            if line.name in keys.SECRET_KEYS:
                yield Problem(url, line.number, (
                    f'the value of {line.name} holds a # after white '
                    f'space: ZConfig comments stand on lines of their own, '
                    f'so it is part of the value (not shown)'), line.name)
                continue
            comment = line.value[line.value.index('#'):]
            yield Problem(url, line.number, (
                f'the value of {line.name} holds {comment!r}: ZConfig '
                f'comments stand on lines of their own, so it is part of '
                f'the value'), line.name)


def _problem(error, reading, url, scans):
    where = getattr(error, 'url', None) or url
    lineno = getattr(error, 'lineno', None)
    key = None
    if reading.located is None:
        line = scans[where].line(lineno) if lineno else None
        key = line.name if line is not None and line.kind == 'key' \
            else None
    elif reading.located.keys:
        key = reading.located.keys[0]
    return Problem(where, lineno, _message(error), key)


def _ordered(problems, order, scans):
    """*problems* in the order a reader meets them: by line, and those of
    an included file where its ``%include`` stands. A file whose
    ``%include`` line is not known comes after the top file, in the order
    the files were read."""
    if len(problems) < 2:
        return list(problems)
    included_at = _included_at(scans)
    top = order[0] if order else None
    chains = {}

    def chain(url):
        # The lines of the %include directives from the top file down to
        # *url*: main.conf:6 includes a.conf, whose line 3 is ... .
        if url not in chains:
            lines, seen, at = [], {url}, url
            while at in included_at and included_at[at][0] not in seen:
                at, number = included_at[at]
                seen.add(at)
                lines.append(number)
            lines.reverse()
            if at != top:
                index = order.index(at) if at in order else len(order)
                lines.insert(0, _AFTER + index)
            chains[url] = lines
        return chains[url]

    return sorted(problems, key=lambda p: (*chain(p.url), p.line or 0))


_AFTER = 1 << 40    # after any line of the top file


def _included_at(scans):
    """``{url: (including url, line of its %include)}`` for every file
    read that an ``%include`` of another names (the first such line)."""
    found, texts = {}, scans.texts
    for url, text in texts.items():
        if not url or '%include' not in text:
            continue
        for line in scans[url].directives('include'):
            target = urllib.parse.urljoin(url, line.value.strip())
            if target.startswith('file:/') and \
                    not target.startswith('file:///'):
                target = 'file://' + target[5:]
            if target in texts and target != url and target not in found:
                found[target] = (url, line.number)
    return found


def _step(error, reading, blank, scans):
    """How to read on after *error*: ``((url, line), report, key)``,
    having added the lines to leave blank to *blank*; None when there is
    no line to step over."""
    url = getattr(error, 'url', None)
    lineno = getattr(error, 'lineno', None)
    text = reading.texts.get(url)
    if not lineno or text is None:
        return None
    scanned = scans[url]
    line = scanned.line(lineno)
    if line is None:
        return None
    done = blank.setdefault(url, {})
    report, key = True, None
    section_error = reading.located
    if line.kind in ('open', 'empty', 'close'):
        section = line.section
        if line.kind == 'close':
            report = not _caused(error, section, done, scanned)
        done.update(dict.fromkeys(range(section.start, (
            section.end or len(scanned.lines)) + 1), ''))
    else:
        if line.kind == 'key':
            key = line.name
        if section_error is not None:
            key = section_error.keys[0] if section_error.keys else key
            report = not _involves_blanked(section_error, line.section,
                                           done, scanned)
        section_type = line.section.type if line.section else None
        done[lineno] = _STAND_INS.get((section_type, line.name), '')
    return (url, lineno), report, key


def _blanked_keys(section, done, scanned):
    """Names of the key lines of *section* already read as blank."""
    return {line.name for line in scanned.keys(section)
            if line.number in done}


# Keys checked as one: TLS reads the certificate, its key and the
# password function together, so that after one of them was taken away,
# what it says of any of them (``certificate holds no private key`` once
# a key that did not match was read as blank) is a consequence.
_TOGETHER = {('ssl', name): group
             for group in [frozenset({'certificate', 'key',
                                      'password-function'})]
             for name in group}


def _involves_blanked(section_error, section, done, scanned):
    """Whether a rule across keys involves a key whose line an earlier
    problem took away (``key needs certificate`` after a bad
    certificate)."""
    if section is None:
        return False
    involved = set(section_error.keys)
    for name in section_error.keys:
        involved |= _TOGETHER.get((section.type, name), set())
    return bool(involved & _blanked_keys(section, done, scanned))


def _caused(error, section, done, scanned):
    """Whether an error at the end of *section* comes from lines taken
    away for earlier problems: a key it names, or a whole subsection."""
    inside = {n for n in done if section.start < n < (section.end or 0)}
    if not inside:
        return False
    named = words.quoted_names(error)
    if named & _blanked_keys(section, done, scanned):
        return True
    return any(child.start in done for child in section.children)
