"""ZConfig syntax as lines: which line opens which section, where a key
stands, for ``check``'s hints and ``migrate``.

:func:`scan` reads a configuration as ZConfig's parser does, and never
raises: a line ZConfig would refuse is of kind ``'error'``. A command
scans each text once: it makes one :class:`Scans` for its run and hands
it to whatever looks at lines; nothing is kept after the run.
"""

import array
import collections.abc
import io
import operator
import re

from zeoconf import loader

# The same shape of name ZConfig accepts: no white space, no parentheses.
_KEY_VALUE = re.compile(r'([^\s()]+)\s*(.*)')
_HEADER = re.compile(r'([^\s()]+)(?:\s+([^\s()]+))?')
_DIRECTIVES = ('define', 'import', 'include')


class Section:
    """A section: ``type`` and ``name`` (lower case, None when unnamed),
    ``start`` and ``end`` line numbers (``end`` is ``start`` for
    ``<type/>``, None when the text ends first), ``parent`` (None at top
    level) and ``children``."""

    def __init__(self, type_, name, start, parent):
        self.type, self.name, self.start = type_, name, start
        self.end, self.parent, self.children = None, parent, []

    @property
    def header(self):
        """``<type name>`` as people read it."""
        return f'<{self.type} {self.name}>' if self.name else f'<{self.type}>'


class Line:
    """One line: ``number`` (from 1), ``text`` as written without its
    line end, ``kind``, ``name``, ``value`` and ``section``, the
    innermost section it belongs to (a section's own lines: that one).

    Kinds: ``'blank'``, ``'comment'``, ``'key'`` (``name`` the key in
    lower case, ``value`` its text), ``'open'``, ``'close'`` and
    ``'empty'`` (``name`` the section type, ``value`` its name or ''),
    ``'directive'`` (``name`` and argument) and ``'error'``.
    """

    def __init__(self, number, text, kind, name='', value='', section=None):
        self.number, self.text, self.kind = number, text, kind
        self.name, self.value, self.section = name, value, section


# Kinds of line, by their code in a Scan.
_KINDS = ('blank', 'comment', 'key', 'open', 'close', 'empty', 'directive',
          'error')


class Scan:
    """What :func:`scan` returns: ``lines``, every :class:`Line` in order
    (a sequence), and ``sections``, every :class:`Section` in the order
    they open."""

    def __init__(self, lines, sections):
        self.lines, self.sections = lines, sections

    def line(self, number):
        """The :class:`Line` with this number, or None."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) \
            else None

    def keys(self, section=None, name=None):
        """The key lines directly in *section* (top level when None),
        only those of key *name* (lower case) when given."""
        owner = -1 if section is None else self.sections.index(section)
        return [line for line in self.lines.of_kind('key', owner)
                if name is None or line.name == name]

    def directives(self, name=None):
        return [line for line in self.lines.of_kind('directive')
                if name is None or line.name == name]


class _Lines(collections.abc.Sequence):
    """The lines of a :class:`Scan`, kept as a few bytes each and made
    :class:`Line` objects when read: millions of short lines cost little
    more than their text."""

    def __init__(self, text, starts, kinds, owners, sections):
        self.text, self.starts, self.kinds = text, starts, kinds
        self.owners, self.sections = owners, sections

    def __len__(self):
        return len(self.kinds)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = operator.index(index)       # TypeError for a non-integer
        if index < 0:
            index += len(self)              # from the end, as a list
        if not 0 <= index < len(self):
            raise IndexError('line index out of range')
        raw = self.text[self.starts[index]:self.starts[index + 1]]
        raw = raw[:-2] if raw.endswith('\r\n') else raw.rstrip('\n')
        kind = _KINDS[self.kinds[index]]
        owner = self.owners[index]
        section = self.sections[owner] if owner >= 0 else None
        name = value = ''
        if kind == 'key':
            name, value = _KEY_VALUE.fullmatch(raw.strip()).groups()
            name = name.lower()
        elif kind == 'directive':
            name, value = _KEY_VALUE.fullmatch(raw.strip()[1:]).groups()
        elif kind in ('open', 'empty', 'close'):
            name, value = section.type, section.name or ''
        return Line(index + 1, raw, kind, name, value, section)

    def of_kind(self, kind, owner=None):
        """The lines of *kind*, only those directly in the section of index
        *owner* (-1: the top level) when given, one at a time: a file of
        millions of keys is never made into Line objects at once."""
        code = _KINDS.index(kind)
        return (self[index] for index, found in enumerate(self.kinds)
                if found == code and owner in (None, self.owners[index]))


def _kind(line):
    """The kind of stripped *line*, by its text alone."""
    if not line:
        return 'blank'
    if line[0] == '#':
        return 'comment'
    if line[:2] == '</':
        return 'close' if line[-1] == '>' else 'error'
    if line[0] == '<':
        # <ssl></ssl> on one line reads as the start of a section type
        # 'ssl></ssl', which no schema has: an error.
        header = line[1:-1]
        if line[-1] != '>' or '<' in header or '>' in header or not \
                _HEADER.fullmatch(header.removesuffix('/').rstrip()):
            return 'error'
        return 'empty' if header.endswith('/') else 'open'
    if line[0] == '%':
        # ZConfig: a directive is lower case and has an argument.
        found = _KEY_VALUE.fullmatch(line[1:])
        return ('directive' if found and found.group(1) in _DIRECTIVES
                and found.group(2) else 'error')
    return 'key' if _KEY_VALUE.fullmatch(line) else 'error'


def scan(text):
    """Every line of configuration *text*, numbered as ZConfig numbers
    them: a :class:`Scan`."""
    if text.startswith('\ufeff'):
        text = text[1:]
    starts = array.array('I', [0])     # where each line starts (and ends)
    kinds, owners = array.array('b'), array.array('i')
    sections, stack, index = [], [], {}
    for number, raw in enumerate(io.StringIO(text), 1):
        starts.append(starts[-1] + len(raw))
        line = raw.strip()
        kind = _kind(line)
        owner = stack[-1] if stack else None
        if kind == 'close':
            # As ZConfig: white space before the type is part of it.
            if stack and stack[-1].type == line[2:-1].rstrip().lower():
                owner = stack.pop()
                owner.end = number
            else:
                kind = 'error'
        elif kind in ('open', 'empty'):
            type_, name = _HEADER.fullmatch(
                line[1:-1].removesuffix('/').rstrip()).groups()
            owner = Section(type_.lower(), name.lower() if name else None,
                            number, stack[-1] if stack else None)
            index[owner] = len(sections)
            sections.append(owner)
            if owner.parent is not None:
                owner.parent.children.append(owner)
            if kind == 'empty':
                owner.end = number
            else:
                stack.append(owner)
        kinds.append(_KINDS.index(kind))
        owners.append(index[owner] if owner is not None else -1)
    return Scan(_Lines(text, starts, kinds, owners, sections), sections)


class Scans(dict):
    """The scans of one command run: ``scans[text]`` is ``scan(text)``,
    made the first time it is asked for. ``check`` looks at the same
    texts round after round; each is scanned once, and the scans go when
    the run drops its :class:`Scans`."""

    def __missing__(self, text):
        scanned = self[text] = scan(text)
        return scanned


def references(line):
    """:func:`zeoconf.loader.references` of what ZConfig substitutes in
    *line*: a key's value, a directive's argument (a ``%define``'s value
    after its name); a line of another kind refers to nothing."""
    value = line.value if line.kind in ('key', 'directive') else ''
    if line.kind == 'directive' and line.name == 'define':
        parts = value.split(None, 1)        # the name, and what follows
        value = parts[1] if len(parts) == 2 else ''
    return loader.references(value)


def fed(lines, start):
    """What feeds the *lines* for which ``start(line)`` is true:
    ``(defines, variables)``, the sets of ``%define`` names and environment
    variables they use, directly or through the ``%define``s among
    *lines*. A ``$`` that ZConfig cannot read may use any ``%define``."""
    refers, defined, todo = {}, {}, []
    for index, line in enumerate(lines):
        if line.kind == 'directive' and line.name == 'define':
            name = line.value.split()[0].lower()
            defined.setdefault(name, []).append(index)
        if '$' in line.text:
            refers[index] = references(line)
        if start(line):
            todo.append(index)
    defines, variables, every = set(), set(), False
    while todo:
        names, found, readable = refers.get(todo.pop(), ((), (), True))
        variables.update(found)
        if not readable and not every:
            every, names = True, [*names, *defined]
        for name in names:
            if name not in defines:
                defines.add(name)
                todo += defined.get(name, ())
    return defines, variables
