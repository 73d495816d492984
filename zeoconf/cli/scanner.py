"""ZConfig syntax as lines: where the tools find text in a file.

ZConfig's parser feeds a schema as it reads and keeps no record of the
text. zeoconf's tools (``check``'s hints, ``migrate``) need the text
itself: which line opens which section, where a key stands, what a comment
says. :func:`scan` reads a configuration the way ZConfig's parser does
(lines stripped, ``#`` comments on their own line, ``<type name>``,
``</type>``, ``<type/>``, ``%directive arg``, ``key value``; names and
types compared in lower case) and returns every line with its kind and
its enclosing section. It never raises: a line ZConfig would refuse is of
kind ``'error'`` and unbalanced sections are closed where the text ends.

It is not on the runtime path: parsing a configuration never imports it.
"""

import array
import re

__all__ = ['scan', 'split_lines', 'Line',
           'Section', 'Scan']

# The same shape of name ZConfig accepts: no white space, no parentheses.
_KEY_VALUE = re.compile(r'([^\s()]+)\s*(.*)')
_HEADER = re.compile(r'([^\s()]+)(?:\s+([^\s()]+))?')
_DIRECTIVES = ('define', 'import', 'include')


class Section:
    """A section of the text: ``type`` and ``name`` (lower case, name
    None when unnamed), ``start`` and ``end`` line numbers (``end`` equals
    ``start`` for ``<type/>``; None when the text ends first), ``parent``
    (None at top level) and its own ``children``."""

    __slots__ = ('type', 'name', 'start', 'end', 'parent', 'children')

    def __init__(self, type_, name, start, parent):
        self.type, self.name, self.start = type_, name, start
        self.end, self.parent, self.children = None, parent, []

    @property
    def header(self):
        """``<type name>`` as people read it."""
        return f'<{self.type} {self.name}>' if self.name else f'<{self.type}>'

    def contains(self, number):
        """Whether line *number* is inside this section (its own lines
        included)."""
        return self.start <= number <= (self.end or float('inf'))

    def __repr__(self):
        return f'<Section {self.header} lines {self.start}-{self.end}>'


class Line:
    """One line: ``number`` (from 1), ``text`` as written without its
    line end, ``kind`` and the parts ZConfig reads from it.

    Kinds: ``'blank'``, ``'comment'``, ``'key'`` (``name`` the key in
    lower case, ``value`` its text), ``'open'``, ``'close'`` and
    ``'empty'`` (``name`` the section type, ``value`` the section name or
    ''), ``'directive'`` (``name`` ``import``/``include``/``define``,
    ``value`` its argument) and ``'error'``: a line ZConfig refuses (a
    malformed header, an unbalanced or unexpected end, an unknown
    directive), and a header holding another tag (``<ssl></ssl>``), which
    ZConfig reads as a section type of that name and refuses as unknown.
    ``section`` is the innermost section the line belongs to: for
    ``'open'``, ``'close'`` and ``'empty'``, the section itself.
    """

    __slots__ = ('number', 'text', 'kind', 'name', 'value', 'section')

    def __init__(self, number, text, kind, name='', value='', section=None):
        self.number, self.text, self.kind = number, text, kind
        self.name, self.value, self.section = name, value, section

    @property
    def key(self):
        """The key name as written (``name`` is its lower case)."""
        if self.kind != 'key':
            return None
        return _KEY_VALUE.fullmatch(self.text.strip()).group(1)

    def __repr__(self):
        return f'<Line {self.number} {self.kind} {self.name!r}>'


# Kinds of line, by their code in a Scan.
_KINDS = ('blank', 'comment', 'key', 'open', 'close', 'empty', 'directive',
          'error')
_CODE = {kind: code for code, kind in enumerate(_KINDS)}


class Scan:
    """What :func:`scan` returns: ``lines`` (every line, in order, a
    sequence of :class:`Line`) and ``sections`` (every section, in the
    order they open).

    A line is kept as its kind, its section and where its text starts, a
    few bytes, and made a :class:`Line` when it is asked for: a file of
    millions of short lines costs little more than its text.
    """

    __slots__ = ('lines', 'sections', '_text', '_starts', '_kinds',
                 '_owners')

    def __init__(self, text, starts, kinds, owners, sections):
        self._text, self._starts = text, starts
        self._kinds, self._owners = kinds, owners
        self.sections = sections
        self.lines = _Lines(self)

    def line(self, number):
        """The :class:`Line` with this number, or None."""
        if 1 <= number <= len(self._kinds):
            return self._make(number)
        return None

    def _make(self, number):
        raw = self._text[self._starts[number - 1]:self._starts[number]]
        if raw.endswith('\n'):      # the line end, "\n" or "\r\n"
            raw = raw[:-2] if raw.endswith('\r\n') else raw[:-1]
        kind = _KINDS[self._kinds[number - 1]]
        owner = self._owners[number - 1]
        section = self.sections[owner] if owner >= 0 else None
        name, value = _parts(kind, raw.strip(), section)
        return Line(number, raw, kind, name, value, section)

    def _numbers(self, kind):
        code = _CODE[kind]
        return [number for number, found in enumerate(self._kinds, 1)
                if found == code]

    def keys(self, section=None, name=None):
        """The key lines directly in *section* (top level when None),
        optionally only those of key *name* (lower case)."""
        found = (self._make(number) for number in self._numbers('key'))
        return [line for line in found if line.section is section
                and (name is None or line.name == name)]

    def section_at(self, number):
        """The innermost section holding line *number*, or None."""
        line = self.line(number)
        return line.section if line else None

    def directives(self, name=None):
        found = (self._make(number) for number in self._numbers('directive'))
        return [line for line in found if name is None or line.name == name]


class _Lines:
    """The lines of a :class:`Scan`, made as they are read."""

    __slots__ = ('_scan',)

    def __init__(self, scanned):
        self._scan = scanned

    def __len__(self):
        return len(self._scan._kinds)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._scan._make(index + 1)

    def __iter__(self):
        for number in range(1, len(self) + 1):
            yield self._scan._make(number)


def _parts(kind, line, section):
    """``(name, value)`` of a stripped *line* of *kind*, as :func:`scan`
    classified it."""
    if kind == 'key':
        found = _KEY_VALUE.fullmatch(line)
        return found.group(1).lower(), found.group(2)
    if kind == 'directive':
        found = _KEY_VALUE.fullmatch(line[1:])
        return found.group(1), found.group(2)
    if kind in ('open', 'empty', 'close'):
        return section.type, section.name or ''
    if kind == 'error' and line[:2] == '</':
        return line[2:-1].rstrip().lower(), ''
    return '', ''


def split_lines(text):
    """The lines of *text* as ZConfig reads and numbers them, each with
    its line end: at ``\\n`` only, so a form feed, a lone ``\\r`` or a
    Unicode line separator is part of a line."""
    parts = text.split('\n')
    lines = [part + '\n' for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _line_starts(text):
    """Where each line of *text* starts, as ZConfig numbers them (at
    ``\n`` only), and where the text ends."""
    position, end = 0, len(text)
    while position < end:
        yield position
        found = text.find('\n', position)
        position = end if found < 0 else found + 1
    yield end


def scan(text):
    """Every line of configuration *text*, classified: a :class:`Scan`.

    Lines are numbered as ZConfig numbers them (:func:`split_lines`: at
    ``\n`` only), so that a line number from ZConfig names the same line
    here; a form feed or a lone ``\r`` is part of a line.
    """
    if text.startswith('\ufeff'):
        text = text[1:]
    # Offsets of four bytes where they fit (any file zeoconf reads).
    wide = len(text) >= 1 << 32 or array.array('I').itemsize < 4
    starts = array.array('q' if wide else 'I', _line_starts(text))
    kinds, owners = array.array('b'), array.array('i')
    sections, stack, index = [], [], {}
    for number in range(1, len(starts)):
        line = text[starts[number - 1]:starts[number]].strip()
        current = stack[-1] if stack else None
        kind, owner = 'error', current
        if not line:
            kind = 'blank'
        elif line[0] == '#':
            kind = 'comment'
        elif line[:2] == '</':
            # As ZConfig: white space before the type is part of it.
            type_ = line[2:-1].rstrip().lower()
            if line[-1] == '>' and stack and stack[-1].type == type_:
                owner = stack.pop()
                owner.end = number
                kind = 'close'
        elif line[0] == '<':
            header = line[1:-1]
            empty = header.endswith('/')
            found = _HEADER.fullmatch((header[:-1] if empty else header)
                                      .rstrip())
            # Not a header ZConfig can match (<ssl></ssl> on one line
            # reads as the start of a section type 'ssl></ssl'): an error.
            if line[-1] == '>' and found and '<' not in header \
                    and '>' not in header:
                type_, name = found.group(1).lower(), found.group(2)
                owner = Section(type_, name.lower() if name else None,
                                number, current)
                index[owner] = len(sections)
                sections.append(owner)
                if current is not None:
                    current.children.append(owner)
                if empty:
                    owner.end = number
                else:
                    stack.append(owner)
                kind = 'empty' if empty else 'open'
        elif line[0] == '%':
            found = _KEY_VALUE.fullmatch(line[1:])
            # ZConfig: an unknown directive (names are lower case), or one
            # without its argument, is an error.
            if (found and found.group(1) in _DIRECTIVES
                    and found.group(2)):
                kind = 'directive'
        elif _KEY_VALUE.fullmatch(line):
            kind = 'key'
        kinds.append(_CODE[kind])
        owners.append(index[owner] if owner is not None else -1)
    return Scan(text, starts, kinds, owners, sections)
