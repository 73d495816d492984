"""``zeoconf demo``: zeoconf against a real, throwaway ZEO server (what it
does is its DESCRIPTION)."""

import functools
import os
import tempfile

import ZODB.blob
import ZODB.config

from zeoconf.cli import common, show, storages

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
        server=server.config_address, label=label,
        blob_dir=os.path.join(directory, f'blobs-{label}'),
        ssl=SSL.format(certs=certs) if certs else '')


def _exercise(title, server, directory, out, certs=None):
    say = functools.partial(print, file=out)
    first_text = _config(server, directory, 'client-1', certs)
    say(f'== {title}: ZEO server at {server.config_address}')
    say('configuration of client 1:')
    # Every line quoted, blank ones too, so the block reads as one.
    for line in first_text.splitlines():
        say(f'  | {line}'.rstrip())
    say()
    path = os.path.join(directory, 'client-1.conf')
    with open(path, 'w') as f:
        f.write(first_text)
    say('zeoconf show --only-set client-1.conf:')
    text, schema, _ = common.read(path)
    loaded, _ = common.load(text, schema, path)
    for label, opener in storages.find(loaded.config):
        for line in show.show_lines(show.describe(opener, loaded, label),
                                    only_set=True):
            say(f'  {line}'.rstrip())

    first = ZODB.config.databaseFromString(first_text)
    second = ZODB.config.databaseFromString(
        _config(server, directory, 'client-2', certs))
    try:
        with first.transaction() as conn:
            conn.root()['greeting'] = 'hello from client 1'
            conn.root()['blob'] = ZODB.blob.Blob(b'blob bytes through ZEO')
        say("client 1 committed greeting='hello from client 1' and a blob")
        with second.transaction() as conn:
            root = conn.root()
            with root['blob'].open() as f:
                blob = f.read()
            say(f'client 2 read greeting={root["greeting"]!r} and '
                f'blob={blob!r}')
            root['greeting'] = 'hello from client 2'
        say("client 2 committed greeting='hello from client 2'")
        # server-sync makes a transaction's start ask the server, so the
        # invalidation sent for client 2's commit is in before it reads.
        with first.transaction() as conn:
            seen = conn.root()['greeting']
        say(f'client 1 now sees greeting={seen!r} (the invalidation arrived)')
        if seen != 'hello from client 2':
            say("ERROR: client 1 did not see client 2's change")
            return 1
    finally:
        first.close()
        second.close()
    say()
    return 0


def add_arguments(parser):
    pass


def run(args, out):
    """Run the demo, printing to *out*; return the exit code."""
    try:
        from zeoconf.testing import Certificates, ThrowawayServer
    except ImportError:
        print('zeoconf demo needs trustme for its throwaway certificates: '
              "pip install 'zeoconf[demo]' (make demo does)", file=out)
        return 1
    with tempfile.TemporaryDirectory(prefix='zeoconf-demo-') as directory:
        with ThrowawayServer(os.path.join(directory, 'plain')) as server:
            status = _exercise('plain TCP', server, directory, out)
        certs = Certificates(directory)
        with ThrowawayServer(os.path.join(directory, 'tls'),
                             ssl_context=certs.server_context()) as server:
            status |= _exercise('TLS with a client certificate', server,
                                directory, out, certs)
    print('demo finished: servers stopped, temporary files removed'
          if status == 0 else 'demo FAILED', file=out)
    return status
