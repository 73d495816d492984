"""``zeoconf check``: every problem of a configuration in one run.

ZConfig stops at the first error. To report them all, :func:`check`
parses again after each one with the line at fault read as blank (a
whole section, where the error is its header or its end), until the file
parses or :data:`MAX_PROBLEMS` were found. Every round must change a line
as no round did before, so the loop ends by construction. What an
earlier problem caused is not reported again: a section that lost a key
line does not also miss that key, and a rule across keys involving a key
already reported is left out. A bad ``server``, the one key a storage
cannot do without, is read as a stand-in address, so that the rest of
its section is still checked.
"""

import dataclasses
import os
import re

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

_STAND_IN = 'zeoconf-stand-in.invalid:8100'     # .invalid: RFC 6761


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
        _refuse_paste_deploy(path, text)
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
    others = []
    found = (storages.find(report.loaded.config, others) if report.loaded
             else [])
    document.update({
        'schema': note, 'problems': [p.data(path) for p in report.problems],
        'more': report.more, 'warnings': report.warnings,
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
    for message in report.warnings:
        common.say(f'{path}: warning: {message}')
    line = f'{path}: ok, {_counted(len(found), "clientstorage")}'
    if report.warnings:
        line += f', {_counted(len(report.warnings), "warning")}'
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


def _counted(count, noun):
    return f'{count} {noun}{"" if count == 1 else "s"}'


# The section headers of a PasteDeploy file (the .ini that Zope's
# runwsgi reads), which ZConfig cannot read.
_PASTE_SECTION = re.compile(
    r'^\[(?:app|server|pipeline|filter|composite|filter-app):[^\]\n]*\]',
    re.MULTILINE | re.IGNORECASE)
_ZOPE_CONF = re.compile(r'^zope_conf\s*[=:]\s*(\S.*?)\s*$',
                        re.MULTILINE | re.IGNORECASE)


def _refuse_paste_deploy(path, text):
    """Raise a ``ConfigurationError`` at the first section of a
    PasteDeploy file, naming the zope.conf its ``zope_conf`` names."""
    section = _PASTE_SECTION.search(text)
    if section is None:
        return
    named = _ZOPE_CONF.search(text)
    if named:
        zope_conf = named.group(1).replace(
            '%(here)s', os.path.dirname(os.path.abspath(path)))
        what = f'check the zope.conf it names: zeoconf check {zope_conf}'
    else:
        what = 'check the zope.conf of its Zope application instead'
    raise ZConfig.ConfigurationSyntaxError(
        f'this is a PasteDeploy file (the .ini that runwsgi reads), not a '
        f'ZConfig configuration; {what}',
        'file://' + os.path.abspath(path),
        text.count('\n', 0, section.start()) + 1)


@dataclasses.dataclass
class Problem:
    """One problem: ``url`` and ``line`` (None when unknown), ``message``
    and ``key`` (the key at fault, where there is one)."""

    url: str
    line: int
    message: str
    key: str = None

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


@dataclasses.dataclass
class Report:
    """What :func:`check` found: ``problems`` in file and line order,
    ``more`` (True when it stopped early), ``notes`` (lines that parse but
    likely do not say what was meant) and, when the file parses at last,
    ``loaded`` (a ``zeoconf.loader.Loaded``) and ``warnings``."""

    problems: list
    more: bool
    loaded: object = None
    notes: list = ()
    warnings: list = ()


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
                          False)
    problems, blank, included, loaded = [], {}, {}, None
    while True:
        reading = loader.Loader(schema, blank, allow_marks=True)
        try:
            with common.collecting_warnings() as warnings:
                loaded = loader.load_text(text, schema, url, reading)
        except ZConfig.ConfigurationError as raw:
            for read, where in reading.included.items():
                included.setdefault(read, where)
            error = hints.explain(raw, reading.texts)
            if words.unclosed_section(error):
                problems.append(_unclosed(error, reading.texts, url,
                                          problems))
                break
            line = _line_of(error, reading)
            step = _step(error, raw, line, reading, blank) if line else None
            if step is None:
                # No line to step over, or none that an earlier round did
                # not: reported when it is the only problem; after others
                # it may be their consequence.
                if not problems:
                    problems.append(Problem(
                        getattr(error, 'url', None) or url,
                        getattr(error, 'lineno', None), _message(error),
                        _key(reading.located, line)))
                elif line is not None:
                    problems.append(Problem(error.url, error.lineno, (
                        'check cannot read on past this line; fix the '
                        'problems above and run it again')))
                    return Report(_ordered(problems, included), True)
                break
            report, key = step
            if report and not _consequence(error, problems, reading, blank):
                problems.append(Problem(error.url, error.lineno, _unstood(
                    _message(error), error, reading, blank), key))
            if len(problems) >= limit:
                return Report(_ordered(problems, included), True)
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
    # A line that is a problem is not also a note.
    at_fault = {(p.url, p.line) for p in problems}
    notes = [note for read, read_text in reading.texts.items()
             for note in _inline_comments(read, read_text)
             if (note.url, note.line) not in at_fault]
    if problems:
        loaded = None
    return Report(_ordered(problems, included), False, loaded,
                  _ordered(notes, included), warnings if loaded else [])


def _line_of(error, reading):
    """The scanned line *error* points to, or None."""
    text = reading.texts.get(getattr(error, 'url', None))
    lineno = getattr(error, 'lineno', None)
    return scan(text).line(lineno) if text is not None and lineno else None


def _key(located, line):
    """The key at fault: the first a rule across keys names, or the key
    of the line."""
    if located is not None and located.keys:
        return located.keys[0]
    return line.name if line is not None and line.kind == 'key' else None


def _step(error, raw, line, reading, blank):
    """Read on past *error*: add the lines to read otherwise to *blank*
    and return ``(report, key)``: whether to report it, and the key at
    fault. None when no line of *blank* can change.

    A line only ever changes from what the file says to a stand-in, or
    from either to blank: so every round changes a line that no round
    did before, and check ends.
    """
    scanned = scan(reading.texts[error.url])
    done = blank.setdefault(error.url, {})
    located, report, key = reading.located, True, None
    if hints.not_configuration(raw, scanned):
        # Said once, and none of its lines read again (nor quoted: it may
        # be a key).
        lines = dict.fromkeys(range(1, len(scanned.lines) + 1), '')
    elif line.kind in ('open', 'empty', 'close'):
        section = line.section
        if line.kind == 'close':
            report = not _caused(error, section, done, scanned)
        lines = dict.fromkeys(range(section.start, (
            section.end or len(scanned.lines)) + 1), '')
    else:
        key = _key(located, line)
        if located is not None:
            report = not _involves_blanked(located, line.section, done,
                                           scanned)
        stand_in = (line.section is not None and line.name == 'server'
                    and line.section.type == 'clientstorage')
        lines = {line.number: f'server {_STAND_IN}' if stand_in else ''}
    changed = {number: text for number, text in lines.items()
               if number not in done or (done[number] and not text)}
    if not changed:
        return None
    done.update(changed)
    return report, key


def _unclosed(error, texts, url, problems):
    """The problem of a file that ends inside a section: at the line of
    the innermost section left open."""
    where = getattr(error, 'url', None) or url
    left_open = [s for s in scan(texts.get(where, '')).sections
                 if s.end is None]
    if not left_open:
        return Problem(where, getattr(error, 'lineno', None), _message(error))
    section = max(left_open, key=lambda s: s.start)
    # Listed by its line, which may come before theirs: not "above".
    after = ('; it may come from the other problems: fix them first'
             if problems else '')
    return Problem(where, section.start, (
        f'{section.header} is not closed: the file ends inside it; add '
        f'</{section.type}>{after}'))


def _unstood(message, error, reading, blank):
    """*message* with the stand-in server named as it was written: the
    value of the last stand-in line before the problem in its file."""
    lines = [number for number, text in blank.get(error.url, {}).items()
             if text and number <= error.lineno]
    if _STAND_IN not in message or not lines:
        return message
    written = scan(reading.texts[error.url]).line(max(lines)).value
    return message.replace(_STAND_IN, written)


def _consequence(error, problems, reading, blank):
    """Whether *error* may come from an earlier problem: a section type
    ZConfig does not know after an ``%import`` failed (the package may
    define it: ``%import tempstorage``, ``<temporarystorage>``), or a line
    that uses a name whose ``%define`` was taken away."""
    if words.unknown_type(error) is not None and any(
            p.message.startswith('%import ') for p in problems):
        return True
    line = _line_of(error, reading)
    if line is None or '$' not in line.value:
        return False
    for url, lines in blank.items():
        scanned = scan(reading.texts.get(url, ''))
        for number in lines:
            define = scanned.line(number)
            if (define is not None and define.kind == 'directive'
                    and define.name == 'define' and re.search(
                        rf'\${{?{re.escape(define.value.split()[0])}\b',
                        line.value, re.IGNORECASE)):
                return True
    return False


def _inline_comments(url, text):
    """Notes for values that hold ``#`` after white space: ZConfig read
    the comment as part of the value. A secret's is not quoted."""
    if not re.search(r'\S[^\S\n]+#', text):     # before a scan
        return
    for line in scan(text).lines:
        if line.kind == 'key' and re.search(r'\s#', line.value):
            secret = line.name in keys.SECRET_KEYS
            held = ('a # after white space' if secret
                    else repr(line.value[line.value.index('#'):]))
            yield Problem(url, line.number, (
                f'the value of {line.name} holds {held}: ZConfig comments '
                f'stand on lines of their own, so it is part of the value'
                f'{" (not shown)" if secret else ""}'), line.name)


def _ordered(problems, included):
    """*problems* in the order a reader meets them: by line, and those of
    an included file where its ``%include`` stands (*included*: see
    ``loader.Loader``)."""
    def place(problem):
        lines, url = [problem.line or 0], problem.url
        while url in included:
            url, number = included[url]
            lines.insert(0, number or 0)
        return lines
    return sorted(problems, key=place)


def _blanked_keys(section, done, scanned):
    """Names of the key lines of *section* already read as blank."""
    return {line.name for line in scanned.keys(section)
            if line.number in done}


# TLS reads the certificate, its key and the password function together:
# once one of them was taken away, what it says of any of them
# ("certificate holds no private key") is a consequence.
_TLS_FILES = {'certificate', 'key', 'password-function'}


def _involves_blanked(located, section, done, scanned):
    """Whether a rule across keys involves a key whose line an earlier
    problem took away (``key needs certificate`` after a bad
    certificate)."""
    if section is None:
        return False
    involved = set(located.keys)
    if section.type == 'ssl' and involved & _TLS_FILES:
        involved |= _TLS_FILES
    return bool(involved & _blanked_keys(section, done, scanned))


def _caused(error, section, done, scanned):
    """Whether an error at the end of *section* comes from lines taken
    away for earlier problems: a key it names, or a whole subsection."""
    if not any(section.start < n < (section.end or 0) for n in done):
        return False
    if words.quoted_names(error) & _blanked_keys(section, done, scanned):
        return True
    return any(child.start in done for child in section.children)
