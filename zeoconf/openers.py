"""Section objects: a parsed section in, ClientStorage arguments out.

ZConfig calls :class:`SSLOpener` and :class:`ClientStorageOpener` with a
section whose keys are already converted; they check the rules that span
several keys, resolve the keyword arguments of
``ZEO.ClientStorage.ClientStorage`` and open it. ZEO is imported only in
:meth:`ClientStorageOpener.open`.

A rule broken across keys is raised as :class:`SectionError`, a
``ValueError`` that ZConfig turns into ``ZConfig.DataConversionError``. As
ZConfig gives section datatypes no position, the message names the
section and the keys with their lines (see :mod:`zeoconf.keys`), and the
exception carries ``lineno`` and ``url`` of the key at fault.
"""

import logging
import os
import types

from zeoconf import datatypes, keys
from zeoconf.datatypes import PortOnly, format_address

__all__ = ['ClientStorageOpener', 'SSLOpener', 'SectionError',
           'ZEOCompatibilityError']

logger = logging.getLogger('zeoconf')

# ZEO's own retry delay, used when disconnect-poll is not given.
ZEO_DISCONNECT_POLL = 1.0

# Compatibility keys that current ZEO accepts and ignores.
_IGNORED_WHY = {
    'max-disconnect-poll': 'ZEO retries every disconnect-poll seconds, '
                           'without back-off',
    'drop-cache-rather-verify': 'ZEO always verifies its cache against the '
                                'server and drops it when it cannot',
    'username': 'ZEO no longer authenticates with a user name; use <ssl> '
                'client certificates',
    'password': 'ZEO no longer authenticates with a password; use <ssl> '
                'client certificates',
    'realm': 'ZEO no longer authenticates with a realm; use <ssl> client '
             'certificates',
}


# The <zeoclient> keys of a section that has none (most): one shared,
# read-only mapping instead of a new dict per section.
_NONE = types.MappingProxyType({})


class SectionError(ValueError):
    """A rule across keys of one section is broken.

    ``lineno`` and ``url`` locate the key at fault when known, else None.
    """

    def __init__(self, message, position=None):
        super().__init__(message)
        self.lineno, self.url = position if position else (None, None)


class ZEOCompatibilityError(RuntimeError):
    """The installed ZEO lacks something a configured option needs."""


class _Section:
    """Reading helpers shared by both section types."""

    def __init__(self, config):
        self.config = config
        self.name = config.getSectionName()
        keys.share_defaults(config)

    @property
    def positions(self):
        """``{key: [Position, ...]}``: where the section's keys were given.

        Worked out when first asked for: only messages and ``show`` need it.
        """
        return keys.positions(self.config)

    def where(self, key):
        found = self.positions.get(key)
        return found[0] if found else None

    def key_at(self, key):
        """``key (line N)``, or just ``key`` when the line is unknown."""
        position = self.where(key)
        return f'{key} ({position})' if position else key

    def fail(self, message, key=None):
        raise SectionError(f'{self.label()}: {message}',
                           self.where(key) if key else None)


class SSLOpener(_Section):
    """The ``<ssl>`` section: a checked, shared client ``SSLContext``.

    Attributes: ``context`` (``ssl.SSLContext``), ``check_hostname``,
    ``server_hostname`` (``None`` to use the host of the address) and the
    converted keys ``certificate``, ``key``, ``password_function`` and
    ``authenticate``.
    """

    def __init__(self, config):
        super().__init__(config)
        self.certificate = config.certificate
        self.key = config.key
        self.password_function = config.password_function
        self.authenticate = config.authenticate
        self.server_hostname = config.server_hostname
        self.check_hostname = config.check_hostname
        if self.key and not self.certificate:
            self.fail(f'{self.key_at("key")} needs certificate; add '
                      f'certificate (the client certificate file)', 'key')
        if self.password_function and not self.certificate:
            self.fail(f'{self.key_at("password-function")} has no key to '
                      f'unlock; add certificate (and key)',
                      'password-function')
        if self.server_hostname and not self.check_hostname:
            self.fail(f'{self.key_at("check-hostname")} is false but '
                      f'{self.key_at("server-hostname")} asks for a host '
                      f'name check; remove one of them', 'check-hostname')
        from zeoconf import tls
        try:
            self.context = tls.client_context(
                self.certificate, self.key, self.password_function,
                self.authenticate, self.check_hostname)
        except tls.TLSSettingError as e:
            self.fail(f'{e}', e.key)

    def label(self):
        return '<ssl>'

    def summary(self):
        """Settings as text for people: never the password."""
        parts = [f'authenticate={self.authenticate or "system CAs"}']
        if self.certificate:
            parts.append(f'certificate={self.certificate}')
        if not self.check_hostname:
            parts.append('check-hostname=false')
        elif self.server_hostname:
            parts.append(f'server-hostname={self.server_hostname}')
        return ' '.join(parts)


class ClientStorageOpener(_Section):
    """The ``<clientstorage>`` section.

    :meth:`kwargs` gives the keyword arguments of
    ``ZEO.ClientStorage.ClientStorage``; :meth:`open` creates it.
    """

    def __init__(self, config):
        super().__init__(config)
        self.ssl = config.ssl
        self._check(config)

    def label(self):
        if self.name:
            return f'<clientstorage {self.name}>'
        if self.config.name:
            return f'<clientstorage> (name {self.config.name})'
        servers = self.config.server
        first = format_address(servers[0]) if servers else '?'
        return f'<clientstorage> for {first}'

    def kwargs(self):
        """Keyword arguments for ``ClientStorage``, ``addr`` included.

        ``ClientStorage(**kwargs())`` behaves exactly as ZEO alone would;
        :meth:`open` adds what makes ``disconnect_poll`` take effect. A new
        dict each call: the opener keeps only what the checks derived.
        """
        c = self.config
        return {
            'addr': [tuple(a) if isinstance(a, tuple) else a
                     for a in c.server],
            'storage': c.storage,
            'name': c.name,
            'cache_size': c.cache_size,
            'cache': self._cache,
            'blob_dir': c.blob_dir,
            'shared_blob_dir': c.shared_blob_dir,
            'blob_cache_size': self._blob_cache_size,
            'blob_cache_size_check': c.blob_cache_size_check,
            'read_only': c.read_only,
            'read_only_fallback': c.read_only_fallback,
            'server_sync': c.server_sync,
            'wait_timeout': c.wait_timeout,
            'disconnect_poll': self._disconnect_poll,
            'client_label': c.client_label,
            'wait': self._wait,
            'ssl': self._ssl_context,
            'ssl_server_hostname': self._ssl_server_hostname,
        }

    def open(self):
        """Create the ``ZEO.ClientStorage.ClientStorage``."""
        try:
            self._check_blob_dir()
        except SectionError as e:
            import ZConfig
            raise ZConfig.ConfigurationError(str(e)) from None
        from ZEO.ClientStorage import ClientStorage
        kwargs = self.kwargs()
        factory = _client_factory(kwargs['disconnect_poll'])
        if factory is not None:
            kwargs['_client_factory'] = factory
        return ClientStorage(**kwargs)

    def _check(self, c):
        """Check the rules across keys; keep what they derive (the cache
        file, the retry delay, the TLS context and host name, ...)."""
        # The <zeoclient> keys: rare, so looked at only when there are any.
        zeoclient = keys.zeoclient_keys(c) if c.zeoclient_keys else _NONE
        self.zeoclient = zeoclient
        client = var = min_poll = None
        self._wait = True
        if zeoclient:
            for key, why in _IGNORED_WHY.items():
                if key in zeoclient:
                    logger.warning('%s: %s is ignored: %s.', self.label(),
                                   self.key_at(key), why)
            client = zeoclient.get('client')
            var = zeoclient.get('var')
            min_poll = zeoclient.get('min-disconnect-poll')
            self._wait = zeoclient.get('wait',
                                       keys.zeoclient_default('wait'))

        self._blob_cache_size = c.blob_cache_size
        if c.blob_dir is None:
            for key, needs in (('shared-blob-dir', c.shared_blob_dir),
                               ('blob-cache-size',
                                c.blob_cache_size is not None)):
                if needs:
                    self.fail(f'{self.key_at(key)} needs blob-dir; add '
                              f'blob-dir (the blob directory)', key)
        elif c.shared_blob_dir:
            if c.blob_cache_size is not None:
                logger.warning(
                    '%s: %s is ignored with shared-blob-dir: the blobs are '
                    'the server\'s own and are never removed by a client.',
                    self.label(), self.key_at('blob-cache-size'))
                self._blob_cache_size = None
            if not os.path.isdir(c.blob_dir):
                self.fail(f'{self.key_at("blob-dir")} {c.blob_dir!r} does '
                          f'not exist, but shared-blob-dir says it is the '
                          f"server's blob directory; mount or create it",
                          'blob-dir')
        elif keys.is_recording():
            self._check_blob_dir()

        self._cache = c.cache_path
        if client:
            if c.cache_path is not None:
                logger.warning('%s: %s and %s are ignored: %s names the '
                               'cache file.', self.label(),
                               self.key_at('client'), 'var',
                               self.key_at('cache-path'))
            else:
                try:
                    # The storage name is the other part of the file name.
                    datatypes.file_name_part(c.storage)
                except ValueError as e:
                    self.fail(f'{self.key_at("storage")} names the cache '
                              f'file with client: {e}', 'storage')
                self._cache = os.path.join(var or os.getcwd(),
                                           f'{client}-{c.storage}.zec')
        elif var is not None:
            logger.warning('%s: %s is ignored without client, which names '
                           'the cache file; or use cache-path.',
                           self.label(), self.key_at('var'))

        self._disconnect_poll = c.disconnect_poll
        if min_poll is not None:
            given = keys.given(c, 'disconnect-poll')
            if given is None:   # pragma: no cover (another ZConfig)
                given = c.disconnect_poll != ZEO_DISCONNECT_POLL
            if given:
                self.fail(f'{self.key_at("min-disconnect-poll")} and '
                          f'{self.key_at("disconnect-poll")} both set the '
                          f'retry delay; keep disconnect-poll',
                          'min-disconnect-poll')
            self._disconnect_poll = min_poll

        self._ssl_context, self._ssl_server_hostname = self._tls(c.server)

    def _check_blob_dir(self):
        """blob-dir must not name something other than a directory.

        Looked at by :meth:`open`, just before ZEO creates or uses the
        directory, and when zeoconf's own tools parse (``zeoconf check``
        gives the line): a plain ``ZODB.config`` parse, at every start of
        every process, makes no system call for a directory that ZEO
        creates and inspects when it opens anyway.
        """
        c = self.config
        if c.blob_dir is None or c.shared_blob_dir:
            return      # none; or checked to be a directory by _check
        try:
            datatypes.check_directory(c.blob_dir, 'a blob directory')
        except ValueError as e:
            self.fail(f'{self.key_at("blob-dir")}: {e}', 'blob-dir')

    def _tls(self, servers):
        tls = self.ssl
        if tls is None:
            return None, None
        sockets = [a for a in servers if isinstance(a, str)]
        if sockets:
            # ZEO 6 opens Unix sockets without a server_hostname, which
            # asyncio refuses for TLS: every attempt would fail, forever.
            self.fail(f'server {sockets[0]!r} (line '
                      f'{self._server_line(sockets[0])}) is a Unix socket, '
                      f'and ZEO\'s client cannot use TLS over Unix sockets; '
                      f'use HOST:PORT or remove <ssl>', 'server')
        if not tls.check_hostname or tls.server_hostname:
            return tls.context, tls.server_hostname
        bare = [a for a in servers if isinstance(a, PortOnly)]
        if bare:
            self.fail(f'server {bare[0][1]} gives no host name for '
                      f'<ssl> to check the certificate against; add '
                      f'server-hostname NAME to <ssl> (or write the server '
                      f'as HOST:PORT)', 'server')
        hosts = sorted({host for host, _ in servers})
        if len(hosts) > 1:
            self.fail(f'the servers have different host names '
                      f'({", ".join(hosts)}), so <ssl> cannot check one; '
                      f'add server-hostname NAME to <ssl>', 'server')
        return tls.context, hosts[0]

    def _server_line(self, address):
        lines = self.positions.get('server') or []
        for position, value in zip(lines, self.config.server):
            if value == address:
                return position.lineno
        return '?'

    def summary(self):
        """One line for people: servers, TLS, read-only."""
        kw = self.kwargs()
        servers = ', '.join(format_address(a) for a in kw['addr'])
        mode = ('read-only-fallback' if kw['read_only_fallback'] else
                'read-only' if kw['read_only'] else 'read-write')
        return (f'servers={servers} storage={kw["storage"]} '
                f'tls={"on" if kw["ssl"] else "off"} {mode}')


def _client_factory(disconnect_poll):
    """A ``_client_factory`` for ClientStorage that honours the poll.

    ``ClientStorage`` accepts ``disconnect_poll`` and drops it; the
    connection thread it creates, ``ZEO.asyncio.client.ClientThread``, does
    take ``disconnect_poll`` and waits that long (plus up to a second) after
    a failed attempt. ``ClientStorage`` lets a caller choose that thread
    class through ``_client_factory``; we pass the class with the poll
    bound. Returns ``None`` when the poll is ZEO's own default, and raises
    :class:`ZEOCompatibilityError` when the installed ZEO has no such hook.
    """
    import functools
    import inspect

    from ZEO.asyncio.client import ClientThread
    from ZEO.ClientStorage import ClientStorage
    storage_params = inspect.signature(ClientStorage.__init__).parameters
    thread_params = inspect.signature(ClientThread.__init__).parameters
    if ('_client_factory' in storage_params
            and 'disconnect_poll' in thread_params):
        return functools.partial(ClientThread,
                                 disconnect_poll=disconnect_poll)
    if disconnect_poll == ZEO_DISCONNECT_POLL:
        return None
    raise ZEOCompatibilityError(
        f'disconnect-poll {disconnect_poll:g} cannot take effect: the '
        f'installed ZEO has no ClientStorage(_client_factory=...) hook or '
        f'its ClientThread takes no disconnect_poll. Remove disconnect-poll '
        f'or install a ZEO version zeoconf supports.')
