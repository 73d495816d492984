"""Section objects: a parsed section in, ClientStorage arguments out.

ZConfig calls :class:`SSLOpener` and :class:`ClientStorageOpener` with a
section whose keys are already converted; they check the rules that span
several keys, resolve the keyword arguments of
``ZEO.ClientStorage.ClientStorage`` and open it. ZEO is imported only in
:meth:`ClientStorageOpener.open`.

A rule broken across keys raises :class:`SectionError`, a
``ZConfig.ConfigurationError`` naming the section (by its server), every
key and value involved, and what to do. ZConfig gives a section's
datatype no position: under zeoconf's own loader (:mod:`zeoconf.loader`:
``client_kwargs``, the command line), which sees every key with its
line, the message names the line of each key and the error carries the
line of the key at fault; under any other (``ZODB.config``, Zope) ZConfig
adds the line of the enclosing section, where there is one, and the
message points at ``zeoconf check``, which gives each key's line.
"""

import os
import types

import ZConfig

from zeoconf import datatypes, keys
from zeoconf.datatypes import PortOnly, format_address

__all__ = ['ClientStorageOpener', 'SSLOpener', 'SectionError']

# ZEO's own retry delay, used when neither disconnect-poll nor
# min-disconnect-poll is given.
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

_CHECK_HINT = 'zeoconf check FILE gives the line of each key'
# The <zeoclient> keys of a section that has none (most): one shared,
# read-only mapping.
_NONE = types.MappingProxyType({})


class SectionError(ZConfig.ConfigurationError):
    """A rule across keys of one section is broken.

    ``keys`` names the keys involved, the one at fault first; ``lineno``
    and ``url`` locate it when zeoconf's loader read the file, else None.
    """

    def __init__(self, message, keys=(), position=None):
        super().__init__(message)
        self.keys = tuple(keys)
        self.lineno, self.url = position if position else (None, None)


def __getattr__(name):
    # ZEOCompatibilityError, here in zeoconf 0.1, is defined with the code
    # that raises it: a process that never opens a storage never creates it.
    if name == 'ZEOCompatibilityError':
        from zeoconf.poll import ZEOCompatibilityError
        return ZEOCompatibilityError
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def _warn(message, *args):
    # Only for the rare keys that are ignored: logging's lookup is left
    # out of the process starts that have none.
    import logging
    logging.getLogger('zeoconf').warning(message, *args)


def _shown(value, datatype=None):
    from zeoconf.wording import format_value
    return format_value(value, datatype)


class _Section:
    """Reading helpers shared by both section types."""

    def __init__(self, config):
        self.config = config
        self.name = config.getSectionName()
        # zeoconf's own loader, when one of its tools is reading: its
        # ``positions(section)`` gives ``{key: [(lineno, url), ...]}``, and
        # ``offline`` says that nothing on this machine may be looked at.
        self.loader = keys.current_loader()

    @property
    def positions(self):
        """``{key: [(lineno, url), ...]}``: where the section's keys were
        given; empty unless zeoconf's own loader read the file."""
        return self.loader.positions(self.config) if self.loader else {}

    def where(self, key):
        found = self.positions.get(key)
        return found[0] if found else None

    def key_at(self, key):
        """``key (line N)`` (``key (FILE:N)`` for a line of another file
        than the section's first key), or just ``key`` when the line is
        unknown."""
        position = self.where(key)
        if not position:
            return key
        line, url = position
        first = next(iter(self.positions.values()))[0]
        if url == first[1] or not url:
            return f'{key} (line {line})'
        return f'{key} ({url.rsplit("/", 1)[-1]}:{line})'

    def fail(self, message, *keys):
        """Raise :class:`SectionError`: *message* names *keys*, the one
        at fault first."""
        located = self.where(keys[0]) if keys else None
        text = f'{self.label()}: {message}'
        if keys and self.loader is None:
            text += f' ({_CHECK_HINT})'
        raise SectionError(text, keys, located)


class SSLOpener(_Section):
    """The ``<ssl>`` section: a checked, shared client ``SSLContext``.

    Attributes: ``context`` (``ssl.SSLContext``; None when an offline
    review left it out), ``check_hostname``, ``server_hostname`` (``None``
    to use the host of the address) and the converted keys
    ``certificate``, ``key``, ``password_function`` and ``authenticate``.
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
            self.fail(f'{self.key_at("key")} {self.key!r} needs '
                      f'certificate; add certificate (the client '
                      f'certificate file)', 'key', 'certificate')
        if self.password_function and not self.certificate:
            self.fail(f'{self.key_at("password-function")} '
                      f'{_shown(self.password_function)} has no key '
                      f'to unlock; add certificate (and key)',
                      'password-function', 'certificate')
        if self.server_hostname and not self.check_hostname:
            self.fail(f'{self.key_at("check-hostname")} is false but '
                      f'{self.key_at("server-hostname")} '
                      f'{self.server_hostname} asks for a host name check; '
                      f'remove one of them', 'check-hostname',
                      'server-hostname')
        self.context = None
        if self.loader is not None and self.loader.offline:
            return
        from zeoconf import tls
        try:
            self.context = tls.client_context(
                self.certificate, self.key, self.password_function,
                self.authenticate, self.check_hostname)
        except tls.TLSSettingError as e:
            self.fail(f'{e}', e.key)

    def label(self):
        return '<ssl>'


class ClientStorageOpener(_Section):
    """The ``<clientstorage>`` section.

    :meth:`kwargs` gives the keyword arguments of
    ``ZEO.ClientStorage.ClientStorage``; :meth:`open` creates it.
    ``zeoclient`` holds the converted ``<zeoclient>`` compatibility keys
    that were given.
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
        dict each call.
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
            'disconnect_poll': self.disconnect_poll,
            'client_label': c.client_label,
            'wait': self._wait,
            'ssl': self._ssl_context,
            'ssl_server_hostname': self._ssl_server_hostname,
        }

    def open(self):
        """Create the ``ZEO.ClientStorage.ClientStorage``."""
        self._check_blob_dir()
        from ZEO.ClientStorage import ClientStorage

        from zeoconf.poll import client_factory
        kwargs = self.kwargs()
        factory = client_factory(kwargs['disconnect_poll'])
        if factory is not None:
            kwargs['_client_factory'] = factory
        return ClientStorage(**kwargs)

    def _check(self, c):
        """Check the rules across keys; keep what they derive (the cache
        file, the retry delay, the TLS context and host name, ...)."""
        # The <zeoclient> keys: rare, so looked at only when there are any.
        zeoclient = self._zeoclient(c) if c.zeoclient_keys else _NONE
        self.zeoclient = zeoclient
        self._wait = zeoclient.get('wait', True)
        for key, why in _IGNORED_WHY.items():
            if key in zeoclient:
                _warn('%s: %s is ignored: %s.', self.label(),
                      self.key_at(key), why)

        self._blob_cache_size = c.blob_cache_size
        if c.blob_dir is None:
            for key, needs in (('shared-blob-dir', c.shared_blob_dir),
                               ('blob-cache-size',
                                c.blob_cache_size is not None)):
                if needs:
                    value = _shown(getattr(c, key.replace('-', '_')), 'size')
                    self.fail(f'{self.key_at(key)} {value} needs blob-dir; '
                              f'add blob-dir (the blob directory)', key,
                              'blob-dir')
        elif c.shared_blob_dir:
            if c.blob_cache_size is not None:
                _warn(
                    '%s: %s is ignored with shared-blob-dir: the blobs are '
                    'the server\'s own and are never removed by a client.',
                    self.label(), self.key_at('blob-cache-size'))
                self._blob_cache_size = None
            if not self._offline() and not os.path.isdir(c.blob_dir):
                self.fail(f'{self.key_at("blob-dir")} {c.blob_dir!r} does '
                          f'not exist, but {self.key_at("shared-blob-dir")} '
                          f"says it is the server's blob directory; mount "
                          f'or create it', 'blob-dir', 'shared-blob-dir')
        elif self.loader is not None and not self.loader.offline:
            self._check_blob_dir()

        self._cache = c.cache_path
        client, var = zeoclient.get('client'), zeoclient.get('var')
        if client:
            if c.cache_path is not None:
                _warn('%s: %s and %s are ignored: %s names the cache '
                      'file.', self.label(), self.key_at('client'), 'var',
                      self.key_at('cache-path'))
            else:
                try:
                    # The storage name is the other part of the file name.
                    datatypes.file_name_part(c.storage)
                except ValueError as e:
                    self.fail(f'{self.key_at("storage")} names the cache '
                              f'file with {self.key_at("client")}: {e}',
                              'storage', 'client')
                self._cache = os.path.join(var or os.getcwd(),
                                           f'{client}-{c.storage}.zec')
        elif var is not None:
            _warn('%s: %s is ignored without client, which names the '
                  'cache file; or use cache-path.', self.label(),
                  self.key_at('var'))

        min_poll = zeoclient.get('min-disconnect-poll')
        if min_poll is not None and c.disconnect_poll is not None:
            self.fail(f'{self.key_at("min-disconnect-poll")} '
                      f'{min_poll:g}s and {self.key_at("disconnect-poll")} '
                      f'{c.disconnect_poll:g}s both set the retry delay; '
                      f'keep disconnect-poll', 'min-disconnect-poll',
                      'disconnect-poll')
        self.disconnect_poll = (c.disconnect_poll or min_poll
                                or ZEO_DISCONNECT_POLL)

        self._ssl_context, self._ssl_server_hostname = self._tls(c.server)

    def _offline(self):
        return self.loader is not None and self.loader.offline

    def _zeoclient(self, c):
        try:
            return keys.zeoclient_keys(c)
        except ValueError as e:
            # The key's own converter named it; ZConfig gave the "+"
            # entry's datatype the text only, so the line is ours to add.
            key = str(e).split(':', 1)[0]
            self.fail(str(e).replace(key, self.key_at(key), 1), key)

    def _check_blob_dir(self):
        """blob-dir must not name something other than a directory.

        Looked at by :meth:`open`, just before ZEO creates or uses the
        directory, and when zeoconf's own tools read a file (``zeoconf
        check`` gives the line): a plain ``ZODB.config`` parse, at every
        start of every process, makes no system call for a directory that
        ZEO creates and inspects when it opens anyway.
        """
        c = self.config
        if c.blob_dir is None or c.shared_blob_dir:
            return      # none; or checked to be a directory by _check
        try:
            from zeoconf.lookups import check_directory
            check_directory(c.blob_dir, 'a blob directory')
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
            self.fail(f'{self.key_at("server")} {sockets[0]!r} is a Unix '
                      f"socket, and ZEO's client cannot use TLS over Unix "
                      f'sockets; use HOST:PORT or remove <ssl>', 'server')
        if not tls.check_hostname or tls.server_hostname:
            return tls.context, tls.server_hostname
        bare = [a for a in servers if isinstance(a, PortOnly)]
        if bare:
            self.fail(f'{self.key_at("server")} {bare[0][1]} gives no host '
                      f'name for <ssl> to check the certificate against; '
                      f'add server-hostname NAME to <ssl> (or write the '
                      f'server as HOST:PORT)', 'server')
        # DNS names are not case sensitive, and a final dot only says the
        # name is absolute.
        hosts = {}
        for host, _ in servers:
            hosts.setdefault(host.lower().rstrip('.'), host)
        if len(hosts) > 1:
            self.fail(f'the servers have different host names '
                      f'({", ".join(sorted(hosts.values()))}), so <ssl> '
                      f'cannot check one; add server-hostname NAME to '
                      f'<ssl>', 'server')
        # The name as certificates are matched: lower case, no final dot.
        return tls.context, next(iter(hosts))
