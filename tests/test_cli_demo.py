"""``zeoconf demo``: two rounds against throwaway servers, plain and TLS."""

import os
import subprocess
import sys


def test_demo_runs_and_cleans_up(run_cli):
    result = run_cli('demo')
    assert result.status == 0, result.out + result.err
    out = result.out
    assert out.count('(the invalidation arrived)') == 2
    assert '== TLS with a client certificate' in out
    assert "client 2 read greeting='hello from client 1' and " \
        "blob=b'blob bytes through ZEO'" in out
    assert 'server-sync' in out and 'line ' in out
    # Each round shows its configuration with the lines that set it.
    assert out.count('zeoconf show --only-set client-1.conf:') == 2
    assert 'ssl.certificate' in out and 'ssl.server-hostname' in out
    assert '  | %import zeoconf\n  |\n  | <zodb>' in out
    temp = out.split('blob-dir ')[1].split('/blobs-client-1')[0]
    assert not os.path.exists(temp)
    assert out.rstrip().endswith('demo finished: servers stopped, '
                                 'temporary files removed')


def test_demo_without_trustme_says_what_to_install():
    # A process of its own: one in which trustme cannot be imported.
    code = ('import sys; sys.modules["trustme"] = None\n'
            'from zeoconf.cli import main\n'
            'sys.exit(main(["demo"]))\n')
    result = subprocess.run([sys.executable, '-c', code], text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 1
    assert 'zeoconf demo needs trustme' in result.stdout
    assert "pip install 'zeoconf[demo]'" in result.stdout

