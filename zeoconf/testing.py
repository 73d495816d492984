"""Throwaway ZEO servers and certificates (``trustme``), for ``zeoconf
demo`` and the tests."""

import datetime
import os
import shutil
import ssl
import tempfile
import threading

import trustme
import ZODB
import ZODB.FileStorage
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from ZEO.StorageServer import StorageServer

from zeoconf.datatypes import format_address

__all__ = ['ThrowawayServer', 'Certificates']


class Certificates:
    """PEM files of a throwaway CA, written into *directory*; attributes
    are their paths. ``other_ca`` signed none of the others;
    ``encrypted_key`` is the client key encrypted with ``password``."""

    password = 'correct horse battery staple'

    def __init__(self, directory):
        self.directory = directory
        self._ca, self._other_ca = trustme.CA(), trustme.CA()
        self.ca = self._write('ca.pem', self._ca.cert_pem)
        self.other_ca = self._write('other-ca.pem', self._other_ca.cert_pem)
        self.server_cert, self.server_key = self.issue_server_certificate(
            'localhost', '127.0.0.1', '::1', name='server')
        client = self._ca.issue_cert('client@zeoconf.invalid')
        self.client_cert = self._write('client.pem', client.cert_chain_pems[0])
        self.client_key = self._write('client.key', client.private_key_pem)
        self.client_combined = self._write(
            'client-combined.pem', client.private_key_and_cert_chain_pem)
        key = serialization.load_pem_private_key(
            client.private_key_pem.bytes(), None)
        encrypted = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.password.encode()))
        self.encrypted_key = self._write('client-encrypted.key',
                                         trustme.Blob(encrypted))

    def _write(self, name, blob):
        path = os.path.join(self.directory, name)
        blob.write_to_path(path)
        return path

    def server_context(self, require_client_certificate=True):
        """A server-side context that, as ZEO's server always does, can
        require a client certificate signed by the CA."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        if require_client_certificate:
            context.load_verify_locations(self.ca)
            context.verify_mode = ssl.CERT_REQUIRED
        return context

    def issue_server_certificate(self, *names, name='server-other'):
        """Write a server certificate for *names*; return its paths."""
        cert = self._ca.issue_cert(*names)
        return (self._write(name + '.pem', cert.cert_chain_pems[0]),
                self._write(name + '.key', cert.private_key_pem))

    def crl(self, *revoked, issuer='ca', expired=False):
        """A PEM revocation list of the certificates in the files *revoked*,
        signed by *issuer* (``'ca'`` or ``'other_ca'``), maybe *expired*."""
        signer = {'ca': self._ca, 'other_ca': self._other_ca}[issuer]
        ca_cert = x509.load_pem_x509_certificate(signer.cert_pem.bytes())
        ca_key = serialization.load_pem_private_key(
            signer.private_key_pem.bytes(), None)
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(ca_cert.subject)
                   .last_update(now - datetime.timedelta(days=2))
                   .next_update(now + datetime.timedelta(
                       days=-1 if expired else 1)))
        for path in revoked:
            with open(path, 'rb') as f:
                serial = x509.load_pem_x509_certificate(f.read()).serial_number
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(now - datetime.timedelta(minutes=1)).build())
        crl = builder.sign(ca_key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.PEM)


class ThrowawayServer:
    """ZEO's real ``StorageServer`` on a FileStorage with blobs in
    *directory* (by default a temporary one, removed on :meth:`stop`), in
    a thread of this process; *address* may be a Unix socket path."""

    def __init__(self, directory=None, address=('127.0.0.1', 0),
                 ssl_context=None, read_only=False, storage_name='1'):
        self._own_directory = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix='zeoconf-')
        self.blob_dir = os.path.join(self.directory, 'blobs')
        self.requested_address = address
        self.ssl_context = ssl_context
        self.read_only = read_only
        self.storage_name = storage_name
        self.server = self.thread = self.address = None

    @property
    def port(self):
        return self.address[1]

    @property
    def config_address(self):
        """The address as a ``server`` line takes it."""
        return format_address(self.address)

    def start(self):
        os.makedirs(self.blob_dir, exist_ok=True)
        path = os.path.join(self.directory, 'Data.fs')
        if self.read_only and not os.path.exists(path):
            # A read-only server is only useful with a database in it:
            # create the root object first, as a writable DB would.
            ZODB.DB(ZODB.FileStorage.FileStorage(
                path, blob_dir=self.blob_dir)).close()
        self.storage = ZODB.FileStorage.FileStorage(
            path, blob_dir=self.blob_dir, read_only=self.read_only)
        self.server = StorageServer(
            self.requested_address, {self.storage_name: self.storage},
            read_only=self.read_only, ssl=self.ssl_context)
        self.address = self.server.acceptor.addr
        self.thread = threading.Thread(
            target=self.server.loop, name='zeoconf throwaway ZEO server',
            daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.close()
            self.thread.join(10)
            self.storage.close()
            self.server = None
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
