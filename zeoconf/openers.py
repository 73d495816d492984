"""Section objects: a parsed section in, ClientStorage arguments out.

ZConfig calls the openers with a section whose keys are converted. They
check the rules across keys, each broken one a :class:`SectionError` that
names the keys (:mod:`zeoconf.loader` adds their lines), and resolve the
keyword arguments of ``ZEO.ClientStorage.ClientStorage``. The ``Offline``
openers check every rule without looking at this machine.
"""

import functools
import logging
import os

import ZConfig

from zeoconf import datatypes

log = logging.getLogger('zeoconf')

#: ZEO's own retry delay and wait for the first connection, where the
#: configuration gives none.
ZEO_DISCONNECT_POLL = 1.0
ZEO_WAIT_TIMEOUT = 30.0

#: The authentication keys of ZODB's <zeoclient>; ZEO ignores them since
#: 5.0 (``zeoconf migrate`` drops their lines).
AUTHENTICATION_KEYS = ('username', 'password', 'realm')

#: Compatibility keys that current ZEO accepts and ignores, and why.
IGNORED_KEYS = {
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

CHECK_HINT = 'zeoconf check FILE gives the line of each key'


class SectionError(ZConfig.ConfigurationSyntaxError):
    """A rule across keys of a parsed *section* is broken: ``keys`` are
    the keys involved, the one at fault first, ``occurrence`` which value
    of a repeated key, ``text`` the message without ``CHECK_HINT``."""

    def __init__(self, section, text, *keys, occurrence=0):
        super().__init__(f'{text} ({CHECK_HINT})' if keys else text, None,
                         None)
        self.section, self.text = section, text
        self.keys, self.occurrence = keys, occurrence


class SSLOpener:
    """The ``<ssl>`` section: its keys, and ``context``, a checked, shared
    client ``SSLContext`` (None in an offline review). Without
    ``server_hostname`` each server is checked against its own host."""

    def __init__(self, config):
        self.config = config
        self.certificate = config.certificate
        self.key = config.key
        self.password_function = config.password_function
        self.authenticate = config.authenticate
        self.server_hostname = config.server_hostname
        self.check_hostname = config.check_hostname
        if self.key and not self.certificate:
            self.fail(f'key {self.key!r} needs certificate; add certificate '
                      f'(the client certificate file)', 'key')
        if self.password_function and not self.certificate:
            self.fail(f'password-function {self.password_function} has no '
                      f'key to unlock; add certificate (and key)',
                      'password-function')
        if self.server_hostname and not self.check_hostname:
            self.fail(f'check-hostname is false but server-hostname '
                      f'{self.server_hostname} asks for a host name check; '
                      f'remove one of them', 'check-hostname',
                      'server-hostname')
        self.context = self.build_context()

    def build_context(self):
        # Loaded with the first <ssl>: at the top it would cost every fresh
        # process a tenth of ZEO's whole component, past the 2.0x guard.
        from zeoconf import tls
        try:
            return tls.client_context(
                self.certificate, self.key, self.password_function,
                self.authenticate, self.check_hostname)
        except tls.TLSSettingError as e:
            self.fail(str(e), e.key)

    def fail(self, text, *keys):
        raise SectionError(self.config, f'<ssl>: {text}', *keys)


class OfflineSSLOpener(SSLOpener):
    """``<ssl>`` reviewed for another machine: no context is built."""

    def build_context(self):
        return None


class ClientStorageOpener:
    """The ``<clientstorage>`` section: :meth:`kwargs` and :meth:`open`.

    Derived values: ``addresses`` (every server, in order), ``cache`` (from
    cache-path, or client and var), ``disconnect_poll`` and
    ``blob_cache_size`` (None where it is ignored) as they take effect.
    """

    #: Whether the rules may look at this machine (the blob directory).
    check_disk = True

    def __init__(self, config):
        self.config = config
        c = config
        self.name = config.getSectionName()
        self.ssl = c.ssl
        self.addresses = [a for line in c.server for a in line]
        self._check_servers()
        for key, why in IGNORED_KEYS.items():
            if getattr(c, key.replace('-', '_')) is not None:
                log.warning('%s: %s is ignored: %s.', self.label(), key, why)
        self.blob_cache_size = self._blob_rules()
        self.cache = self._cache_file()
        if c.min_disconnect_poll is not None and c.disconnect_poll is not None:
            self.fail(f'min-disconnect-poll {c.min_disconnect_poll:g}s and '
                      f'disconnect-poll {c.disconnect_poll:g}s both set the '
                      f'retry delay; keep disconnect-poll',
                      'min-disconnect-poll', 'disconnect-poll')
        self.disconnect_poll = (c.disconnect_poll or c.min_disconnect_poll
                                or ZEO_DISCONNECT_POLL)

    def label(self):
        """The section as messages name it."""
        if self.name:
            return f'<clientstorage {self.name}>'
        if self.config.name:
            return f'<clientstorage> (name {self.config.name})'
        return (f'<clientstorage> for '
                f'{datatypes.format_address(self.addresses[0])}')

    def fail(self, text, *keys, occurrence=0):
        raise SectionError(self.config, f'{self.label()}: {text}', *keys,
                           occurrence=occurrence)

    def kwargs(self):
        """A new dict of keyword arguments for ``ClientStorage``, with
        which it behaves exactly as ZEO alone would: :meth:`open` adds
        what makes ``disconnect_poll`` take effect."""
        c = self.config
        return {
            'addr': list(self.addresses),
            'storage': c.storage,
            'name': c.name,
            'cache_size': c.cache_size,
            'cache': self.cache,
            'blob_dir': c.blob_dir,
            'shared_blob_dir': c.shared_blob_dir,
            'blob_cache_size': self.blob_cache_size,
            'blob_cache_size_check': c.blob_cache_size_check,
            'read_only': c.read_only,
            'read_only_fallback': c.read_only_fallback,
            'server_sync': c.server_sync,
            'wait_timeout': c.wait_timeout,
            'disconnect_poll': self.disconnect_poll,
            'client_label': c.client_label,
            'wait': c.wait,
            'ssl': self.ssl.context if self.ssl else None,
            'ssl_server_hostname': (self.ssl.server_hostname if self.ssl
                                    else None),
        }

    def open(self):
        """Create the ``ZEO.ClientStorage.ClientStorage``."""
        from ZEO.ClientStorage import ClientStorage
        kwargs = self.kwargs()
        factory = _client_factory(self.disconnect_poll)
        if factory is not None:
            kwargs['_client_factory'] = factory
        return ClientStorage(**kwargs)

    def _check_servers(self):
        seen = set()
        # occurrence=line: the line of the server key at fault.
        for line, addresses in enumerate(self.config.server):
            for address in addresses:
                if isinstance(address, str):
                    same = address
                    if self.ssl is not None:
                        # ZEO opens a Unix socket without a host name, and
                        # asyncio refuses TLS without one: every attempt
                        # would fail, for ever.
                        self.fail(f"server {address!r} is a Unix socket, and "
                                  f"ZEO's client cannot use TLS over Unix "
                                  f"sockets; use HOST:PORT or remove <ssl>",
                                  'server', occurrence=line)
                else:
                    # DNS names ignore case, and a final dot only says the
                    # name is absolute.
                    same = (address[0].lower().rstrip('.'), address[1])
                if same in seen:
                    self.fail(f'server {datatypes.format_address(address)} '
                              f'is given twice; give each server once',
                              'server', occurrence=line)
                seen.add(same)

    def _blob_rules(self):
        """Check the blob keys; the blob-cache-size that takes effect."""
        c = self.config
        if c.blob_dir is None:
            needs = 'needs blob-dir; add blob-dir (the blob directory)'
            if c.shared_blob_dir:
                self.fail(f'shared-blob-dir true {needs}', 'shared-blob-dir',
                          'blob-dir')
            if c.blob_cache_size is not None:
                size = datatypes.format_value(c.blob_cache_size, 'size')
                self.fail(f'blob-cache-size {size} {needs}',
                          'blob-cache-size', 'blob-dir')
            return None
        if self.check_disk:
            self._check_blob_dir()
        if c.shared_blob_dir and c.blob_cache_size is not None:
            log.warning('%s: blob-cache-size is ignored with shared-blob-dir:'
                        " the blobs are the server's own and are never "
                        'removed by a client.', self.label())
            return None
        return c.blob_cache_size

    def _check_blob_dir(self):
        """Nothing at blob-dir (ZEO creates it), or a directory whose ZODB
        ``.layout`` marker, if any, fits shared-blob-dir."""
        c = self.config
        try:
            exists = datatypes.check_directory(c.blob_dir, 'a blob directory')
        except ValueError as e:
            self.fail(f'blob-dir: {e}', 'blob-dir')
        if not exists:
            if c.shared_blob_dir:
                self.fail(f'blob-dir {c.blob_dir!r} does not exist, but '
                          f"shared-blob-dir says it is the server's blob "
                          f'directory; mount or create it', 'blob-dir',
                          'shared-blob-dir')
            return
        layout = _layout(os.path.join(c.blob_dir, '.layout'))
        if layout is None:
            return
        if c.shared_blob_dir and layout not in ('bushy', 'lawn'):
            self.fail(f"blob-dir {c.blob_dir!r} holds a client's blob cache "
                      f'(layout {layout!r}), but shared-blob-dir is true; '
                      f"set shared-blob-dir false, or give the server's "
                      f'blob directory', 'shared-blob-dir', 'blob-dir')
        if not c.shared_blob_dir and layout != 'zeocache':
            self.fail(f'blob-dir {c.blob_dir!r} is a shared blob directory '
                      f'(layout {layout!r}), but shared-blob-dir is false; '
                      f"set shared-blob-dir true if it is the server's blob "
                      f'directory, or give a directory of its own for the '
                      f'blob cache', 'shared-blob-dir', 'blob-dir')

    def _cache_file(self):
        c = self.config
        if c.client is None:
            if c.var is not None:
                log.warning('%s: var is ignored without client, which names '
                            'the cache file; or use cache-path.',
                            self.label())
            return c.cache_path
        if c.cache_path is not None:
            log.warning('%s: client and var are ignored: cache-path names '
                        'the cache file.', self.label())
            return c.cache_path
        try:
            # The storage name is the other part of the file name.
            datatypes.file_name_part(c.storage)
        except ValueError as e:
            self.fail(f'storage names the cache file with client: {e}',
                      'storage', 'client')
        try:
            return cache_file(c.client, c.var, c.storage)
        except OSError as e:
            # Without var: the working directory, which may have been removed.
            self.fail(f'client {c.client} names a cache file in the working '
                      f'directory, which cannot be found ({e.strerror}); add '
                      f'var, the directory for the cache file', 'client')


class OfflineClientStorageOpener(ClientStorageOpener):
    """``<clientstorage>`` reviewed for another machine: no blob-dir."""

    check_disk = False


def cache_file(client, var, storage):
    """The persistent cache file ZEO names with ``client`` and ``var``:
    VAR/CLIENT-STORAGE.zec, in the working directory without var."""
    return os.path.join(var or os.getcwd(), f'{client}-{storage}.zec')


def _layout(path):
    """The layout ZODB's marker file at *path* names, or None."""
    try:
        datatypes.regular_file(path, 'a layout marker')
        with open(path, encoding='ascii', errors='replace') as f:
            return f.read(100).strip()
    except (OSError, ValueError):
        return None


def _client_factory(disconnect_poll):
    """A ``_client_factory`` for ``ClientStorage`` that honours
    *disconnect_poll*, or None where the installed ZEO has no place for it.

    ``ClientStorage`` drops ``disconnect_poll``; its connection thread,
    ``ZEO.asyncio.client.ClientThread``, takes it. ``_client_factory`` is
    ZEO's private hook for that class, so setup.cfg pins ZEO to releases
    on which tests/test_zeo_state.py proves it; a ZEO without it gets one
    warning, never a crash.
    """
    # inspect comes with ZEO (asyncio imports it); a parse does not load it.
    import inspect

    from ZEO.asyncio.client import ClientThread
    from ZEO.ClientStorage import ClientStorage
    if ('_client_factory' in inspect.signature(ClientStorage).parameters
            and 'disconnect_poll' in inspect.signature(
                ClientThread).parameters):
        return functools.partial(ClientThread,
                                 disconnect_poll=disconnect_poll)
    if disconnect_poll != ZEO_DISCONNECT_POLL:
        log.warning('disconnect-poll %gs cannot take effect: the installed '
                    'ZEO has no ClientStorage(_client_factory=...) hook, or '
                    'its ClientThread takes no disconnect_poll; ZEO retries '
                    'every %gs.', disconnect_poll, ZEO_DISCONNECT_POLL)
    return None
