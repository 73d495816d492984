"""Shared fixtures: real ZEO servers on 127.0.0.1 and real certificates.

- ``make_server(**options)`` starts a :class:`zeoconf.testing.
  ThrowawayServer` (port 0, FileStorage with blobs in a temporary
  directory) and stops it after the test; ``zeo_server`` is one plain one.
- ``certs`` is a session-wide set of trustme certificates
  (:class:`zeoconf.testing.Certificates`).
- ``tls_server`` is a ZEO server that, as ZEO's own always does, requires a
  client certificate; ``tls_terminator_server`` does not (the situation of a
  server behind a TLS terminator).
- ``zodb_conf(body)`` wraps a ``<clientstorage>`` body into a complete
  ``%import zeoconf`` / ``<zodb>`` configuration.
- ``open_db(text)`` opens a database from configuration text and closes it
  after the test.
- ``run_cli(*args, stdin=None, cwd=None)`` runs the ``zeoconf`` command in
  this process (``zeoconf.cli.main``) and returns its ``.status``, ``.out``
  and ``.err``.
"""

import collections
import io
import logging
import sys
import textwrap

import pytest
import ZODB.config

from zeoconf.testing import Certificates, ThrowawayServer


@pytest.fixture
def make_server(tmp_path):
    servers = []

    def make(**options):
        directory = tmp_path / f'server{len(servers)}'
        options.setdefault('directory', str(directory))
        server = ThrowawayServer(**options).start()
        servers.append(server)
        return server

    yield make
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def zeo_server(make_server):
    return make_server()


@pytest.fixture(scope='session')
def certs(tmp_path_factory):
    return Certificates(str(tmp_path_factory.mktemp('certs')))


@pytest.fixture
def tls_server(make_server, certs):
    return make_server(ssl_context=certs.server_context())


@pytest.fixture
def tls_terminator_server(make_server, certs):
    return make_server(
        ssl_context=certs.server_context(require_client_certificate=False))


def zodb_conf_text(body, zodb_options=''):
    body = textwrap.indent(textwrap.dedent(body).strip(), '    ')
    return (f'%import zeoconf\n<zodb>\n{zodb_options}'
            f'  <clientstorage>\n{body}\n  </clientstorage>\n</zodb>\n')


@pytest.fixture
def zodb_conf():
    return zodb_conf_text


@pytest.fixture
def open_db():
    databases = []

    def open_(text):
        db = ZODB.config.databaseFromString(text)
        databases.append(db)
        return db

    yield open_
    for db in databases:
        db.close()


@pytest.fixture
def zeoconf_warnings(caplog):
    """The messages zeoconf logged at WARNING or above during the test."""
    caplog.set_level(logging.WARNING, logger='zeoconf')

    def messages():
        return [r.getMessage() for r in caplog.records
                if r.name == 'zeoconf' and r.levelno >= logging.WARNING]
    return messages


CliResult = collections.namedtuple('CliResult', 'status out err')


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """The ``zeoconf`` command in this process, its streams captured."""
    # Imported here: the command line is no part of what the runtime's
    # tests load.
    from zeoconf import cli

    def run(*args, stdin=None, cwd=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        if stdin is not None:
            monkeypatch.setattr(sys, 'stdin', io.StringIO(stdin))
        capsys.readouterr()
        try:
            status = cli.main([str(arg) for arg in args])
        except SystemExit as e:     # argparse: usage, --help, --version
            status = e.code
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)
    return run
