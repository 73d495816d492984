"""zeoconf: the ZConfig component for ZEO client storages.

Write ``%import zeoconf`` and a ``<clientstorage>`` section in a ZODB
configuration; see README.md and docs/reference.md. ZEO and asyncio are
imported only when a storage is opened.
"""

import io
import re

import ZConfig

__version__ = '0.1.0.dev0'

__all__ = ['client_kwargs', 'parse_clientstorage', '__version__']

_SCHEMA = """\
<schema>
  <import package="zeoconf"/>
  <section type="clientstorage" name="*" attribute="storage" required="yes"/>
</schema>
"""
# The first section of another type than these at the start of a line.
_OTHER_SECTION = r'^[ \t]*<(?!/|clientstorage\b|ssl\b)([\w.-]+)'


def parse_clientstorage(text, url=None, offline=False):
    """Parse *text* holding one ``<clientstorage>`` section; return its
    opener (:class:`zeoconf.openers.ClientStorageOpener`: ``kwargs()``,
    ``open()``).

    ``%import zeoconf`` in the text is allowed and not needed. Every
    problem raises ``ZConfig.ConfigurationError`` with the line of the key
    at fault. *offline* reviews a configuration meant for another machine:
    nothing on this one is looked at. To open a whole ``zodb.conf``, use
    ``ZODB.config.databaseFromFile``.
    """
    # zeoconf's own loader serves these functions and the command line;
    # a Zope or ZODB.config start, which imports this package through
    # %import zeoconf, never needs it.
    from zeoconf import loader
    schema = loader.schema_loader(offline).loadFile(io.StringIO(_SCHEMA))
    try:
        return loader.load_text(text, schema, url).config.storage
    except ZConfig.ConfigurationError as e:
        other = re.search(_OTHER_SECTION, text, re.MULTILINE | re.IGNORECASE)
        if other is None:
            raise
        lineno = text.count('\n', 0, other.start()) + 1
        raise ZConfig.ConfigurationSyntaxError(
            f'client_kwargs() and parse_clientstorage() read one '
            f'<clientstorage> section, and this text has <{other.group(1)}>;'
            f' for a whole configuration file use ZODB.config.'
            f'databaseFromString() or zeoconf check', url, lineno) from e


def client_kwargs(text):
    """Keyword arguments for ``ZEO.ClientStorage.ClientStorage``.

    *text* holds one ``<clientstorage>`` section; ``addr`` is included::

        >>> kwargs = client_kwargs('<clientstorage>\\n server zeo:8100\\n'
        ...                        '</clientstorage>')
        >>> kwargs['addr']
        [('zeo', 8100)]
    """
    return parse_clientstorage(text).kwargs()
