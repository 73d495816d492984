"""The schemas the tools read files with: ZODB's, Zope's, or a file.

``--schema zodb`` is ``ZODB.config``'s (what ``zodb.conf`` files use),
``--schema zope`` is Zope's (``zope.conf``), loaded by Zope's own option
loader, since plain ``ZConfig.loadSchema`` trips on its conditional
``tempstorage`` import; anything else is the path of a schema file.
Without ``--schema``, a file that reads like a zope.conf (a
``<zodb_db>`` section or an ``instancehome`` key) gets Zope's when Zope
is installed, and every other file ZODB's.
"""

import os

import ZConfig

__all__ = ['load_schema', 'looks_like_zope', 'choose']


def load_schema(name):
    """The schema object for *name*: ``'zodb'``, ``'zope'`` or a path.
    Raises ``ZConfig.ConfigurationError`` with a message for people."""
    if name in (None, 'zodb'):
        import ZODB.config
        return ZODB.config.getDbSchema()
    if name == 'zope':
        try:
            from Zope2.Startup.options import ZopeWSGIOptions
        except ImportError:
            raise ZConfig.ConfigurationError(
                '--schema zope needs Zope installed in this Python (pip '
                'install Zope), or give the path of a schema file') from None
        options = ZopeWSGIOptions()
        options.load_schema()
        return options.schema
    import xml.sax

    from zeoconf.loader import check_file
    try:
        check_file(name, 'schema file')
    except ZConfig.ConfigurationError as e:
        raise ZConfig.ConfigurationError(e.message) from None
    try:
        return ZConfig.loadSchema(os.path.abspath(name))
    except (ZConfig.ConfigurationError, xml.sax.SAXException, OSError,
            ValueError) as e:
        problem = getattr(e, 'message', None) or e
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        # What a package the schema imports, or a datatype it names,
        # raises while it is imported (SyntaxError, ImportError, ...).
        problem = f'{type(e).__name__}: {e}'
    raise ZConfig.ConfigurationError(
        f'{name}: not a usable ZConfig schema: {problem}')


def looks_like_zope(text):
    """Whether *text* reads like a zope.conf."""
    from zeoconf.scanner import scan
    scanned = scan(text)
    return (any(s.type == 'zodb_db' for s in scanned.sections)
            or bool(scanned.keys(None, 'instancehome')))


def _zope_installed():
    import importlib.util
    try:
        return importlib.util.find_spec('Zope2') is not None
    except (ImportError, ValueError):
        return False


def choose(name, text):
    """``(schema, note)`` for a file of *text*: the schema *name* names,
    or, when *name* is None, the one the text reads like. *note* says
    which was chosen by looking, else None."""
    if name is None and looks_like_zope(text):
        if _zope_installed():
            return load_schema('zope'), "read as a zope.conf (Zope's schema)"
        return load_schema('zodb'), (
            "looks like a zope.conf, but Zope is not installed in this "
            "Python: read with ZODB's schema")
    return load_schema(name), None
