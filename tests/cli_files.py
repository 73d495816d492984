"""Configuration files for the command-line tests."""

import os
import resource
import socket
import subprocess
import sys
import textwrap
import types

SECRET = 'Pa55-never-printed'


def write_file(directory, name, text):
    """Write *text* (dedented) as *directory*/*name*; its path."""
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip('\n'))
    return str(path)


def zodb(*bodies):
    """``%import zeoconf`` and one ``<zodb dbN>`` per ``<clientstorage>``
    body."""
    sections = ''.join(
        f'<zodb db{i}>\n  <clientstorage>\n{body}\n  </clientstorage>\n'
        f'</zodb>\n' for i, body in enumerate(bodies))
    return '%import zeoconf\n' + sections


def tls(ca, certs, *extra):
    """An ``<ssl>`` section with *certs*' client certificate."""
    lines = [f'authenticate {ca}', f'certificate {certs.client_cert}',
             f'key {certs.client_key}', *extra]
    return '    <ssl>\n' + ''.join(f'      {line}\n' for line in lines) + \
        '    </ssl>'


def table(stdout):
    """``{first cell: other cells}`` of the rows of show's text output."""
    return {line.split()[0]: line.split()[1:] for line in stdout.splitlines()
            if line.startswith('  ') and not line.strip().startswith('(')}


def dead_port():
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


GOOD = textwrap.dedent("""\
    %import zeoconf
    <zodb>
      <clientstorage>
        server zeo.example.com:8100
      </clientstorage>
    </zodb>
    """)


def many_storages(count):
    """A valid file of *count* ``<zodb>`` sections, one storage each."""
    return '%import zeoconf\n' + ''.join(
        f'<zodb d{i}>\n  <clientstorage>\n    server zeo{i}.example.com:8100'
        f'\n    cache-size 20MB\n  </clientstorage>\n</zodb>\n'
        for i in range(count))


COMMAND = [sys.executable, '-m', 'zeoconf']
MEMORY = 512 << 20


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_process(*args, cwd=None, stdout=subprocess.PIPE, close=(),
                env=None, timeout=60):
    """The command in a process of its own (``.status``, ``.out``,
    ``.err``), for what only a process shows: special files that block or
    exhaust, closed or full streams, a hang.

    *close* names the standard streams closed in it (1, 2). The timeout and
    the 512 MB address-space limit are guards, not measures.
    """
    def prepare():
        _limit_memory()
        for fd in close:
            os.close(fd)
    stderr = subprocess.DEVNULL if 2 in close else subprocess.PIPE
    if 1 in close:
        stdout = None
    done = subprocess.run([*COMMAND, *map(str, args)], stdout=stdout,
                          stderr=stderr, text=True, timeout=timeout,
                          cwd=cwd, preexec_fn=prepare, env=env)
    return types.SimpleNamespace(status=done.returncode, out=done.stdout,
                                 err=done.stderr)


def count_calls(function, *args):
    """``(count, result)``: the Python and C function calls made while
    ``function(*args)`` runs, and what it returned. Work counted, not
    timed: the same on a loaded machine."""
    count = [0]

    def profile(frame, event, arg):
        if event in ('call', 'c_call'):
            count[0] += 1
    sys.setprofile(profile)
    try:
        result = function(*args)
    finally:
        sys.setprofile(None)
    return count[0], result
