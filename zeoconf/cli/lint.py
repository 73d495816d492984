"""``zeoconf check``: every problem of a configuration in one run.

ZConfig stops at the first error. To report them all, :func:`check`
parses again after each one with the line at fault read as blank (a
whole section, where the error is its header or a rule about all of it),
until the file parses or :data:`MAX_PROBLEMS` were found. What an
earlier step caused is not reported again: a section that lost a key
line to an earlier problem does not also miss that key, and a rule
across keys involving a key already reported is left out. A bad value
of the one required key, ``server``, is read as a stand-in address, so
that the rest of its section is still checked.
"""

import os
import re
import urllib.parse

import ZConfig

from zeoconf import errors, loader
from zeoconf.scanner import scan

__all__ = ['check', 'Problem', 'Report', 'MAX_PROBLEMS']

MAX_PROBLEMS = 50

# Keys a section cannot do without, read as this value once their own
# line was reported (the rest of the section is checked on).
_STAND_IN = 'zeoconf-stand-in.invalid:8100'     # .invalid: RFC 6761
_STAND_INS = {('clientstorage', 'server'): f'server {_STAND_IN}'}


class Problem:
    """One problem: ``url`` and ``line`` (None when unknown), ``message``
    and ``key`` (the key at fault, where there is one)."""

    __slots__ = ('url', 'line', 'message', 'key')

    def __init__(self, url, line, message, key=None):
        self.url, self.line, self.message, self.key = url, line, message, key

    def text(self, filename=None):
        """``FILE:LINE: message``."""
        where = errors.display_path(self.url) or filename or '<config>'
        if self.line:
            return f'{where}:{self.line}: {self.message}'
        return f'{where}: {self.message}'

    def data(self, filename=None):
        """As JSON-able data (docs/cli.md)."""
        return {'file': errors.display_path(self.url) or filename,
                'line': self.line, 'key': self.key, 'message': self.message}


class Report:
    """What :func:`check` found: ``problems`` in file and line order,
    ``more`` (True when it stopped at :data:`MAX_PROBLEMS`) and, when the
    file parses at last, ``loaded`` (a ``zeoconf.loader.Loaded``) —
    with the lines of the problems read as blank."""

    __slots__ = ('problems', 'more', 'loaded', 'notes')

    def __init__(self, problems, more, loaded, notes=()):
        self.problems, self.more, self.loaded = problems, more, loaded
        # Lines that parse but likely do not say what was meant.
        self.notes = list(notes)


_QUOTED = re.compile(r"'([^']+)'")


def _message(error):
    return getattr(error, 'message', None) or str(error)


def check(path, schema, offline=False, limit=MAX_PROBLEMS):
    """Every problem of the configuration file at *path*: a
    :class:`Report`."""
    url = 'file://' + os.path.abspath(path)
    try:
        text = loader.read_text(path)
    except ZConfig.ConfigurationError as e:
        return Report([Problem(getattr(e, 'url', None) or url,
                               getattr(e, 'lineno', None), _message(e))],
                      False, None)
    problems, blank, seen, order = [], {}, set(), [url]
    while True:
        reading = loader.Loader(schema, offline, blank)
        reading.allow_marks = True
        try:
            loaded = loader.load_text(text, schema, url, offline, True,
                                      reading)
        except ZConfig.ConfigurationError as e:
            for read in reading.texts:
                if read not in order:
                    order.append(read)
            step = _step(e, reading, blank)
            if step is None:
                # No line to step over: the last one. Reported when it is
                # the only one; after others, it may be their consequence
                # (a file whose one section was refused has none).
                if not problems:
                    problems.append(_problem(e, reading, url))
                loaded = None
                break
            where, report, key = step
            if where in seen:
                # The same line again: a stand-in made its own problem
                # (a stand-in server whose host differs from the other
                # servers' under <ssl>). Read the line as blank instead.
                if blank[where[0]].get(where[1]) == '':
                    # Blank already: no way to read on. Said, not hidden.
                    problems.append(Problem(where[0], where[1], (
                        'check cannot read on past this line; fix the '
                        'problems above and run it again')))
                    return Report(_ordered(problems, order, reading.texts),
                                  True, None)
                blank[where[0]][where[1]] = ''
                continue
            seen.add(where)
            if _after_failed_import(e, problems) or _after_lost_define(
                    e, blank, reading):
                report = False
            if report:
                problems.append(Problem(where[0], where[1], _unstood(
                    _message(e), where, blank, reading), key))
            if len(problems) >= limit:
                return Report(_ordered(problems, order, reading.texts),
                              True, None)
            continue
        except Exception as e:
            # zeoconf's own loader promises ConfigurationError alone; if
            # it fails otherwise, the file is reported, not the traceback
            # (nor the exception's text, which may quote a value).
            problems.append(Problem(url, None, errors.internal_error(e)))
            loaded = None
            break
        for marked in reading.marked:
            problems.append(Problem(marked, 1, loader.BOM_MESSAGE))
        break
    texts = reading.texts
    # A line that is a problem is not also a note.
    at_fault = {(p.url, p.line) for p in problems}
    notes = [note for read in order if read in texts
             for note in _inline_comments(read, texts[read])
             if (note.url, note.line) not in at_fault]
    return Report(_ordered(problems, order, texts), False, loaded,
                  _ordered(notes, order, texts))


def _unstood(message, where, blank, reading):
    """*message* with the stand-in server named as it was written: the
    value of the last stand-in line before the problem in its file."""
    if _STAND_IN not in message:
        return message
    url, lineno = where
    lines = [n for n, text in blank.get(url, {}).items()
             if text and n <= lineno]
    if not lines:
        return message
    written = scan(reading.texts[url]).line(max(lines)).value
    return message.replace(_STAND_IN, written)


def _after_lost_define(error, blank, reading):
    """Whether *error* stands on a line that uses a name whose ``%define``
    an earlier problem took away (its own ``$`` could not be read)."""
    url, lineno = getattr(error, 'url', None), getattr(error, 'lineno', None)
    line = scan(reading.texts.get(url, '')).line(lineno) if lineno else None
    if line is None or '$' not in line.value:
        return False
    for read, lines in blank.items():
        scanned = scan(reading.texts.get(read, ''))
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
    return ('unknown type name' in _message(error) and any(
        p.message.startswith('%import ') for p in problems))


# A "#" after white space that follows something else on its line: what
# an inline comment looks like (a cheap test before a file is scanned).
_MAYBE_INLINE = re.compile(r'\S[^\S\n]+#')


def _inline_comments(url, text):
    """Notes for values that hold ``#`` after white space: ZConfig read
    the comment as part of the value."""
    if not _MAYBE_INLINE.search(text):
        return
    for line in scan(text).lines:
        if line.kind == 'key' and re.search(r'\s#', line.value):
            comment = line.value[line.value.index('#'):]
            yield Problem(url, line.number, (
                f'the value of {line.name} holds {comment!r}: ZConfig '
                f'comments stand on lines of their own, so it is part of '
                f'the value'), line.name)


def _problem(error, reading, url):
    where = getattr(error, 'url', None) or url
    lineno = getattr(error, 'lineno', None)
    key = None
    if reading.section_error is None:
        text = reading.texts.get(where)
        line = scan(text).line(lineno) \
            if text is not None and lineno else None
        key = line.name if line is not None and line.kind == 'key' \
            else None
    elif reading.section_error.keys:
        key = reading.section_error.keys[0]
    return Problem(where, lineno, _message(error), key)


def _ordered(problems, order, texts=None):
    """*problems* in the order a reader meets them: by line, and those of
    an included file where its ``%include`` stands. A file whose
    ``%include`` line is not known comes after the top file, in the order
    the files were read."""
    if len(problems) < 2:
        return list(problems)
    included_at = _included_at(texts or {})
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


def _included_at(texts):
    """``{url: (including url, line of its %include)}`` for every file
    read that an ``%include`` of another names (the first such line)."""
    found = {}
    for url, text in texts.items():
        if not url or '%include' not in text:
            continue
        for line in scan(text).directives('include'):
            target = urllib.parse.urljoin(url, line.value.strip())
            if target.startswith('file:/') and \
                    not target.startswith('file:///'):
                target = 'file://' + target[5:]
            if target in texts and target != url and target not in found:
                found[target] = (url, line.number)
    return found


def _step(error, reading, blank):
    """How to read on after *error*: ``((url, line), report, key)``,
    having added the lines to leave blank to *blank*; None when there is
    no line to step over."""
    url = getattr(error, 'url', None)
    lineno = getattr(error, 'lineno', None)
    text = reading.texts.get(url)
    if not lineno or text is None:
        return None
    scanned = scan(text)
    line = scanned.line(lineno)
    if line is None:
        return None
    done = blank.setdefault(url, {})
    report, key = True, None
    section_error = reading.section_error
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
    named = set(_QUOTED.findall(_message(error)))
    if named & _blanked_keys(section, done, scanned):
        return True
    return any(child.start in done for child in section.children)
