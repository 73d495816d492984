"""The <ssl> section against live TLS servers, with trustme certificates.

``tls_server`` requires a client certificate signed by the test CA, as
ZEO's own server always does; ``tls_terminator_server`` does not (a server
behind a TLS terminator). The server certificate names ``localhost``,
``127.0.0.1`` and ``::1``.
"""

import os
import shutil
import ssl
import subprocess
import sys
import tempfile

import pytest
import ZConfig
import ZODB.config
from ZEO.Exceptions import ClientDisconnected

import zeoconf
from zeoconf import tls

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
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert kwargs['ssl_server_hostname'] == 'zeo.example.com'


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


def test_plain_client_to_tls_server_fails_within_wait_timeout(
        tls_server, zodb_conf):
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(zodb_conf(f"""
            server localhost:{tls_server.port}
            wait-timeout 1"""))


def test_tls_client_to_plain_server_fails_within_wait_timeout(
        zeo_server, certs):
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(_conf(
            f'server localhost:{zeo_server.port}',
            f'authenticate {certs.ca}', 'wait-timeout 1'))


def test_untrusted_server_certificate_is_refused(tls_server, certs):
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(_conf(
            f'server localhost:{tls_server.port}', f"""
            authenticate {certs.other_ca}
            {_client_cert_lines(certs)}""", 'wait-timeout 1'))


def test_wrong_server_hostname_is_refused(tls_server, certs):
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(_conf(
            f'server localhost:{tls_server.port}', f"""
            authenticate {certs.ca}
            server-hostname zeo.example.com
            {_client_cert_lines(certs)}""", 'wait-timeout 1'))


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


def test_server_requiring_client_certificate_refuses_none(tls_server,
                                                          certs):
    with pytest.raises(ClientDisconnected):
        ZODB.config.databaseFromString(_conf(
            f'server localhost:{tls_server.port}',
            f'authenticate {certs.ca}', 'wait-timeout 1'))


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
