"""Client ``ssl.SSLContext`` construction, checked and shared.

A context is built once per distinct settings and reused: a configuration
with a hundred storages behind the same ``<ssl>`` settings loads the CA
bundle and the key once. The cache key includes each file's size,
modification time and inode, so a certificate replaced on disk is picked
up by the next parse.

Every problem with the files is raised here as :class:`TLSSettingError`
naming the key at fault, so that the configuration layer can report it
with the key's line; nothing is left to fail at connection time.
"""

import collections
import os
import ssl

__all__ = ['client_context', 'TLSSettingError', 'stats']

# Distinct settings kept; an LRU bound so that a long-lived process that
# re-reads changing files does not keep every old context alive.
_CACHE_SIZE = 32
_cache = collections.OrderedDict()
stats = {'built': 0, 'reused': 0}


class TLSSettingError(ValueError):
    """A TLS file or setting that cannot work; ``key`` names the key."""

    def __init__(self, key, message):
        super().__init__(f'{key}: {message}')
        self.key = key


class _NoPasswordFunction(Exception):
    pass


class _PasswordFunctionFailed(Exception):
    pass


def _stamp(path):
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return 'missing'
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def client_context(certificate=None, key=None, password_function=None,
                   authenticate=None, check_hostname=True):
    """Return a client context for these settings, built or from the cache.

    *certificate*, *key* and *authenticate* are absolute paths or ``None``;
    *password_function* a callable or ``None``. The context always verifies
    the server (``CERT_REQUIRED``) and speaks TLS 1.2 or later.
    """
    if authenticate is None:
        # The system's CAs: where they are (SSL_CERT_FILE and SSL_CERT_DIR
        # move them) and the bundle's stamp are part of the settings.
        paths = ssl.get_default_verify_paths()
        trust = (paths.cafile, paths.capath, _stamp(paths.cafile))
    else:
        trust = (authenticate, _stamp(authenticate))
    cache_key = (certificate, key, password_function, bool(check_hostname),
                 _stamp(certificate), _stamp(key), trust)
    context = _cache.get(cache_key)
    if context is not None:
        _cache.move_to_end(cache_key)
        stats['reused'] += 1
        return context
    context = _build(certificate, key, password_function, authenticate,
                     check_hostname)
    _cache[cache_key] = context
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    stats['built'] += 1
    return context


def clear_cache():
    """Forget every cached context (for tests and long-lived tools)."""
    _cache.clear()


def _build(certificate, key, password_function, authenticate, check_hostname):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    if authenticate is None:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        if not context.cert_store_stats()['x509_ca']:
            _check_system_cas()
    elif os.path.isdir(authenticate):
        _check_ca_directory(authenticate)
        context.load_verify_locations(capath=authenticate)
    else:
        try:
            context.load_verify_locations(cafile=authenticate)
        except ssl.SSLError:
            raise TLSSettingError(
                'authenticate', f'{authenticate!r} holds no PEM CA '
                f'certificate; expected a PEM file of CA certificates or a '
                f'directory of them') from None
        except OSError as e:
            raise TLSSettingError(
                'authenticate', f'{authenticate!r} cannot be read: '
                f'{e.strerror}') from None
    if certificate is not None:
        _load_chain(context, certificate, key, password_function)
    context.check_hostname = bool(check_hostname)
    return context


def _check_system_cas():
    # Nothing was loaded from the system's CA file. A CA directory is read
    # lazily (at handshake time): only when there is none with hashed
    # names either would every server's certificate fail to verify.
    paths = ssl.get_default_verify_paths()
    try:
        names = os.listdir(paths.capath) if paths.capath else []
    except OSError:
        names = []
    if any(_hashed(name) for name in names):
        return
    raise TLSSettingError(
        'authenticate', f'no system CA certificates were found (OpenSSL '
        f'looks in {paths.cafile or paths.openssl_cafile!r} and '
        f'{paths.capath or paths.openssl_capath!r}; SSL_CERT_FILE and '
        f'SSL_CERT_DIR move them), so no server certificate can be '
        f'verified; add authenticate with the CA file that signed the '
        f"server's certificate")


def _hashed(name):
    # A file named by subject hash, as c_rehash makes them: 3513523f.0
    return len(name) >= 10 and name[8] == '.' and name[9:].isdigit()


def _check_ca_directory(path):
    # OpenSSL reads a CA directory lazily, at handshake time, and only the
    # files named by subject hash (c_rehash, `openssl rehash`): a directory
    # of plain ca.pem files would fail every connection, so say it now.
    names = os.listdir(path)
    hashed = [n for n in names if _hashed(n)]
    if not hashed:
        raise TLSSettingError(
            'authenticate', f'{path!r} is a directory without hashed CA '
            f'certificates (files named like 3513523f.0); run '
            f'`openssl rehash {path}` or give a CA file instead')


def _load_chain(context, certificate, key, password_function):
    asked = []

    def password():
        # Always given to OpenSSL, so that an encrypted key never makes it
        # prompt on a terminal.
        asked.append(True)
        if password_function is None:
            raise _NoPasswordFunction()
        try:
            value = password_function()
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            # The exception's text could hold the password: name its type.
            raise _PasswordFunctionFailed(type(e).__name__) from None
        if not isinstance(value, (str, bytes, bytearray)):
            raise _PasswordFunctionFailed(
                f'it returned {type(value).__name__}, not str or bytes')
        return value

    key_file = key or certificate
    key_name = 'key' if key else 'certificate'
    function_name = _name_of(password_function)
    try:
        context.load_cert_chain(certificate, key, password)
    except _NoPasswordFunction:
        raise TLSSettingError(
            key_name, f'{key_file!r} holds an encrypted private key and '
            f'there is no password-function; add password-function '
            f'module.function returning its password') from None
    except _PasswordFunctionFailed as e:
        raise TLSSettingError(
            'password-function', f'{function_name} failed: {e}') from None
    except ssl.SSLError as e:
        if e.reason == 'KEY_VALUES_MISMATCH':
            raise TLSSettingError(
                key_name, f'the private key in {key_file!r} does not match '
                f'the certificate in {certificate!r}') from None
        if asked and password_function is not None and _is_pem(
                key_file, b'PRIVATE KEY-----'):
            raise TLSSettingError(
                'password-function', f'the password returned by '
                f'{function_name} does not decrypt the key in '
                f'{key_file!r}') from None
        if not _is_pem(certificate, b'-----BEGIN CERTIFICATE-----'):
            raise TLSSettingError(
                'certificate', f'{certificate!r} holds no PEM certificate; '
                f'expected a file with -----BEGIN CERTIFICATE-----') from None
        if not _is_pem(key_file, b'PRIVATE KEY-----'):
            where = ('holds no PEM private key' if key else
                     'holds no private key; add key, the private key file')
            raise TLSSettingError(
                key_name, f'{key_file!r} {where}') from None
        raise TLSSettingError(
            key_name, f'OpenSSL cannot load {certificate!r} with '
            f'{key_file!r}: {e.reason or e}') from None
    except OSError as e:
        raise TLSSettingError(
            key_name, f'{key_file!r} cannot be read: {e.strerror}') from None


def _is_pem(path, marker):
    try:
        with open(path, 'rb') as f:
            return marker in f.read(1 << 20)
    except OSError:
        return False


def _name_of(function):
    if function is None:
        return None
    return f'{function.__module__}.{function.__qualname__}'
