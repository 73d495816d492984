"""zeoconf: the ZConfig component for ZEO client storages.

Write ``%import zeoconf`` and a ``<clientstorage>`` section in a ZODB
configuration; see README.md. ZEO is imported only when a storage opens.
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
    """The opener (:class:`zeoconf.openers.ClientStorageOpener`) of the one
    ``<clientstorage>`` section in *text*, ``%import zeoconf`` optional.

    Every problem raises ``ZConfig.ConfigurationError`` with the line of
    the key at fault. *offline* reviews a configuration meant for another
    machine: nothing on this one is looked at.
    """
    # zeoconf's own loader, which also serves the command line, is not
    # needed by a %import zeoconf: a Zope or ZODB.config start skips it.
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
    """Keyword arguments for ``ZEO.ClientStorage.ClientStorage``, ``addr``
    included, of the one ``<clientstorage>`` section in *text*::

        >>> client_kwargs('<clientstorage>\\n server zeo:8100\\n'
        ...               '</clientstorage>')['addr']
        [('zeo', 8100)]
    """
    return parse_clientstorage(text).kwargs()
