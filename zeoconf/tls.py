"""Client ``ssl.SSLContext`` construction, checked and shared.

A context is built once per distinct settings and reused: a configuration
with a hundred storages behind the same ``<ssl>`` settings loads the CA
bundle and the key once. The cache key includes each file's device, inode,
size, modification and change times, so that a certificate replaced on
disk is picked up by the next parse, even when the new file has the same
size and its modification time was put back (the change time cannot be put
back). A file changed so recently that its change time could repeat is
also compared by content (a digest of its bytes) at each use, until it is
seen unchanged a few seconds later. The cache is shared by threads: a lock
guards it; files are read and contexts built outside the lock.

Every problem with the files is raised here as :class:`TLSSettingError`
naming the key at fault, so that the configuration layer can report it
with the key's line; nothing is left to fail at connection time. A file
that is not a regular file (a FIFO, a device) is refused, or skipped in a
CA directory, without being opened for reading.
"""

import collections
import hashlib
import os
import ssl
import stat
import threading
import time

from zeoconf.lookups import MAX_FILE_SIZE, file_kind

__all__ = ['client_context', 'TLSSettingError', 'stats', 'MAX_FILE_SIZE',
           'MAX_PASSWORD_BYTES']

# Distinct settings kept; an LRU bound so that a long-lived process that
# re-reads changing files does not keep every old context alive.
_CACHE_SIZE = 32
_cache = collections.OrderedDict()
# Guards _cache and stats: parses run in several threads of one process.
_lock = threading.Lock()
#: ``built``: contexts built and kept; ``reused``: calls answered from the
#: cache (a thread that built a context another one had kept first counts
#: as reusing that one).
stats = {'built': 0, 'reused': 0}


#: The longest password OpenSSL is given: CPython hands the password
#: callback OpenSSL's buffer of 1024 bytes (PEM_BUFSIZE) and refuses more.
MAX_PASSWORD_BYTES = 1024


class TLSSettingError(ValueError):
    """A TLS file or setting that cannot work; ``key`` names the key."""

    def __init__(self, key, message):
        super().__init__(f'{key}: {message}')
        self.key = key


class _NoPasswordFunction(Exception):
    pass


class _PasswordFunctionFailed(Exception):
    pass


class _PasswordTooLong(Exception):
    pass


def _read_regular(path):
    """``(stat, bytes)`` of the regular file *path*.

    ``OSError`` if it cannot be read, ``_WrongKind(kind)`` if it is not a
    regular file (it is then not opened for reading, or, if it became one
    between ``stat`` and ``open``, opened without blocking and not read),
    ``_TooLarge(size)`` beyond :data:`MAX_FILE_SIZE`.
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _WrongKind(file_kind(st.st_mode))
    if st.st_size > MAX_FILE_SIZE:
        raise _TooLarge(st.st_size)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _WrongKind(file_kind(st.st_mode))
        chunks, left = [], MAX_FILE_SIZE + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b''.join(chunks)
    if len(data) > MAX_FILE_SIZE:
        raise _TooLarge(len(data))
    return st, data


class _WrongKind(Exception):
    pass


class _TooLarge(Exception):
    pass


#: A file whose change time is this close to the moment it is looked at
#: could change again with the same change time (file systems count time
#: in ticks: a jiffy, two seconds on FAT). Its content is compared too,
#: until a look this long after its change finds it the same; after that,
#: any change moves its change time.
_RACY_NS = 3_000_000_000


def _stamp(key, path, what):
    """Device, inode, size, modification and change time of the regular
    file *path* (``stat`` only: nothing is opened). A FIFO, device or
    directory, or a file larger than :data:`MAX_FILE_SIZE`, raises
    :class:`TLSSettingError`; a file that cannot be looked at is left to
    :func:`_build` to report."""
    try:
        st = os.stat(path)
    except OSError:
        return 'unreadable'
    if not stat.S_ISREG(st.st_mode):
        raise TLSSettingError(key, f'{path!r} is {file_kind(st.st_mode)}'
                                   f', not a regular file; expected {what}')
    if st.st_size > MAX_FILE_SIZE:
        raise TLSSettingError(key, f'{path!r} is {st.st_size} bytes long, '
                                   f'more than {MAX_FILE_SIZE >> 20} MB; '
                                   f'expected {what}')
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


_CA_WHAT = 'a PEM file of CA certificates or a directory of them'


def _settings(certificate, key, password_function, authenticate,
              check_hostname):
    """The cache key of these settings, and ``{path: change time}`` of
    each regular file in them."""
    files = {}

    def file_stamp(key_name, path, what):
        if path is None:
            return None
        stamp = _stamp(key_name, path, what)
        if stamp != 'unreadable':
            files[path] = stamp[-1]
        return stamp

    if authenticate is None:
        # The system's CAs: where they are (SSL_CERT_FILE and SSL_CERT_DIR
        # move them) and the bundle's stamp are part of the settings.
        paths = ssl.get_default_verify_paths()
        trust = (paths.cafile, paths.capath, file_stamp(
            'authenticate', paths.cafile, 'the system CA file (a regular '
            'file; SSL_CERT_FILE moves it), or authenticate'))
    else:
        try:
            st = os.stat(authenticate)
        except OSError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            # OpenSSL reads a directory's files at handshake time.
            trust = (authenticate, 'directory', st.st_dev, st.st_ino,
                     st.st_mtime_ns, st.st_ctime_ns)
        else:
            trust = (authenticate,
                     file_stamp('authenticate', authenticate, _CA_WHAT))
    cache_key = (certificate, key, password_function, bool(check_hostname),
                 file_stamp('certificate', certificate,
                            'a PEM certificate file'),
                 file_stamp('key', key, 'a PEM private key file'), trust)
    return cache_key, files


def _digests(paths):
    """``{path: SHA-256 of its bytes}``, or ``None`` if one of them cannot
    be read (or is no longer a regular file)."""
    digests = {}
    for path in paths:
        try:
            _, data = _read_regular(path)
        except (OSError, _WrongKind, _TooLarge):
            return None
        digests[path] = hashlib.sha256(data).digest()
    return digests


class _Entry:
    """A cached context and the digests of its files that are still
    compared at each use (see :data:`_RACY_NS`)."""

    __slots__ = ('context', 'racy')

    def __init__(self, context, racy):
        self.context = context
        self.racy = racy        # replaced, never changed: threads read it

    def unchanged(self, files, started):
        """Whether the files compared by content still hold what was
        loaded; those now old enough stop being compared."""
        racy = self.racy
        if not racy:
            return True
        if _digests(racy) != racy:
            return False
        self.racy = {path: digest for path, digest in racy.items()
                     if started - files[path] <= _RACY_NS}
        return True

    def agrees(self, digests):
        return all(digests.get(path) == digest
                   for path, digest in self.racy.items())


def client_context(certificate=None, key=None, password_function=None,
                   authenticate=None, check_hostname=True):
    """Return a client context for these settings, built or from the cache.

    *certificate*, *key* and *authenticate* are absolute paths or ``None``;
    *password_function* a callable or ``None``. The context always verifies
    the server (``CERT_REQUIRED``) and speaks TLS 1.2 or later. Safe to
    call from several threads at once.
    """
    started = time.time_ns()
    cache_key, files = _settings(certificate, key, password_function,
                                 authenticate, check_hostname)
    with _lock:
        entry = _cache.get(cache_key)
        if entry is not None:
            _cache.move_to_end(cache_key)
    # Files are read outside the lock.
    if entry is not None and entry.unchanged(files, started):
        with _lock:
            stats['reused'] += 1
        return entry.context
    before = _digests(files)
    # Built outside the lock: loading files and calling the password
    # function may take a while, and other settings need not wait.
    context = _build(certificate, key, password_function, authenticate,
                     check_hostname)
    if (before is None or _digests(files) != before
            or _settings(certificate, key, password_function, authenticate,
                         check_hostname)[0] != cache_key):
        # A file changed while it was loaded: what the context holds is
        # not known to match the stamp, so it is not kept.
        return context
    racy = {path: before[path] for path, changed in files.items()
            if started - changed <= _RACY_NS}
    with _lock:
        kept = _cache.get(cache_key)
        if kept is not None and kept is not entry and kept.agrees(before):
            # Another thread built the same settings meanwhile: one
            # context for one setup, as everywhere else.
            _cache.move_to_end(cache_key)
            stats['reused'] += 1
            return kept.context
        _cache[cache_key] = _Entry(context, racy)
        _cache.move_to_end(cache_key)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        stats['built'] += 1
    return context


def clear_cache():
    """Forget every cached context (for tests and long-lived tools)."""
    with _lock:
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
    if context.cert_store_stats()['crl']:
        # Revocation lists in the CA file (loaded now, with the CAs) are
        # used, as ZEO's own component uses them: the server's certificate
        # is checked against its CA's list. A CA directory's lists are
        # not: OpenSSL would read them at handshake time, by name, past
        # every check made here (ZEO's component ignores them too).
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
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
    # of plain ca.pem files, or of hashed names holding no certificate,
    # would fail every connection, so say it now.
    try:
        names = sorted(n for n in os.listdir(path) if _hashed(n))
    except OSError as e:
        raise TLSSettingError('authenticate', f'{path!r} cannot be read: '
                                              f'{e.strerror}') from None
    if not names:
        raise TLSSettingError(
            'authenticate', f'{path!r} is a directory without hashed CA '
            f'certificates (files named like 3513523f.0); run '
            f'`openssl rehash {path}` or give a CA file instead')
    probe = None
    for name in names:
        file = os.path.join(path, name)
        try:
            st = os.stat(file)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_SIZE:
            continue        # a FIFO would block OpenSSL's read: not opened
        if probe is None:
            # A context of its own: the one being built keeps reading the
            # directory lazily, by hash, as OpenSSL does.
            probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            probe.load_verify_locations(cafile=file)
        except (ssl.SSLError, OSError, ValueError):
            continue
        if probe.cert_store_stats()['x509']:
            return
    raise TLSSettingError(
        'authenticate', f'{path!r} holds no certificate: none of its '
        f'{len(names)} hashed files (such as {names[0]}) is a regular file '
        f'with a PEM certificate; expected a directory of CA '
        f'certificates as `openssl rehash` makes it, or a CA file')


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
        if isinstance(value, str):
            try:
                value = value.encode('utf-8')
            except UnicodeError:
                # CPython's own error would quote a character of it.
                raise _PasswordFunctionFailed(
                    'it returned text that cannot be encoded as UTF-8') \
                    from None
        elif not isinstance(value, (bytes, bytearray)):
            raise _PasswordFunctionFailed(
                f'it returned {type(value).__name__}, not str or bytes')
        if len(value) > MAX_PASSWORD_BYTES:
            # Beyond it CPython raises a ValueError naming no key.
            raise _PasswordTooLong(len(value))
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
    except _PasswordTooLong as e:
        raise TLSSettingError(
            'password-function', f'{function_name} returned a password of '
            f'{e} bytes; OpenSSL takes at most {MAX_PASSWORD_BYTES} bytes '
            f'(UTF-8)') from None
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
    # Only a regular file is read: a FIFO or a device is not opened.
    try:
        _, data = _read_regular(path)
    except (OSError, _WrongKind, _TooLarge):
        return False
    return marker in data


def _name_of(function):
    if function is None:
        return None
    # A NamedCallable (what the configuration gives) shows the dotted
    # name written; a plain function, its module and qualified name.
    from zeoconf.values import NamedCallable
    qualname = getattr(function, '__qualname__', None)
    if isinstance(function, NamedCallable) or qualname is None:
        return str(function)
    return f'{getattr(function, "__module__", "?")}.{qualname}'
