"""zeoconf: the ZConfig component for ZEO client storages.

Write ``%import zeoconf`` and a ``<clientstorage>`` section in a ZODB
configuration; see README.md and docs/reference.md. Importing this package
is cheap: ZEO and asyncio are imported only when a storage is opened.
"""

__version__ = '0.2.0.dev0'

__all__ = ['client_kwargs', 'parse_clientstorage', '__version__']

_SCHEMA_TEXT = """\
<schema>
  <import package="zeoconf"/>
  <section type="clientstorage" name="*" attribute="storage" required="yes"/>
</schema>
"""
_schema = None


def _clientstorage_schema():
    global _schema
    if _schema is None:
        import io

        import ZConfig
        _schema = ZConfig.loadSchemaFile(io.StringIO(_SCHEMA_TEXT))
    return _schema


def parse_clientstorage(text, url=None, offline=False):
    """Parse *text* holding one ``<clientstorage>`` section; return its
    opener (``zeoconf.openers.ClientStorageOpener``: ``kwargs()``,
    ``open()``).

    ``%import zeoconf`` in the text is allowed and not needed. Every
    problem raises ``ZConfig.ConfigurationError`` with the line of the key
    at fault. For a whole ``zodb.conf`` or ``zope.conf``, use
    ``zeoconf.loader.load_path(path).storages()``; to open it,
    ``ZODB.config.databaseFromFile``.
    """
    import ZConfig

    from zeoconf.loader import load_text
    try:
        loaded = load_text(text, _clientstorage_schema(), url, offline)
    except ZConfig.ConfigurationError as e:
        from zeoconf.hints import not_one_clientstorage
        raise not_one_clientstorage(e, text) from None
    return loaded.config.storage


def client_kwargs(text):
    """Keyword arguments for ``ZEO.ClientStorage.ClientStorage``.

    *text* holds one ``<clientstorage>`` section; ``addr`` is included::

        >>> kwargs = client_kwargs('<clientstorage>\\n server zeo:8100\\n'
        ...                        '</clientstorage>')
        >>> kwargs['addr']
        [('zeo', 8100)]
    """
    return parse_clientstorage(text).kwargs()
