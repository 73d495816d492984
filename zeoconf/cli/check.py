"""``zeoconf check``: every problem of a configuration in one run.

ZConfig stops at the first error. To report them all, :func:`check`
parses again after each one with the lines at fault read otherwise
(:func:`_read_on`), until the file parses or :data:`MAX_PROBLEMS` were
found, and leaves out what an earlier problem caused
(:func:`_consequence`).
"""

import dataclasses
import os
import re

import ZConfig

from zeoconf import keys, loader
from zeoconf.cli import common, hints, storages, words
from zeoconf.cli.common import Problem
from zeoconf.cli.scanner import Scans, references

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
    common.add_offline_argument(parser)
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
    scans = Scans()
    try:
        text, schema, note = common.read(path, args.schema, args.offline,
                                         quiet=args.json, scans=scans)
        _refuse_paste_deploy(path, text)
    except common.LoadError as e:
        if not args.json:
            print(e, file=out)
        document['problems'] = [e.problem.data(path)]
        return document
    report = check(path, schema, text, scans=scans)
    others = []
    found = (storages.find(report.loaded.config, others) if report.loaded
             else [])
    document.update({
        'schema': note, 'problems': [p.data(path) for p in report.problems],
        'more': report.more, 'warnings': report.warnings,
        'notes': [n.data(path) for n in report.notes],
        'storages': [{'label': label, 'summary': storages.summary(opener)}
                     for label, opener in found],
        'not_checked': [client.label for client in others]})
    if args.json:
        return document
    for problem in report.problems:
        print(problem.text(), file=out)
    for item in report.notes:
        common.say(item.text('warning: '))
    if report.more:
        print(f'{path}: stopped after {len(report.problems)} problems; fix '
              f'these and run check again', file=out)
    if report.problems:
        return document
    for message in report.warnings:
        common.say(f'{path}: warning: {message}')
    line = f'{path}: ok, {common.counted(len(found), "clientstorage")}'
    if report.warnings:
        line += f', {common.counted(len(report.warnings), "warning")}'
    print(line, file=out)
    if found:
        for row in common.columns([['  ' + label] + storages.summary(opener)
                                   for label, opener in found]):
            print(row, file=out)
    for client in others:
        print(f'  {client.label}: not checked: {client.move}', file=out)
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


def _refuse_paste_deploy(path, text):
    """Raise a ``LoadError`` at the first section of a PasteDeploy file,
    naming the zope.conf its ``zope_conf`` names."""
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
    raise common.LoadError(Problem(
        common.file_url(path), text.count('\n', 0, section.start()) + 1,
        f'this is a PasteDeploy file (the .ini that runwsgi reads), not a '
        f'ZConfig configuration; {what}'))


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


def check(path, schema, text=None, limit=MAX_PROBLEMS, scans=None):
    """Every problem of the configuration file at *path* (whose *text*
    was read already, or is read here): a :class:`Report`. *scans*: the
    ``zeoconf.cli.scanner.Scans`` of the command run, or None for one of
    this call only; each text is scanned once, whatever the rounds."""
    scans = Scans() if scans is None else scans
    if text is None:
        try:
            text = loader.read_text(path)
        except ZConfig.ConfigurationError as e:
            return Report([Problem.of(e, common.file_url(path))], False)
    problems, blank, included, loaded = [], {}, {}, None
    while True:
        try:
            loaded, warnings = common.load(text, schema, path, blank,
                                           allow_marks=True, scans=scans)
        except common.LoadError as failed:
            reading, error = failed.reading, failed.problem
            for read, where in reading.included.items():
                included.setdefault(read, where)
            if words.unclosed_section(error):
                problems.append(_unclosed(error, reading.texts, problems,
                                          scans))
                break
            line = _line_of(error, reading.texts, scans)
            lines = _read_on(error, failed.error, line, reading.texts, blank,
                             scans)
            key = _key(reading.located, line)
            if not lines:
                # No line to step over: reported when it is the only
                # problem; after others it may be their consequence.
                if not problems:
                    problems.append(Problem(error.url, error.line,
                                            error.message, key))
                break
            if not _consequence(error, line, reading, blank, scans):
                problems.append(Problem(error.url, error.line, _unstood(
                    error, reading.texts, blank, scans), key))
            blank.setdefault(error.url, {}).update(lines)
            if len(problems) >= limit:
                return Report(_ordered(problems, included), True)
            continue
        reading = loaded.loader
        for marked in reading.marked:
            problems.append(Problem(marked, 1, loader.BOM_MESSAGE))
        break
    # A line that is a problem is not also a note.
    at_fault = {(p.url, p.line) for p in problems}
    notes = [note for read, read_text in reading.texts.items()
             for note in _inline_comments(read, read_text, scans)
             if (note.url, note.line) not in at_fault]
    if problems:
        loaded = None
    return Report(_ordered(problems, included), False, loaded,
                  _ordered(notes, included), warnings if loaded else [])


def _line_of(problem, texts, scans):
    """The scanned line *problem* is at, or None."""
    if problem.line and problem.url in texts:
        return scans[texts[problem.url]].line(problem.line)
    return None


def _key(located, line):
    """The key at fault: the first a rule across keys names, or the key
    of the line."""
    if located is not None and located.keys:
        return located.keys[0]
    if line is None or line.kind != 'key':
        return None
    # password=S3CRET is one name to ZConfig: named by its secret key only.
    return keys.secret_key(line.name) or line.name


def _read_on(error, raw, line, texts, blank, scans):
    """The lines to read otherwise to get past *error*, ``{number:
    text}`` of its file: its line, the whole section of a section's
    header or end, the whole file if it is no configuration.

    Only what no round did before: a line goes from its text to a
    stand-in or blank, or from a stand-in to blank, and never back. So
    every round takes a step, and check ends.
    """
    if line is None:
        return {}
    scanned, done = scans[texts[error.url]], blank.get(error.url, {})
    if hints.not_configuration(raw, scanned):
        # Said once, and none of its lines read again (nor quoted).
        lines = dict.fromkeys(range(1, len(scanned.lines) + 1), '')
    elif line.kind in ('open', 'empty', 'close'):
        end = line.section.end or len(scanned.lines)
        lines = dict.fromkeys(range(line.section.start, end + 1), '')
    elif (line.name == 'server' and line.number not in done
          and line.section is not None
          and line.section.type == 'clientstorage'):
        # The key a storage cannot do without: its section is read on.
        lines = {line.number: f'server {_STAND_IN}'}
    else:
        lines = {line.number: ''}
    steps = {}
    for number, text in lines.items():
        if number not in done:
            steps[number] = text        # its first step
        elif done[number] and not text:
            steps[number] = text        # from a stand-in to blank
    return steps


# TLS reads the certificate, its key and the password function together:
# once one of them was taken away, what it says of any of them
# ("certificate holds no private key") is a consequence.
_TLS_FILES = {'certificate', 'key', 'password-function'}


def _consequence(error, line, reading, blank, scans):
    """Whether *error* may come from what earlier problems took away, and
    is not reported: a key or subsection that a section's end misses, a
    key that a rule across keys involves (``key needs certificate`` after
    a bad certificate), a section type after an ``%import`` failed (the
    package may define it), a name whose ``%define`` was refused."""
    done = blank.get(error.url, {})
    scanned = scans[reading.texts[error.url]]
    section = line.section

    def lost():
        return {key.name for key in scanned.keys(section)
                if key.number in done}

    if line.kind == 'close' and (words.quoted_names(error) & lost() or any(
            child.start in done for child in section.children)):
        return True
    if reading.located is not None and section is not None:
        involved = set(reading.located.keys)
        if section.type == 'ssl' and involved & _TLS_FILES:
            involved |= _TLS_FILES
        if involved & lost():
            return True
    if words.unknown_type(error) is not None and _refused(
            'import', reading, blank, scans):
        return True
    names = references(line)[0]
    if not names:
        return False
    refused = {define.value.split()[0].lower()
               for define in _refused('define', reading, blank, scans)}
    return not refused.isdisjoint(names)


def _refused(directive, reading, blank, scans):
    """The ``%directive`` lines of every file read that earlier problems
    took away."""
    return [line for read, lines in blank.items()
            for line in scans[reading.texts.get(read, '')].directives(
                directive) if line.number in lines]


def _unstood(error, texts, blank, scans):
    """*error*'s message with the stand-in server named as it was
    written: the last stand-in line before the error in its file."""
    stand_ins = [number for number, text in blank.get(error.url, {}).items()
                 if text and number <= error.line]
    if _STAND_IN not in error.message or not stand_ins:
        return error.message
    written = scans[texts[error.url]].line(max(stand_ins)).value
    return error.message.replace(_STAND_IN, written)


def _unclosed(error, texts, problems, scans):
    """The problem of a file that ends inside a section: at the line of
    the innermost section left open."""
    left_open = [section for section in scans[texts.get(error.url, '')]
                 .sections if section.end is None]
    if not left_open:
        return error
    section = left_open[-1]
    # Listed by its line, which may come before theirs: not "above".
    after = ('; it may come from the other problems: fix them first'
             if problems else '')
    return Problem(error.url, section.start, (
        f'{section.header} is not closed: the file ends inside it; add '
        f'</{section.type}>{after}'))


def _inline_comments(url, text, scans):
    """Notes for values that hold ``#`` after white space: ZConfig read
    the comment as part of the value. A secret's is not quoted."""
    if not re.search(r'\S[^\S\n]+#', text):     # before a scan
        return
    for line in scans[text].lines:
        note = hints.inline_comment(line)
        if note:
            yield Problem(url, line.number, note, line.name)


def _ordered(problems, included):
    """*problems* in the order a reader meets them: by line, and those of
    an included file where its ``%include`` stands."""
    def place(problem):
        lines, url = [problem.line or 0], problem.url
        while url in included:
            url, number = included[url]
            lines.insert(0, number or 0)
        return lines
    return sorted(problems, key=place)
