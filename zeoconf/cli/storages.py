"""The storages of a loaded configuration, and their labels."""

import collections

from ZConfig.matcher import SectionValue

from zeoconf.datatypes import NamedCallable, Secret, format_address
from zeoconf.openers import ClientStorageOpener

# Section types that open ZEO clients without zeoconf: ZEO's own
# component (%import ZEO) and ZODB's built-in <zeoclient>.
OTHER_CLIENTS = ('clientstorage', 'zeoclient')


def _join(where, section):
    return f'{where} {section}'.strip()


def clients(config):
    """``(path, section)`` for every ZEO client section of *config*, in
    order: *path* holds the ``(type, name)`` of each enclosing section;
    *section* is an opener or the ``SectionValue`` of another client."""
    seen = set()
    stack = [(config, ())]
    while stack:        # depth first, in order, without recursion
        value, path = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        children = ()
        if isinstance(value, ClientStorageOpener):
            yield path, value
        elif isinstance(value, SectionValue):
            kind = value.getSectionType()
            if kind in OTHER_CLIENTS:
                yield path, value
                continue
            if kind:
                path = path + ((kind, value.getSectionName()),)
            children = [getattr(value, attribute, None)
                        for attribute in value.getSectionAttributes()]
        elif isinstance(value, (list, tuple)):
            children = value
        elif isinstance(value, dict):
            children = list(value.values())
        elif isinstance(getattr(value, 'config', None), SectionValue):
            children = [value.config]   # ZODB's and Zope's section objects
        stack.extend((child, path) for child in reversed(children))


def path_label(path):
    """*path* from :func:`clients` as ``<zodb main> <zeoclient>``."""
    return ' '.join(f'<{kind} {name}>' if name else f'<{kind}>'
                    for kind, name in path)


def find(config, others=None):
    """``[(label, opener)]`` for every clientstorage: the label is the
    enclosing section's, with the opener's own where needed. The labels of
    other ZEO clients are appended to the list *others*."""
    found = []
    for path, section in clients(config):
        if isinstance(section, ClientStorageOpener):
            found.append((path_label(path), section))
        elif others is not None:
            others.append(_join(path_label(path),
                                f'<{section.getSectionType()}>'))
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
        return '<redacted>'
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


def other_client(label):
    """What another ZEO client (*label* from *others*) is; how to move."""
    if label.endswith('<zeoclient>'):
        return ("ZODB's own ZEO client; run zeoconf migrate, or add "
                "%import zeoconf and rename <zeoclient> to <clientstorage>")
    return ("a ZEO client without zeoconf; run zeoconf migrate, or write "
            "%import zeoconf instead of %import ZEO")
