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


class Scan:
    """What :func:`scan` returns: ``lines`` (every line, in order) and
    ``sections`` (every section, in the order they open)."""

    __slots__ = ('lines', 'sections')

    def __init__(self, lines, sections):
        self.lines, self.sections = lines, sections

    def line(self, number):
        """The :class:`Line` with this number, or None."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return None

    def keys(self, section=None, name=None):
        """The key lines directly in *section* (top level when None),
        optionally only those of key *name* (lower case)."""
        return [line for line in self.lines if line.kind == 'key'
                and line.section is section
                and (name is None or line.name == name)]

    def section_at(self, number):
        """The innermost section holding line *number*, or None."""
        line = self.line(number)
        return line.section if line else None

    def directives(self, name=None):
        return [line for line in self.lines if line.kind == 'directive'
                and (name is None or line.name == name)]


def split_lines(text):
    """The lines of *text* as ZConfig reads and numbers them, each with
    its line end: at ``\\n`` only, so a form feed, a lone ``\\r`` or a
    Unicode line separator is part of a line."""
    parts = text.split('\n')
    lines = [part + '\n' for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def scan(text):
    """Every line of configuration *text*, classified: a :class:`Scan`.

    Lines are numbered as ZConfig numbers them (:func:`split_lines`: at
    ``\n`` only), so that a line number from ZConfig names the same line
    here; a form feed or a lone ``\r`` is part of a line.
    """
    if text.startswith('\ufeff'):
        text = text[1:]
    lines, sections, stack = [], [], []
    for number, raw in enumerate(split_lines(text), 1):
        if raw.endswith('\n'):      # the line end, "\n" or "\r\n"
            raw = raw[:-2] if raw.endswith('\r\n') else raw[:-1]
        line = raw.strip()
        current = stack[-1] if stack else None
        if not line:
            lines.append(Line(number, raw, 'blank', section=current))
        elif line[0] == '#':
            lines.append(Line(number, raw, 'comment', section=current))
        elif line[:2] == '</':
            # As ZConfig: white space before the type is part of it.
            type_ = line[2:-1].rstrip().lower()
            if line[-1] != '>' or not stack or stack[-1].type != type_:
                lines.append(Line(number, raw, 'error', type_,
                                  section=current))
                continue
            section = stack.pop()
            section.end = number
            lines.append(Line(number, raw, 'close', type_,
                              section.name or '', section))
        elif line[0] == '<':
            header = line[1:-1]
            empty = header.endswith('/')
            found = _HEADER.fullmatch((header[:-1] if empty else header)
                                      .rstrip())
            if line[-1] != '>' or not found or '<' in header or '>' in header:
                # Not a header ZConfig can match (<ssl></ssl> on one line
                # reads as the start of a section type 'ssl></ssl').
                lines.append(Line(number, raw, 'error', section=current))
                continue
            type_, name = found.group(1).lower(), found.group(2)
            name = name.lower() if name else None
            section = Section(type_, name, number, current)
            sections.append(section)
            if current is not None:
                current.children.append(section)
            if empty:
                section.end = number
            else:
                stack.append(section)
            lines.append(Line(number, raw, 'empty' if empty else 'open',
                              type_, name or '', section))
        elif line[0] == '%':
            found = _KEY_VALUE.fullmatch(line[1:])
            if (not found or found.group(1) not in _DIRECTIVES
                    or not found.group(2)):
                # ZConfig: an unknown directive (names are lower case),
                # or one without its argument.
                lines.append(Line(number, raw, 'error', section=current))
                continue
            lines.append(Line(number, raw, 'directive', found.group(1),
                              found.group(2), current))
        else:
            found = _KEY_VALUE.fullmatch(line)
            if not found:
                lines.append(Line(number, raw, 'error', section=current))
                continue
            lines.append(Line(number, raw, 'key', found.group(1).lower(),
                              found.group(2), current))
    return Scan(lines, sections)
