"""``zeoconf demo``: zeoconf against a real, throwaway ZEO server.

Twice, once over plain TCP and once over TLS with throwaway certificates
(the server asks for a client certificate, as ZEO's always does): start a
ZEO server on a temporary FileStorage with blobs, open two databases
through ``ZODB.config.databaseFromString`` and a zeoconf configuration,
commit an object and a blob through the first, read them through the
second, change the object through the second and watch the first see the
change. Everything it starts is stopped and removed at the end.
"""

import os
import tempfile

import transaction
import ZODB.blob
import ZODB.config

from zeoconf.cli import common, show, storages

__all__ = ['add_arguments', 'run']

NAME = 'demo'
HELP = ('run a throwaway ZEO server (plain and TLS) and use it through '
        'zeoconf configurations')
DESCRIPTION = (
    'Start a throwaway ZEO server on a temporary FileStorage with blobs, '
    'over plain TCP and then over TLS with throwaway certificates (needs '
    "trustme: pip install 'zeoconf[demo]'); open it twice through zeoconf "
    'configurations with ZODB.config, write through one client and read '
    'through the other; remove everything it started.')
EXIT_CODES = ('the demo ran', 'it failed')

CONFIG = """\
%import zeoconf

<zodb>
  cache-size-bytes 64MB
  <clientstorage>
    server {server}
    blob-dir {blob_dir}
    cache-size 16MB
    server-sync true
    wait-timeout 10
    client-label {label}{ssl}
  </clientstorage>
</zodb>
"""

SSL = """
    <ssl>
      authenticate {certs.ca}
      certificate {certs.client_cert}
      key {certs.client_key}
    </ssl>"""


def _config(server, directory, label, certs=None):
    return CONFIG.format(
        server=server, blob_dir=os.path.join(directory, f'blobs-{label}'),
        label=label, ssl=SSL.format(certs=certs) if certs else '')


def _exercise(title, server, directory, out, certs=None):
    first_text = _config(server.config_address, directory, 'client-1', certs)
    second_text = _config(server.config_address, directory, 'client-2',
                          certs)
    print(f'== {title}: ZEO server at {server.config_address}', file=out)
    print('configuration of client 1:', file=out)
    # Every line quoted, blank ones too, so the block reads as one.
    for line in first_text.splitlines():
        print(f'  | {line}'.rstrip(), file=out)
    print(file=out)
    path = os.path.join(directory, 'client-1.conf')
    with open(path, 'w') as f:
        f.write(first_text)
    print('zeoconf show --only-set client-1.conf:', file=out)
    loaded, _ = common.load(path)
    for label, opener in storages.find(loaded.config):
        item = show.describe(opener, loaded, label)
        for line in show.show_lines(item, only_set=True):
            print(f'  {line}'.rstrip(), file=out)

    first = ZODB.config.databaseFromString(first_text)
    second = ZODB.config.databaseFromString(second_text)
    try:
        tm1 = transaction.TransactionManager()
        conn1 = first.open(tm1)
        root1 = conn1.root()
        root1['greeting'] = 'hello from client 1'
        root1['blob'] = ZODB.blob.Blob(b'blob bytes through ZEO')
        tm1.commit()
        print(f'client 1 committed greeting={root1["greeting"]!r} and a '
              f'blob', file=out)

        with second.transaction() as conn2:
            root2 = conn2.root()
            with root2['blob'].open() as f:
                blob = f.read()
            print(f'client 2 read greeting={root2["greeting"]!r} and '
                  f'blob={blob!r}', file=out)
            root2['greeting'] = 'hello from client 2'
        print('client 2 committed greeting=\'hello from client 2\'',
              file=out)

        # server-sync makes begin() ask the server, so the invalidation
        # sent for client 2's commit is in before the transaction starts.
        tm1.begin()
        seen = conn1.root()['greeting']
        print(f'client 1 now sees greeting={seen!r} '
              f'(the invalidation arrived)', file=out)
        tm1.abort()
        conn1.close()
        if seen != 'hello from client 2':
            print('ERROR: client 1 did not see client 2\'s change', file=out)
            return 1
    finally:
        first.close()
        second.close()
    print(file=out)
    return 0


def add_arguments(parser):
    pass


def run(args, out):
    """Run the demo, printing to *out*; return the exit code."""
    try:
        from zeoconf.testing import ThrowawayServer, make_certificates
    except ImportError:
        print('zeoconf demo needs trustme for its throwaway certificates: '
              "pip install 'zeoconf[demo]' (make demo does)", file=out)
        return 1
    with tempfile.TemporaryDirectory(prefix='zeoconf-demo-') as directory:
        status = 0
        with ThrowawayServer(os.path.join(directory, 'plain')) as server:
            status |= _exercise('plain TCP', server, directory, out)
        certs = make_certificates(directory)
        with ThrowawayServer(os.path.join(directory, 'tls'),
                             ssl_context=certs.server_context()) as server:
            status |= _exercise('TLS with a client certificate', server,
                                directory, out, certs)
    print('demo finished: servers stopped, temporary files removed'
          if status == 0 else 'demo FAILED', file=out)
    return status
