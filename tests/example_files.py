"""Turning the files in examples/ into configurations for live servers.

The examples name hosts and paths of a real deployment
(zeo1.example.com, /var/cache/app, /etc/zeo/ca.pem, ...). The tests keep
every line as the user would copy it and only swap those values for the
live test servers, temporary directories and test certificates, so what
is parsed and opened is the example itself.
"""

import os
import re

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                        'examples')


def example_text(name):
    with open(os.path.join(EXAMPLES, name)) as f:
        return f.read()


def localize(text, root, servers=(), certs=None, socket=None,
             shared_blob_dir=None):
    """Replace deployment values in *text*; create the directories.

    *servers* are ThrowawayServers standing for zeo1, zeo2 (in order);
    *root* is a temporary directory standing for the file system.
    """
    replacements = []
    for number, server in enumerate(servers, 1):
        address = server.config_address
        if server.ssl_context is not None:
            address = f'localhost:{server.port}'
        replacements.append((f'zeo{number}.example.com:8100', address))
    if certs is not None:
        replacements += [('/etc/zeo/ca.pem', certs.ca),
                         ('/etc/zeo/client.pem', certs.client_cert),
                         ('/etc/zeo/client.key', certs.client_key),
                         ('server-hostname zeo.example.com',
                          'server-hostname localhost')]
    if socket is not None:
        replacements.append(('/var/run/zeo/zeo.sock', socket))
    if shared_blob_dir is not None:
        replacements.append(('/var/lib/zeo/blobs', shared_blob_dir))
    for prefix in ('/var/cache/app', '/srv/zope', '/srv/plone'):
        local = os.path.join(root, prefix.strip('/').replace('/', '-'))
        os.makedirs(os.path.join(local, 'var'), exist_ok=True)
        replacements.append((prefix, local))
    for old, new in replacements:
        text = text.replace(old, new)
    return text


# What marks a value of the example deployment, not of the test machine.
# (A path is a value's start: the temporary directories localize() puts
# in their place may well contain /var/ further on.)
_DEPLOYMENT = re.compile(r'example\.com|(?<!\S)/(?:etc|var|srv)/')


def leftovers(text):
    """Deployment values :func:`localize` left in *text* (comments aside).

    An example edited with a new host or path that ``localize`` does not
    know must fail its test here, not by trying to reach that host.
    """
    found = []
    for line in text.splitlines():
        line = line.split('#', 1)[0]
        found += _DEPLOYMENT.findall(line)
    return found
