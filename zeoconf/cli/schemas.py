"""The schemas the commands read files with (``--schema``): ZODB's
database or storage schema, Zope's, or a schema file; all loaded through
:func:`zeoconf.loader.schema_loader`, which knows offline review."""

import importlib.util
import io
import os
import xml.etree.ElementTree as ElementTree
import xml.sax

import ZConfig
import ZODB.config

from zeoconf import datatypes, loader
from zeoconf.cli.scanner import Scans

_ZODB_SCHEMAS = {'zodb': ZODB.config.db_schema_path,
                 'storage': ZODB.config.s_schema_path}

# What choose() says of a schema it chose by looking at the text.
_NOTES = {'zope': "read as a zope.conf (Zope's schema)",
          'storage': 'read as a storage-only file '
                     '(ZODB.config.storageFromFile)'}


def _zope_schema(offline):
    """Zope's wsgischema.xml. Zope's own parser hands its result over only
    through a private attribute; so its one extension, ``<import
    condition="M"/>`` (only when module M exists), is applied to the XML."""
    spec = importlib.util.find_spec('Zope2.Startup')
    path = os.path.join(os.path.dirname(spec.origin), 'wsgischema.xml')
    root = ElementTree.parse(path).getroot()
    for element in root.findall('import[@condition]'):
        if not _installed(element.attrib.pop('condition')):
            root.remove(element)
    text = ElementTree.tostring(root, encoding='unicode')
    return loader.schema_loader(offline).loadFile(
        io.StringIO(text), 'file://' + path)


def load_schema(name, offline=False):
    """The schema *name* (``zodb`` or None, ``storage``, ``zope``, a path)
    names; ``ZConfig.ConfigurationError`` when there is none."""
    if name in (None, *_ZODB_SCHEMAS):
        return loader.schema_loader(offline).loadURL(
            _ZODB_SCHEMAS[name or 'zodb'])
    if name == 'zope':
        if not _zope_installed():
            raise ZConfig.ConfigurationError(
                '--schema zope needs Zope installed in this Python (pip '
                'install Zope), or give the path of a schema file')
        return _zope_schema(offline)
    try:
        datatypes.regular_file(name, 'a schema file')
    except ValueError as e:
        raise ZConfig.ConfigurationError(str(e)) from None     # names it
    except OSError as e:
        raise ZConfig.ConfigurationError(f'{name}: cannot read the schema '
                                         f'file: {e.strerror or e}') from None
    try:
        return loader.schema_loader(offline).loadURL(os.path.abspath(name))
    except (ZConfig.ConfigurationError, ElementTree.ParseError, OSError,
            ValueError, xml.sax.SAXParseException) as e:
        problem = getattr(e, 'message', None) or getattr(e, 'strerror',
                                                         None) or e
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        # What a package the schema imports, or a datatype it names,
        # raises while it is imported: its type only.
        problem = f'importing what it names raised {type(e).__name__}'
    raise ZConfig.ConfigurationError(
        f'{name}: not a usable ZConfig schema: {problem}')


def _installed(module):
    """Whether *module* can be imported (it is not imported here)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):    # a dotted name without its parent
        return False


def _zope_installed():
    return _installed('Zope2')


def kind(text, scans=None):
    """``'zope'``, ``'storage'`` or ``'zodb'``: what *text* reads like.
    *scans*: the ``zeoconf.cli.scanner.Scans`` of the command run, or
    None."""
    scanned = (Scans() if scans is None else scans)[text]
    if (any(s.type == 'zodb_db' for s in scanned.sections)
            or scanned.keys(None, 'instancehome')):
        return 'zope'
    top = [s for s in scanned.sections if s.parent is None]
    if len(top) == 1 and top[0].type not in ('zodb', 'zodb_db'):
        return 'storage'
    return 'zodb'


def choose(name, text, offline=False, scans=None):
    """``(schema, note)``: the schema *name* names, else the one *text*
    reads like (:func:`kind`, with *scans*), with a note that says so."""
    if name is not None:
        return load_schema(name, offline), None
    found = kind(text, scans)
    if found == 'zope' and not _zope_installed():
        return load_schema('zodb', offline), (
            "looks like a zope.conf, but Zope is not installed in this "
            "Python: read with ZODB's schema")
    return load_schema(found, offline), _NOTES.get(found)
