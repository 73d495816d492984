"""zeoconf: the ZConfig component for ZEO client storages.

Write ``%import zeoconf`` and a ``<clientstorage>`` section in a ZODB
configuration; see README.md and docs/reference.md. Importing this package
is cheap: ZEO and asyncio are imported only when a storage is opened.
"""

__version__ = '0.1.0'

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


def parse_clientstorage(text, url=None):
    """Parse text holding one ``<clientstorage>`` section; return its opener.

    ``%import zeoconf`` in the text is allowed and not needed. Problems
    raise ``ZConfig.ConfigurationError``.
    """
    import io

    import ZConfig

    from zeoconf.errors import (
        from_directive,
        given_twice,
        located,
        without_secrets,
    )
    from zeoconf.keys import recording
    try:
        with recording():
            config, _ = ZConfig.loadConfigFile(
                _clientstorage_schema(), io.StringIO(text), url)
    except ZConfig.ConfigurationError as e:
        raise given_twice(from_directive(
            located(without_secrets(e, url)), text, url), text, url) from None
    except (Exception, SystemExit) as e:
        # Only ZConfig's directive handling lets these through (an
        # %import of a package that fails, even by sys.exit()); our
        # datatypes' ValueErrors arrive as DataConversionError.
        raise from_directive(e, text, url) from None
    return config.storage


def client_kwargs(text):
    """Keyword arguments for ``ZEO.ClientStorage.ClientStorage``.

    *text* holds one ``<clientstorage>`` section; ``addr`` is included::

        >>> kwargs = client_kwargs('<clientstorage>\\n server zeo:8100\\n'
        ...                        '</clientstorage>')
        >>> kwargs['addr']
        [('zeo', 8100)]
    """
    return parse_clientstorage(text).kwargs()
