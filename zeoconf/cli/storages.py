"""The ZEO client sections of a loaded configuration, and their labels."""

import collections
from typing import NamedTuple

from ZConfig.matcher import SectionValue

from zeoconf.datatypes import REDACTED, NamedCallable, Secret, format_address
from zeoconf.openers import ClientStorageOpener

#: The components that open a ZEO client, by kind: how messages name
#: each, and how to move from it to zeoconf.
COMPONENTS = {
    'zeoconf': ('zeoconf', None),
    'zeoclient': ("ZODB's <zeoclient>",
                  "ZODB's own ZEO client; run zeoconf migrate, or add "
                  "%import zeoconf and rename <zeoclient> to "
                  "<clientstorage>"),
    'ZEO': ("ZEO's <clientstorage>",
            "a ZEO client without zeoconf; run zeoconf migrate, or write "
            "%import zeoconf instead of %import ZEO"),
}
# The kind of the section types of the other components.
_OTHER_KINDS = {'zeoclient': 'zeoclient', 'clientstorage': 'ZEO'}


class Client(NamedTuple):
    """A ZEO client section: its ``kind`` (of :data:`COMPONENTS`), ``path``
    (the ``(type, name)`` of each enclosing section, its own last),
    ``section`` (an opener, or the ``SectionValue`` of another component)
    and ``label``, its path as people read it, numbered when alike."""

    kind: str
    path: tuple
    section: object
    label: str

    @property
    def origin(self):
        """The component, as messages name it."""
        return COMPONENTS[self.kind][0]

    @property
    def move(self):
        """How to move to zeoconf (None for zeoconf's)."""
        return COMPONENTS[self.kind][1]


def _join(where, section):
    return f'{where} {section}'.strip()


def clients(config):
    """Every ZEO client section of *config*, in order: a list of
    :class:`Client`."""
    found, seen = [], set()
    stack = [(config, ())]
    while stack:        # depth first, in order, without recursion
        value, path = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        children = ()
        if isinstance(value, ClientStorageOpener):
            found.append(('zeoconf', path + (('clientstorage', value.name),),
                          value))
        elif isinstance(value, SectionValue):
            kind = value.getSectionType()
            if kind:
                path = path + ((kind, value.getSectionName()),)
            if kind in _OTHER_KINDS:
                found.append((_OTHER_KINDS[kind], path, value))
                continue
            children = [getattr(value, attribute, None)
                        for attribute in value.getSectionAttributes()]
        elif isinstance(value, (list, tuple)):
            children = value
        elif isinstance(value, dict):
            children = list(value.values())
        elif isinstance(getattr(value, 'config', None), SectionValue):
            children = [value.config]   # ZODB's and Zope's section objects
        stack.extend((child, path) for child in reversed(children))
    labels = numbered([path_label(path) for _, path, _ in found])
    return [Client(*client, label) for client, label in zip(found, labels)]


def path_label(path):
    """*path* from :func:`clients` as ``<zodb main> <zeoclient>``."""
    return ' '.join(f'<{kind} {name}>' if name else f'<{kind}>'
                    for kind, name in path)


def find(config, others=None):
    """``[(label, opener)]`` for every clientstorage of zeoconf: the label
    is the enclosing section's, with the opener's own where needed. The
    other components' clients (:class:`Client`) are appended to *others*."""
    found = []
    for client in clients(config):
        if client.kind == 'zeoconf':
            found.append((path_label(client.path[:-1]), client.section))
        elif others is not None:
            others.append(client)
    short = [where if where and not opener.name else
             _join(where, opener.label()) for where, opener in found]
    counts = collections.Counter(short)
    labels = [_join(where, opener.label()) if counts[label] > 1 else label
              for (where, opener), label in zip(found, short)]
    return list(zip(numbered(labels), [opener for _, opener in found]))


def numbered(labels):
    """*labels* with ``#1``, ``#2``, ... added to those that are alike."""
    counts, seen = collections.Counter(labels), collections.Counter()
    result = []
    for label in labels:
        if counts[label] > 1:
            seen[label] += 1
            label = f'{label} #{seen[label]}'
        result.append(label)
    return result


def plain(value):
    """A converted value as JSON-able data, secrets hidden."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, tuple) and len(value) == 2:
        return format_address(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, NamedCallable):
        return value.name
    return value


def summary(opener):
    """The cells of ``check``'s line for one storage."""
    kw = opener.kwargs()
    mode = ('read-only-fallback' if kw['read_only_fallback'] else
            'read-only' if kw['read_only'] else 'read-write')
    cells = [','.join(format_address(a) for a in kw['addr']),
             f'storage={kw["storage"]}']
    if kw['name']:
        cells.append(f'name={kw["name"]}')
    return cells + [f'tls={"on" if opener.ssl is not None else "off"}', mode]

