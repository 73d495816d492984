"""The <ssl> section against live TLS servers, with trustme certificates.

``tls_server`` requires a client certificate signed by the test CA, as
ZEO's own server always does; ``tls_terminator_server`` does not (a server
behind a TLS terminator). The server certificate names ``localhost``,
``127.0.0.1`` and ``::1``.
"""

import functools
import io
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

import pytest
import trustme
import ZConfig
import ZODB.config
from fifos import without_blocking
from ZEO.Exceptions import ClientDisconnected

import zeoconf
from zeoconf import datatypes, tls

PASSWORD_MODULE = 'zeoconf_test_passwords'


@pytest.fixture(autouse=True)
def password_functions(certs, monkeypatch, tmp_path_factory):
    """An importable module with right and wrong password functions."""
    directory = tmp_path_factory.mktemp('pwmod')
    (directory / f'{PASSWORD_MODULE}.py').write_text(
        f'def right():\n    return {certs.password!r}\n'
        f'def wrong():\n    return "not the password"\n'
        f'def broken():\n    raise KeyError("vault says {certs.password}")\n'
        f'def number():\n    return 42\n')
    monkeypatch.syspath_prepend(str(directory))
    yield
    sys.modules.pop(PASSWORD_MODULE, None)


def _client_cert_lines(certs):
    return f"""certificate {certs.client_cert}
            key {certs.client_key}"""


def _conf(server_line, ssl_body, extra='wait-timeout 3'):
    return f"""%import zeoconf
<zodb>
  <clientstorage>
    {server_line}
    {extra}
    <ssl>
      {ssl_body}
    </ssl>
  </clientstorage>
</zodb>
"""


def _roundtrip(db):
    with db.transaction() as conn:
        conn.root()['tls'] = 'works'
    with db.transaction() as conn:
        assert conn.root()['tls'] == 'works'


def test_tls_client_commits_and_reads_back(tls_server, certs, open_db):
    db = open_db(_conf(f'server localhost:{tls_server.port}', f"""
        authenticate {certs.ca}
        {_client_cert_lines(certs)}"""))
    _roundtrip(db)
    second = open_db(_conf(f'server localhost:{tls_server.port}', f"""
        authenticate {certs.ca}
        certificate {certs.client_combined}"""))
    with second.transaction() as conn:
        assert conn.root()['tls'] == 'works'


def test_context_is_secure_by_default(certs):
    opener = zeoconf.parse_clientstorage(f"""
        <clientstorage>
          server zeo.example.com:8100
          <ssl>
            authenticate {certs.ca}
          </ssl>
        </clientstorage>""")
    kwargs = opener.kwargs()
    context = kwargs['ssl']
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.verify_flags & ssl.VERIFY_X509_STRICT
    # No one name for every server: asyncio checks each against its own.
    assert kwargs['ssl_server_hostname'] is None


def test_a_context_is_never_weaker_than_this_pythons_default(certs):
    """Whatever CPython's default context adds on this release (issue 22:
    VERIFY_X509_PARTIAL_CHAIN, VERIFY_X509_STRICT on 3.13), zeoconf's
    contexts carry it too, and TLS 1.2 is the least they speak."""
    default = ssl.create_default_context()
    for authenticate in (certs.ca, None):
        context = tls.client_context(authenticate=authenticate)
        assert context.verify_flags & default.verify_flags == \
            default.verify_flags
        assert context.options & default.options == default.options
        assert context.minimum_version >= max(default.minimum_version,
                                              ssl.TLSVersion.TLSv1_2)
        assert context.verify_mode == ssl.CERT_REQUIRED


def test_ip_address_host_is_checked_against_the_certificate(
        tls_server, certs, open_db):
    db = open_db(_conf(f'server 127.0.0.1:{tls_server.port}', f"""
        authenticate {certs.ca}
        {_client_cert_lines(certs)}"""))
    _roundtrip(db)


def test_encrypted_key_with_password_function(tls_server, certs, open_db):
    db = open_db(_conf(f'server localhost:{tls_server.port}', f"""
        authenticate {certs.ca}
        certificate {certs.client_cert}
        key {certs.encrypted_key}
        password-function {PASSWORD_MODULE}.right"""))
    _roundtrip(db)


def test_empty_ssl_uses_system_cas_and_host_name(
        tls_terminator_server, certs, open_db, monkeypatch):
    # The system's default CA bundle is what SSL_CERT_FILE names.
    monkeypatch.setenv('SSL_CERT_FILE', certs.ca)
    db = open_db(_conf(f'server localhost:{tls_terminator_server.port}',
                       ''))
    _roundtrip(db)


def test_empty_ssl_refuses_a_server_the_system_does_not_trust(
        tls_terminator_server, certs, monkeypatch, tmp_path):
    monkeypatch.setenv('SSL_CERT_FILE', certs.other_ca)
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(_conf(
            f'server localhost:{tls_terminator_server.port}', '',
            'wait-timeout 1'))


def _hashed_ca_directory(certs, tmp_path):
    """A CA directory as c_rehash makes it, holding the test CA."""
    subject_hash = subprocess.run(
        ['openssl', 'x509', '-hash', '-noout', '-in', certs.ca],
        check=True, capture_output=True, text=True).stdout.strip()
    cadir = tmp_path / 'cas'
    cadir.mkdir()
    shutil.copy(certs.ca, cadir / f'{subject_hash}.0')
    return cadir


def test_empty_ssl_with_no_system_ca_at_all_is_refused_when_read(
        monkeypatch, tmp_path):
    """No CA file and no hashed CA directory where OpenSSL looks: every
    server would fail verification, so it is said when the file is read."""
    (tmp_path / 'none.pem').write_text('')
    monkeypatch.setenv('SSL_CERT_FILE', str(tmp_path / 'none.pem'))
    monkeypatch.setenv('SSL_CERT_DIR', str(tmp_path))
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs('<clientstorage>\nserver zeo:8100\n<ssl>\n'
                              '</ssl>\n</clientstorage>\n')
    message = str(e.value)
    assert message.startswith('<ssl>: authenticate: no system CA '
                              'certificates were found')
    assert f"{str(tmp_path / 'none.pem')!r} and {str(tmp_path)!r}" in message
    assert "add authenticate with the CA file that signed" in message


@pytest.mark.skipif(shutil.which('openssl') is None,
                    reason='needs the openssl command to hash a CA file')
def test_empty_ssl_with_system_cas_in_a_hashed_directory_only(
        tls_terminator_server, certs, open_db, monkeypatch, tmp_path):
    # OpenSSL reads such a directory at handshake time: nothing is loaded
    # when the file is read, and the server is still verified.
    cadir = _hashed_ca_directory(certs, tmp_path)
    (tmp_path / 'none.pem').write_text('')
    monkeypatch.setenv('SSL_CERT_FILE', str(tmp_path / 'none.pem'))
    monkeypatch.setenv('SSL_CERT_DIR', str(cadir))
    db = open_db(_conf(f'server localhost:{tls_terminator_server.port}',
                       ''))
    _roundtrip(db)


@pytest.mark.parametrize('server, ssl_body', [
    # A plain client to a TLS server, and a TLS client to a plain one.
    ('tls_server', None),
    ('zeo_server', 'authenticate {ca}'),
    # The server's certificate from a CA the client does not trust.
    ('tls_server', 'authenticate {other_ca}\n{client}'),
    # A server-hostname the certificate does not name.
    ('tls_server', 'authenticate {ca}\nserver-hostname zeo.example.com\n'
                   '{client}'),
    # ZEO's server demands a client certificate.
    ('tls_server', 'authenticate {ca}'),
])
def test_a_connection_tls_refuses_fails_within_wait_timeout(
        request, certs, zodb_conf, server, ssl_body):
    port = request.getfixturevalue(server).port
    if ssl_body is None:
        text = zodb_conf(f"""
            server localhost:{port}
            wait-timeout 1""")
    else:
        text = _conf(f'server localhost:{port}', ssl_body.format(
            ca=certs.ca, other_ca=certs.other_ca,
            client=_client_cert_lines(certs)), 'wait-timeout 1')
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(text)


def _server_named(make_server, certs, name):
    """A TLS server whose certificate names only *name*."""
    cert, key = certs.issue_server_certificate(name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return make_server(ssl_context=context)


def test_server_hostname_is_what_gets_checked(make_server, certs, open_db):
    server = _server_named(make_server, certs, 'zeo.internal')
    db = open_db(_conf(f'server 127.0.0.1:{server.port}', f"""
        authenticate {certs.ca}
        server-hostname zeo.internal"""))
    _roundtrip(db)


def test_check_hostname_false_connects_without_a_name(make_server, certs,
                                                      open_db):
    server = _server_named(make_server, certs, 'somewhere.else')
    db = open_db(_conf(f'server {server.port}', f"""
        authenticate {certs.ca}
        check-hostname false"""))
    _roundtrip(db)
    # The certificate is still verified: another CA is refused.
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(_conf(
            f'server {server.port}', f"""
            authenticate {certs.other_ca}
            check-hostname false""", 'wait-timeout 1'))


@pytest.mark.skipif(shutil.which('openssl') is None,
                    reason='needs the openssl command to hash a CA file')
def test_ca_directory(tls_server, certs, open_db, tmp_path):
    cadir = _hashed_ca_directory(certs, tmp_path)
    db = open_db(_conf(f'server localhost:{tls_server.port}', f"""
        authenticate {cadir}
        {_client_cert_lines(certs)}"""))
    _roundtrip(db)


def test_zeo_cannot_do_tls_over_unix_sockets(make_server, certs):
    """Why a Unix socket with <ssl> is refused at parse time.

    If this starts failing, the installed ZEO can do it and the rule in
    ClientStorageOpener._tls can go.
    """
    from ZEO.ClientStorage import ClientStorage
    directory = tempfile.mkdtemp(prefix='zc', dir='/tmp')
    path = os.path.join(directory, 'tls.sock')
    try:
        make_server(address=path, ssl_context=certs.server_context(False))
        context = tls.client_context(authenticate=certs.ca,
                                     check_hostname=False)
        with pytest.raises(ClientDisconnected):
            ClientStorage(path, ssl=context, ssl_server_hostname='localhost',
                          wait_timeout=1)
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(directory)


# Hostile input: races, files replaced in place, special files, garbage CA
# directories, over-long passwords. Through tls.client_context, as every
# <ssl> section reaches it.

def _organization(context):
    """The organizationName of each CA certificate the context holds."""
    return [dict(rdn[0] for rdn in cert['subject'])['organizationName']
            for cert in context.get_ca_certs()]


@pytest.fixture(scope='module')
def many_cas(tmp_path_factory):
    """40 CA files, each a different trustme CA named 'CA <i>'."""
    directory = tmp_path_factory.mktemp('many-cas')
    files = []
    for i in range(40):
        ca = trustme.CA(organization_name=f'CA {i}')
        path = str(directory / f'ca{i}.pem')
        ca.cert_pem.write_to_path(path)
        files.append(path)
    return files


def _in_threads(count, work):
    """Run work(i) in *count* threads started together; return what each
    raised (nothing, when all is well)."""
    errors = []
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        try:
            work(i)
        except BaseException as e:      # anything escaping is the failure
            errors.append(e)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_threads_share_the_context_cache_without_errors(many_cas):
    """8 threads, 40 settings differing in authenticate (more than the
    cache keeps, so contexts are evicted while others look them up)."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    before = dict(tls.stats)
    wrong = []
    calls = 200

    def work(i):
        choose = random.Random(i)
        for _ in range(calls):
            n = choose.randrange(len(many_cas))
            context = tls.client_context(authenticate=many_cas[n],
                                         check_hostname=False)
            if _organization(context) != [f'CA {n}']:
                wrong.append((n, _organization(context)))
    try:
        errors = _in_threads(8, work)
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    assert wrong == []
    # Every call is counted once, as built or as reused.
    assert (tls.stats['built'] - before['built']
            + tls.stats['reused'] - before['reused']) == 8 * calls


def _same_length_pems(*cas):
    """The PEM of each CA, padded with a comment line after its
    certificate to one common length."""
    pems = [ca.cert_pem.bytes() for ca in cas]
    length = max(len(pem) for pem in pems) + 16
    return [pem + b'# ' + b'x' * (length - len(pem) - 3) + b'\n'
            for pem in pems]


def test_a_ca_file_replaced_in_place_with_size_and_mtime_kept_is_reloaded(
        tmp_path):
    first, second = _same_length_pems(
        trustme.CA(organization_name='First CA'),
        trustme.CA(organization_name='Second CA'))
    path = tmp_path / 'ca.pem'
    path.write_bytes(first)
    tls.clear_cache()
    built = tls.stats['built']
    old = tls.client_context(authenticate=str(path), check_hostname=False)
    assert _organization(old) == ['First CA']
    assert tls.client_context(authenticate=str(path),
                              check_hostname=False) is old
    was = os.stat(path)
    with open(path, 'r+b') as f:       # in place: the same inode
        f.write(second)
    os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == \
        (was.st_ino, was.st_size, was.st_mtime_ns)
    new = tls.client_context(authenticate=str(path), check_hostname=False)
    assert tls.stats['built'] == built + 2
    assert _organization(new) == ['Second CA']


@pytest.fixture
def fifo(tmp_path):
    path = str(tmp_path / 'fifo.pem')
    os.mkfifo(path)
    return path


@pytest.mark.parametrize('key, what', [
    ('certificate', 'a PEM certificate file'),
    ('key', 'a PEM private key file'),
    ('authenticate', 'a PEM file of CA certificates or a directory of them'),
])
def test_a_fifo_among_the_tls_files_is_refused_without_reading_it(
        certs, fifo, key, what):
    files = {'certificate': certs.client_cert, 'key': certs.client_key,
             'authenticate': certs.ca, key: fifo}
    with pytest.raises(tls.TLSSettingError) as e:
        without_blocking(fifo, lambda: tls.client_context(**files))
    assert e.value.key == key
    assert str(e.value) == (f'{key}: {fifo} is a FIFO, not a regular '
                            f'file; expected {what}')


def test_a_device_as_certificate_is_refused_by_what_it_is(certs):
    with pytest.raises(tls.TLSSettingError) as e:
        tls.client_context(certificate='/dev/zero', authenticate=certs.ca)
    assert str(e.value) == ("certificate: /dev/zero is a character "
                            "device, not a regular file; expected a PEM "
                            "certificate file")


def _write_hashed(directory, name, data):
    (directory / name).write_bytes(data)


def test_a_ca_directory_of_garbage_hashed_files_is_refused(tmp_path):
    cadir = tmp_path / 'cas'
    cadir.mkdir()
    _write_hashed(cadir, 'abcdef01.0', b'garbage\n')
    _write_hashed(cadir, 'abcdef01.1', b'-----BEGIN CERTIFICATE-----\n'
                                       b'bm90IGEgY2VydA==\n'
                                       b'-----END CERTIFICATE-----\n')
    (cadir / 'ca.pem').write_bytes(b'not hashed, not read')
    with pytest.raises(tls.TLSSettingError) as e:
        tls.client_context(authenticate=str(cadir))
    assert e.value.key == 'authenticate'
    assert str(e.value) == (
        f'authenticate: {str(cadir)!r} holds no certificate: none of its '
        f'2 hashed files (such as abcdef01.0) is a PEM CA certificate; '
        f'expected a directory of CA certificates as `openssl rehash` '
        f'makes it, or a CA file')


@pytest.mark.parametrize('name, special', [
    ('abcdef01.0', 'fifo'),
    ('00000000.1', 'fifo-beside-a-certificate'),
    ('abcdef01.0', 'socket'),
    ('abcdef01.0', 'device'),
])
def test_a_special_file_among_a_ca_directorys_hashed_names_is_refused(
        certs, tmp_path, name, special):
    """OpenSSL opens hashed names at handshake time, past wait-timeout: a
    FIFO there would hang the connection forever. Refused when read,
    named, without being opened."""
    cadir = tmp_path / 'cas'
    cadir.mkdir()
    path = cadir / name
    if special == 'socket':
        what = 'a socket'
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    elif special == 'device':
        what = 'a character device'
        path.symlink_to('/dev/zero')
    else:
        what = 'a FIFO'
        os.mkfifo(path)
        if special == 'fifo-beside-a-certificate':
            shutil.copy(certs.ca, cadir / '00000000.0')
    parse = functools.partial(
        zeoconf.client_kwargs,
        f'<clientstorage>\nserver zeo:8100\n<ssl>\n'
        f'authenticate {cadir}\n</ssl>\n</clientstorage>\n')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        without_blocking(str(path), parse) if what == 'a FIFO' else parse()
    assert e.value.lineno == 4
    assert e.value.message == (
        f'<ssl>: authenticate: {path} is {what}, not a regular file; '
        f'expected a CA certificate file')


def test_a_ca_file_holding_only_a_crl_is_refused(certs, tmp_path):
    crl_only = tmp_path / 'crl.pem'
    crl_only.write_bytes(certs.crl())
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs(
            f'<clientstorage>\nserver zeo:8100\n<ssl>\n'
            f'authenticate {crl_only}\n</ssl>\n</clientstorage>\n')
    assert e.value.lineno == 4
    assert e.value.message == (
        f"<ssl>: authenticate: {str(crl_only)!r} holds no PEM CA "
        f"certificate; expected a PEM file of CA certificates or a "
        f"directory of them")


def test_ssl_cert_file_naming_a_fifo_does_not_hang_an_empty_ssl(
        tmp_path, monkeypatch):
    fifo = tmp_path / 'cert.pem'
    os.mkfifo(fifo)
    monkeypatch.setenv('SSL_CERT_FILE', str(fifo))
    monkeypatch.setenv('SSL_CERT_DIR', str(tmp_path / 'none'))
    with pytest.raises(ZConfig.ConfigurationError) as e:
        without_blocking(str(fifo), lambda: zeoconf.client_kwargs(
            '<clientstorage>\nserver zeo:8100\n<ssl>\n</ssl>\n'
            '</clientstorage>\n'))
    assert e.value.message == (
        f'<ssl>: authenticate: {fifo} is a FIFO, not a regular file; '
        f'expected the system CA file (SSL_CERT_FILE)')


def test_a_symlink_loop_as_authenticate_is_said_to_be_one(tmp_path):
    loop = tmp_path / 'ca.pem'
    loop.symlink_to(loop)
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs(
            f'<clientstorage>\nserver zeo:8100\n<ssl>\n'
            f'authenticate {loop}\n</ssl>\n</clientstorage>\n')
    assert e.value.lineno == 4
    assert e.value.message.startswith(
        f"authenticate: {str(loop)!r} cannot be looked at: too many levels "
        f"of symbolic links")
    assert 'no such file' not in e.value.message


def _named(function):
    """*function* as the password-function key gives it."""
    return datatypes.NamedCallable(f'{__name__}.{function.__name__}',
                                   function)


def five_thousand():
    return 'p' * 5000


def utf8_1025():
    return 'é' * 512 + 'p'          # 1025 bytes in UTF-8, 513 characters


def lone_surrogate():
    return 'pass\ud800word'


@pytest.mark.parametrize('function, length', [(five_thousand, 5000),
                                              (utf8_1025, 1025)])
def test_a_password_longer_than_openssl_takes_names_the_key_and_the_limit(
        certs, function, length):
    with pytest.raises(tls.TLSSettingError) as e:
        tls.client_context(certs.client_cert, certs.encrypted_key,
                           _named(function), certs.ca)
    assert e.value.key == 'password-function'
    assert str(e.value) == (
        f'password-function: {__name__}.{function.__name__} returned a '
        f'password of {length} bytes; OpenSSL takes at most 1024 bytes '
        f'(UTF-8)')
    assert 'ppp' not in str(e.value)


def test_a_password_of_1024_bytes_reaches_openssl(certs):
    with pytest.raises(tls.TLSSettingError) as e:
        tls.client_context(certs.client_cert, certs.encrypted_key,
                           lambda: b'p' * 1024, certs.ca)
    assert e.value.key == 'password-function'
    assert 'does not decrypt the key' in str(e.value)


def test_a_password_that_is_no_utf8_text_is_not_quoted(certs):
    with pytest.raises(tls.TLSSettingError) as e:
        tls.client_context(certs.client_cert, certs.encrypted_key,
                           _named(lone_surrogate), certs.ca)
    assert str(e.value) == (
        f'password-function: the password returned by {__name__}.'
        f'lone_surrogate does not decrypt the key in '
        f'{certs.encrypted_key!r}')


@pytest.mark.parametrize('servers', [
    'server zeo1.example.com:8100\nserver zeo2.example.com:8100',
    'server zeo1.example.com:8100 zeo2.example.com:8100',
    'server ZEO.example.com:8100\nserver 10.0.0.5:8100',
])
def test_servers_of_different_host_names_share_one_ssl(certs, servers):
    kwargs = zeoconf.client_kwargs(
        f'<clientstorage>\n{servers}\n<ssl>\nauthenticate {certs.ca}\n'
        f'</ssl>\n</clientstorage>\n')
    assert len(kwargs['addr']) == 2
    assert kwargs['ssl'].check_hostname is True
    assert kwargs['ssl_server_hostname'] is None


@pytest.mark.parametrize('body', ['', 'authenticate {ca}'])
def test_a_bare_port_under_ssl_is_checked_against_127_0_0_1(
        make_server, certs, open_db, monkeypatch, body):
    # trustme's server certificate names 127.0.0.1.
    monkeypatch.setenv('SSL_CERT_FILE', certs.ca)
    server = make_server(ssl_context=certs.server_context(False))
    _roundtrip(open_db(_conf(f'server {server.port}',
                             body.format(ca=certs.ca))))


@pytest.fixture
def primary_and_replica(make_server, certs):
    """Two TLS servers, each with a certificate for its own name only:
    'localhost' and '127.0.0.1'."""
    servers = {}
    for name in ('localhost', '127.0.0.1'):
        cert, key = certs.issue_server_certificate(
            name, name=f'only-{name}')
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        servers[name] = make_server(ssl_context=context)
    return servers


@pytest.mark.parametrize('alive', ['localhost', '127.0.0.1'])
def test_each_server_is_checked_against_its_own_host_name(
        primary_and_replica, certs, open_db, alive):
    """One <ssl> for a primary and a replica with certificates of their
    own, as with ZEO's component: whichever is up is verified against
    the name it is given by, and serves."""
    servers = primary_and_replica
    text = _conf(f'server localhost:{servers["localhost"].port} '
                 f'127.0.0.1:{servers["127.0.0.1"].port}',
                 f'authenticate {certs.ca}', 'wait-timeout 10')
    for name, server in servers.items():
        if name != alive:
            server.stop()
    _roundtrip(open_db(text))


def test_a_server_whose_certificate_names_another_host_is_refused(
        primary_and_replica, certs):
    servers = primary_and_replica
    # The localhost server's certificate does not name 127.0.0.1.
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(_conf(
            f'server 127.0.0.1:{servers["localhost"].port}',
            f'authenticate {certs.ca}', 'wait-timeout 1'))


def test_a_hundred_storages_with_one_ssl_build_one_context(certs):
    sections = ''.join(
        f'<zodb db{i}>\n  <clientstorage>\n    server zeo{i}:8100\n'
        f'    <ssl>\n      authenticate {certs.ca}\n'
        f'      certificate {certs.client_cert}\n'
        f'      key {certs.client_key}\n    </ssl>\n'
        f'  </clientstorage>\n</zodb>\n' for i in range(100))
    tls.clear_cache()
    before = dict(tls.stats)
    config, _ = ZConfig.loadConfigFile(
        ZODB.config.getDbSchema(), io.StringIO('%import zeoconf\n' +
                                               sections))
    contexts = {id(db.config.storage.kwargs()['ssl'])
                for db in config.database}
    assert len(config.database) == 100
    assert len(contexts) == 1
    assert tls.stats['built'] - before['built'] == 1
    assert tls.stats['reused'] - before['reused'] == 99


@pytest.mark.skipif(shutil.which('openssl') is None,
                    reason='needs the openssl command to hash a CA file')
def test_a_ca_file_rewritten_in_place_in_a_ca_directory_is_read_again(
        tls_terminator_server, certs, tmp_path):
    """The directory's own stat does not change when one of its files
    does: the file's bytes decide. Same size, same times, same inode."""
    cadir = _hashed_ca_directory(certs, tmp_path)
    [path] = cadir.iterdir()
    right, wrong = _same_length_pems_of(certs.ca, certs.other_ca)
    path.write_bytes(right)
    tls.clear_cache()
    first = tls.client_context(authenticate=str(cadir))
    _handshake(first, tls_terminator_server.port)
    assert tls.client_context(authenticate=str(cadir)) is first
    was, dir_was = os.stat(path), os.stat(cadir)
    with open(path, 'r+b') as f:        # in place: the same inode
        f.write(wrong)
    os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))
    os.utime(cadir, ns=(dir_was.st_atime_ns, dir_was.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == \
        (was.st_ino, was.st_size, was.st_mtime_ns)
    second = tls.client_context(authenticate=str(cadir))
    assert second is not first
    # The server's CA is no longer there: the new context refuses it.
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(second, tls_terminator_server.port)


def _same_length_pems_of(*paths):
    pems = []
    for path in paths:
        with open(path, 'rb') as f:
            pems.append(f.read())
    length = max(len(pem) for pem in pems) + 16
    return [pem + b'# ' + b'x' * (length - len(pem) - 3) + b'\n'
            for pem in pems]


@pytest.mark.parametrize('definition', [
    # Callables without __qualname__, or that cannot be hashed.
    'import functools\nunlock = functools.partial(str, {password!r})\n',
    'class _Unhashable:\n    __hash__ = None\n'
    '    def __call__(self):\n        return {password!r}\n'
    'unlock = _Unhashable()\n',
])
def test_any_callable_can_be_the_password_function(definition, certs,
                                                     tmp_path, monkeypatch):
    (tmp_path / 'zc_tls_odd_unlock.py').write_text(
        definition.format(password=certs.password))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop('zc_tls_odd_unlock', None)
    text = (f'%import zeoconf\n<zodb>\n<clientstorage>\nserver zeo:8100\n'
            f'<ssl>\nauthenticate {certs.ca}\n'
            f'certificate {certs.client_cert}\nkey {certs.encrypted_key}\n'
            f'password-function zc_tls_odd_unlock.unlock\n</ssl>\n'
            f'</clientstorage>\n</zodb>\n')
    config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                       io.StringIO(text))
    storage = config.database[0].config.storage
    assert storage.kwargs()['ssl'] is not None
    assert str(storage.ssl.password_function) == 'zc_tls_odd_unlock.unlock'


# Certificate revocation lists ------------------------------------------

def _ca_file_with_crl(certs, tmp_path, *revoked, **options):
    path = tmp_path / 'ca-and-crl.pem'
    with open(certs.ca, 'rb') as f:
        path.write_bytes(f.read() + certs.crl(*revoked, **options))
    return str(path)


def _handshake(context, port):
    with socket.create_connection(('127.0.0.1', port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname='localhost'):
            pass


def _refused_by(context, port):
    with pytest.raises(ssl.SSLCertVerificationError) as raised:
        _handshake(context, port)
    return raised.value.verify_message


def _context(certs, authenticate):
    return tls.client_context(certs.client_cert, certs.client_key, None,
                              authenticate)


def test_a_crl_in_the_ca_file_revokes_the_server_certificate(
        tls_server, certs, tmp_path):
    context = _context(certs, _ca_file_with_crl(certs, tmp_path,
                                                certs.server_cert))
    assert context.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
    assert 'revoked' in _refused_by(context, tls_server.port)


def test_a_crl_revoking_another_certificate_lets_the_server_in(
        tls_server, certs, tmp_path, open_db):
    other, _ = certs.issue_server_certificate('other.invalid',
                                              name='revoked-other')
    authenticate = _ca_file_with_crl(certs, tmp_path, other)
    assert _context(certs, authenticate).verify_flags \
        & ssl.VERIFY_CRL_CHECK_LEAF
    db = open_db(_conf(f'server localhost:{tls_server.port}', f"""
        authenticate {authenticate}
        {_client_cert_lines(certs)}"""))
    _roundtrip(db)


def test_a_crl_refreshed_in_place_is_picked_up_by_the_next_parse(
        tls_server, certs, tmp_path):
    authenticate = _ca_file_with_crl(certs, tmp_path)
    _handshake(_context(certs, authenticate), tls_server.port)
    # Rewritten in place, as a CRL is refreshed, now revoking the server.
    _ca_file_with_crl(certs, tmp_path, certs.server_cert)
    assert 'revoked' in _refused_by(_context(certs, authenticate),
                                    tls_server.port)


def test_with_crls_an_expired_list_fails_the_handshake(
        tls_server, certs, tmp_path):
    # What the README warns of: OpenSSL's rule once revocation is checked.
    context = _context(certs, _ca_file_with_crl(certs, tmp_path,
                                                expired=True))
    assert 'expired' in _refused_by(context, tls_server.port)


def test_with_crls_a_ca_without_a_list_of_its_own_fails_the_handshake(
        tls_server, certs, tmp_path):
    context = _context(certs, _ca_file_with_crl(certs, tmp_path,
                                                issuer='other_ca'))
    assert 'unable to get certificate CRL' in _refused_by(
        context, tls_server.port)


def test_without_a_crl_revocation_is_not_checked(certs):
    assert not _context(certs, certs.ca).verify_flags \
        & ssl.VERIFY_CRL_CHECK_LEAF


@pytest.mark.skipif(shutil.which('openssl') is None,
                    reason='needs the openssl command to hash a CA file')
def test_a_ca_directorys_crls_are_never_read(tls_server, certs, tmp_path):
    # As with ZEO's component: OpenSSL would read them at handshake time,
    # by name, past every check made when the file is read. A FIFO named
    # as a list would block that read; it is never opened.
    cadir = _hashed_ca_directory(certs, tmp_path)
    [ca_name] = os.listdir(cadir)
    (cadir / (ca_name[:8] + '.r0')).write_bytes(
        certs.crl(certs.server_cert))
    fifo = cadir / (ca_name[:8] + '.r1')
    os.mkfifo(fifo)
    context = _context(certs, str(cadir))
    assert not context.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
    without_blocking(str(fifo), lambda: _handshake(context, tls_server.port))
