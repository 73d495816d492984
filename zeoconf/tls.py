"""Client ``ssl.SSLContext`` construction, checked and shared.

A context is ``ssl.create_default_context()`` (never weaker than
CPython's defaults) with zeoconf's rules: TLS 1.2 or later, strict X.509
checks, a password callback, so that OpenSSL never prompts. A problem with
a file raises :class:`TLSSettingError` naming the key, at parse time.

Contexts are cached by their settings and the SHA-256 of every file they
read, read again at each call: storages with the same ``<ssl>`` share one,
and a file changed on disk is never served from a stale one.
"""

import collections
import hashlib
import os
import ssl
import threading

from zeoconf import datatypes

_CACHE_SIZE = 32        # old contexts of changing files do not pile up
_cache = collections.OrderedDict()
_lock = threading.Lock()     # parses run in several threads of a process
#: Contexts ``built`` and kept, and calls answered from the cache.
stats = {'built': 0, 'reused': 0}

#: The longest password OpenSSL takes: CPython hands the callback
#: OpenSSL's buffer of 1024 bytes (PEM_BUFSIZE).
MAX_PASSWORD_BYTES = 1024

_CA_WHAT = 'a PEM file of CA certificates or a directory of them'


class TLSSettingError(ValueError):
    """A TLS file or setting that cannot work; ``key`` names the key."""

    def __init__(self, key, message):
        super().__init__(f'{key}: {message}')
        self.key = key


def client_context(certificate=None, key=None, password_function=None,
                   authenticate=None, check_hostname=True):
    """A client context for these settings (paths, a callable, or None),
    built or from the cache; safe to call from several threads."""
    settings = (certificate, key, password_function, authenticate,
                bool(check_hostname))
    cache_key = (settings, _contents(certificate, key, authenticate))
    with _lock:
        context = _cache.get(cache_key)
        if context is not None:
            _cache.move_to_end(cache_key)
            stats['reused'] += 1
            return context
    # Built outside the lock, so that other settings need not wait.
    context = _build(*settings)
    if _contents(certificate, key, authenticate) == cache_key[1]:
        # Kept only when no file changed while it was built.
        with _lock:
            _cache[cache_key] = context
            if len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
            stats['built'] += 1
    return context


def clear_cache():
    """Forget every cached context."""
    with _lock:
        _cache.clear()


def _read(key, path, what):
    """SHA-256 of the regular file *path*, or ``TLSSettingError``."""
    try:
        datatypes.regular_file(path, what)
        # O_NONBLOCK: a FIFO put there since the stat above does not block
        # the open, and reading it gives nothing.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), 'rb') as f:
            return hashlib.sha256(f.read(datatypes.MAX_FILE_SIZE)).digest()
    except ValueError as e:
        raise TLSSettingError(key, str(e)) from None
    except OSError as e:
        raise TLSSettingError(key, f'{path!r} cannot be read: '
                                   f'{e.strerror}') from None


def _hashed_names(path):
    """The files of a CA directory named by subject hash (3513523f.0), as
    ``openssl rehash`` makes them: the only ones OpenSSL reads."""
    try:
        names = os.listdir(path)
    except OSError as e:
        raise TLSSettingError('authenticate', f'{path!r} cannot be read: '
                                              f'{e.strerror}') from None
    return sorted(n for n in names
                  if len(n) >= 10 and n[8] == '.' and n[9:].isdigit())


def _directory(path):
    """Digests of a CA directory's hashed files, which OpenSSL reads at
    handshake time: a FIFO there would hang it."""
    return tuple((name, _read('authenticate', os.path.join(path, name),
                              'a CA certificate file'))
                 for name in _hashed_names(path))


def _contents(certificate, key, authenticate):
    """Digests of what a context of these settings reads."""
    found = []
    if certificate is not None:
        found.append(_read('certificate', certificate,
                           'a PEM certificate file'))
    if key is not None:
        found.append(_read('key', key, 'a PEM private key file'))
    if authenticate is None:
        # The system's CAs, where SSL_CERT_FILE and SSL_CERT_DIR put them;
        # not paths.cafile, None for anything but a regular file, where
        # OpenSSL would still open a FIFO, and block.
        paths = ssl.get_default_verify_paths()
        cafile = (os.environ.get(paths.openssl_cafile_env)
                  or paths.openssl_cafile)
        if os.path.exists(cafile):
            found.append(_read('authenticate', cafile,
                               'the system CA file (SSL_CERT_FILE)'))
        if paths.capath is not None:
            found.append(_directory(paths.capath))
    elif os.path.isdir(authenticate):
        found.append(_directory(authenticate))
    else:
        found.append(_read('authenticate', authenticate, _CA_WHAT))
    return tuple(found)


def _build(certificate, key, password_function, authenticate,
           check_hostname):
    if authenticate is None:
        context = ssl.create_default_context()
        if not context.cert_store_stats()['x509_ca']:
            _check_system_cas()
    elif os.path.isdir(authenticate):
        _check_ca_directory(authenticate)
        context = ssl.create_default_context(capath=authenticate)
    else:
        try:
            context = ssl.create_default_context(cafile=authenticate)
        except ssl.SSLError:
            context = None
        if context is None or not context.cert_store_stats()['x509_ca']:
            raise TLSSettingError(
                'authenticate', f'{authenticate!r} holds no PEM CA '
                f'certificate; expected {_CA_WHAT}')
    if context.minimum_version < ssl.TLSVersion.TLSv1_2:   # Python 3.9
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    if context.cert_store_stats()['crl']:
        # A CA file's revocation lists are used, as ZEO's own component
        # uses them. A CA directory's are not: OpenSSL would read them at
        # handshake time, past every check made here.
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if certificate is not None:
        _load_chain(context, certificate, key, password_function)
    context.check_hostname = check_hostname
    return context


def _check_system_cas():
    # No CA was loaded from the system's CA file. Its CA directory is read
    # at handshake time: only when it has no hashed names either would
    # every server's certificate fail to verify.
    paths = ssl.get_default_verify_paths()
    if paths.capath and _hashed_names(paths.capath):
        return
    cafile = os.environ.get(paths.openssl_cafile_env) or paths.openssl_cafile
    capath = os.environ.get(paths.openssl_capath_env) or paths.openssl_capath
    raise TLSSettingError(
        'authenticate', f'no system CA certificates were found (OpenSSL '
        f'looks in {cafile!r} and {capath!r}; SSL_CERT_FILE and '
        f'SSL_CERT_DIR move them), so no server certificate can be '
        f'verified; add authenticate with the CA file that signed the '
        f"server's certificate")


def _check_ca_directory(path):
    # A directory of plain ca.pem files, or of hashed names that hold no
    # certificate, would fail every connection: say it now.
    names = _hashed_names(path)
    if not names:
        raise TLSSettingError(
            'authenticate', f'{path!r} is a directory without hashed CA '
            f'certificates (files named like 3513523f.0); run '
            f'`openssl rehash {path}` or give a CA file instead')
    for name in names:
        # Each was read as a regular file of sane size (_directory).
        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            probe.load_verify_locations(cafile=os.path.join(path, name))
        except ssl.SSLError:
            continue
        if probe.cert_store_stats()['x509_ca']:
            return
    raise TLSSettingError(
        'authenticate', f'{path!r} holds no certificate: none of its '
        f'{len(names)} hashed files (such as {names[0]}) is a PEM CA '
        f'certificate; expected a directory of CA certificates as `openssl '
        f'rehash` makes it, or a CA file')


def _load_chain(context, certificate, key, password_function):
    key_file = key or certificate
    key_name = 'key' if key else 'certificate'
    asked = []

    def password():
        # Always given to OpenSSL, so that an encrypted key never makes it
        # prompt on a terminal. What it raises, load_cert_chain raises.
        asked.append(True)
        if password_function is None:
            raise TLSSettingError(
                key_name, f'{key_file!r} holds an encrypted private key and '
                f'there is no password-function; add password-function '
                f'module.function returning its password')
        try:
            value = password_function()
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            # The exception's text could hold the password: its type only.
            raise TLSSettingError('password-function', f'{password_function}'
                                  f' failed: {type(e).__name__}') from None
        if isinstance(value, str):
            value = value.encode('utf-8', 'surrogatepass')
        elif not isinstance(value, (bytes, bytearray)):
            raise TLSSettingError(
                'password-function', f'{password_function} failed: it '
                f'returned {type(value).__name__}, not str or bytes')
        if len(value) > MAX_PASSWORD_BYTES:
            raise TLSSettingError(
                'password-function', f'{password_function} returned a '
                f'password of {len(value)} bytes; OpenSSL takes at most '
                f'{MAX_PASSWORD_BYTES} bytes (UTF-8)')
        return value

    try:
        context.load_cert_chain(certificate, key, password)
    except ssl.SSLError as e:
        raise TLSSettingError(*_chain_problem(
            e, certificate, key, password_function, asked)) from None
    except OSError as e:
        raise TLSSettingError(key_name, f'{key_file!r} cannot be read: '
                                        f'{e.strerror}') from None


def _chain_problem(error, certificate, key, password_function, asked):
    """``(key, message)`` for OpenSSL's *error* loading the chain."""
    key_file = key or certificate
    key_name = 'key' if key else 'certificate'
    if error.reason == 'KEY_VALUES_MISMATCH':
        return key_name, (f'the private key in {key_file!r} does not match '
                          f'the certificate in {certificate!r}')
    if asked and password_function is not None and _holds(
            key_file, b'PRIVATE KEY-----'):
        return 'password-function', (
            f'the password returned by {password_function} does not '
            f'decrypt the key in {key_file!r}')
    if not _holds(certificate, b'-----BEGIN CERTIFICATE-----'):
        return 'certificate', (f'{certificate!r} holds no PEM certificate; '
                               f'expected a file with -----BEGIN '
                               f'CERTIFICATE-----')
    if not _holds(key_file, b'PRIVATE KEY-----'):
        where = ('holds no PEM private key' if key else
                 'holds no private key; add key, the private key file')
        return key_name, f'{key_file!r} {where}'
    return key_name, (f'OpenSSL cannot load {certificate!r} with '
                      f'{key_file!r}: {error.reason or error}')


def _holds(path, marker):
    # The file was checked to be regular and of a sane size.
    try:
        with open(path, 'rb') as f:
            return marker in f.read(datatypes.MAX_FILE_SIZE)
    except OSError:
        return False
