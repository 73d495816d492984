"""Invariants behind the performance claims, counted, never timed.

benchmarks/bench_parse.py measures speed against ZEO's own component; a
CI machine's timings would be noise, so this module asserts what the
speed rests on, in numbers that do not depend on the machine:

- ``import zeoconf`` and parsing a configuration import no ``ZEO*`` and
  no ``asyncio*`` module (fresh processes); ``open()`` is what does;
- a hundred storages with the same ``<ssl>`` settings build one
  ``SSLContext``, and a file changed on disk is picked up by the next
  parse;
- the work per storage is constant: function calls grow linearly with
  the number of storages, with a fixed number of keytype calls each;
- a long-lived process keeps nothing of the values it parsed;
- component.xml gives ZConfig's reader few lines of text (one line per
  description), which every process start pays for.
"""

import gc
import io
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys

import pytest
import ZConfig
import ZODB.config

from zeoconf import keys, tls

PACKAGE = os.path.dirname(keys.__file__)


def _modules_after(code):
    """The modules loaded in a fresh Python after running *code*."""
    script = (code + '\nimport json as _json, sys as _sys\n'
              'print(_json.dumps(sorted(_sys.modules)))\n')
    out = subprocess.run([sys.executable, '-c', script], check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def _heavy(modules):
    return sorted(m for m in modules if m.startswith(('ZEO', 'asyncio')))


def _parse(text):
    config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                       io.StringIO(text))
    return config


def _storages(config):
    return [database.config.storage for database in config.database]


# Imports ---------------------------------------------------------------


def test_import_zeoconf_imports_neither_zeo_nor_asyncio():
    assert _heavy(_modules_after('import zeoconf')) == []


_LOADED_BY_A_PLAIN_PARSE = '''
import io, sys, ZConfig, ZODB.config
before = set(sys.modules)
text = """%import zeoconf
<zodb>
  <clientstorage>
    server zeo.example.com:8100
    server zeo2.example.com:8100
    cache-size 1GB
    blob-dir /tmp/zeoconf-invariants/blobs
    read-only-fallback true
  </clientstorage>
</zodb>
"""
config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                   io.StringIO(text))
config.database[0].config.storage.kwargs()
for name in sorted(set(sys.modules) - before):
    print(name)
'''


def test_a_plain_parse_loads_only_what_parsing_needs():
    """TLS, the file system lookups, message wording, difflib, ipaddress and
    the tools' modules load when first needed: a plain configuration
    without mistakes needs none of them."""
    out = subprocess.run([sys.executable, '-c', _LOADED_BY_A_PLAIN_PARSE],
                         check=True, capture_output=True,
                         text=True).stdout.split()
    ours = sorted(name for name in out if name.startswith('zeoconf'))
    assert ours == ['zeoconf', 'zeoconf.datatypes', 'zeoconf.keys',
                    'zeoconf.openers']
    for name in ('difflib', 'ipaddress', 'zeoconf.tls', 'contextvars'):
        assert name not in out


def test_the_component_gives_zconfigs_reader_few_lines_of_text():
    """ZConfig's schema reader takes every line of text in component.xml
    with a call of its own, at every process start: each description is
    one line (the "+" entry's, one line per key it names), and no blank
    line stands between the elements."""
    with open(os.path.join(PACKAGE, 'component.xml')) as f:
        body = f.read().split('<component', 1)[1]
    assert not re.search(r'\n[ \t]*\n', body)
    descriptions = [d.split('</description>')[0].strip()
                    for d in body.split('<description>')[1:]]
    assert len(descriptions) == len(keys.CLIENTSTORAGE_KEYS) - len(
        keys.ZEOCLIENT_KEYS) + 1 + len(keys.SSL_KEYS) + 2
    multi_line = [d for d in descriptions if '\n' in d]
    assert len(multi_line) == 1
    intro, *items = multi_line[0].splitlines()
    assert [item.split()[1] for item in items] == list(keys.ZEOCLIENT_KEYS)


def _ssl_section(certs, indent='    '):
    return (f'{indent}<ssl>\n'
            f'{indent}  authenticate {certs.ca}\n'
            f'{indent}  certificate {certs.client_cert}\n'
            f'{indent}  key {certs.client_key}\n'
            f'{indent}</ssl>\n')


@pytest.mark.parametrize('with_ssl', [False, True], ids=['plain', 'ssl'])
def test_parsing_imports_neither_zeo_nor_asyncio(certs, with_ssl):
    ssl_section = _ssl_section(certs) if with_ssl else ''
    code = f"""
import io, ZConfig, ZODB.config
text = '''%import zeoconf
<zodb>
  <clientstorage>
    server zeo.example.com:8100
    blob-dir /tmp/zeoconf-invariants/blobs
{ssl_section}  </clientstorage>
</zodb>
'''
config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                   io.StringIO(text))
kwargs = config.database[0].config.storage.kwargs()
assert (kwargs['ssl'] is not None) == {with_ssl!r}
"""
    assert _heavy(_modules_after(code)) == []


def test_open_is_what_imports_zeo():
    # A storage that does not wait for its server opens at once against a
    # port nobody listens on, and closes again: no server needed.
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    code = f"""
import sys, zeoconf
opener = zeoconf.parse_clientstorage(
    '<clientstorage>\\nserver 127.0.0.1:{port}\\nwait false\\n'
    '</clientstorage>\\n')
heavy = [m for m in sys.modules if m.startswith(('ZEO', 'asyncio'))]
assert heavy == [], heavy
storage = opener.open()
try:
    assert type(storage).__module__ == 'ZEO.ClientStorage'
finally:
    storage.close()
"""
    modules = _modules_after(code)
    assert 'ZEO.ClientStorage' in modules
    assert 'asyncio' in modules


# TLS contexts ------------------------------------------------------------


def _tls_storages(count, authenticate, certificate, key):
    return '%import zeoconf\n' + ''.join(f"""
<zodb db{i}>
  <clientstorage>
    server zeo{i}.example.com:8100
    <ssl>
      authenticate {authenticate}
      certificate {certificate}
      key {key}
      server-hostname zeo.example.com
    </ssl>
  </clientstorage>
</zodb>""" for i in range(count))


@pytest.fixture
def count_contexts(monkeypatch):
    """``count_contexts()``: SSLContexts created since the fixture began.

    Counts constructions of ``ssl.SSLContext`` itself, whoever makes
    them, not only what ``tls.stats`` says.
    """
    made = []
    # Not a subclass put in its place: ssl.SSLContext's own properties
    # name the class, and would recurse into the subclass.
    new = ssl.SSLContext.__new__

    def counting_new(cls, *args, **kwargs):
        made.append(cls)
        return new(cls, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, '__new__',
                        staticmethod(counting_new))
    return lambda: len(made)


def test_hundred_storages_with_one_ssl_setup_build_one_context(
        certs, count_contexts):
    tls.clear_cache()
    built = tls.stats['built']
    config = _parse(_tls_storages(100, certs.ca, certs.client_cert,
                                  certs.client_key))
    contexts = {id(storage.kwargs()['ssl'])
                for storage in _storages(config)}
    assert len(config.database) == 100
    assert len(contexts) == 1
    assert tls.stats['built'] - built == 1
    assert count_contexts() == 1


@pytest.mark.parametrize('changed', ['certificate', 'key', 'authenticate'])
def test_a_changed_file_is_picked_up_by_the_next_parse(certs, tmp_path,
                                                       changed):
    files = {'authenticate': certs.ca, 'certificate': certs.client_cert,
             'key': certs.client_key}
    for name in files:
        files[name] = str(shutil.copy(files[name], tmp_path / name))
    text = _tls_storages(2, **files)
    tls.clear_cache()
    built = tls.stats['built']
    first = _storages(_parse(text))[0].kwargs()['ssl']
    assert tls.stats['built'] == built + 1
    again = _storages(_parse(text))[0].kwargs()['ssl']
    assert tls.stats['built'] == built + 1       # same files: reused
    assert again is first
    # Rewrite the file as a renewal would (still valid PEM) and move its
    # modification time, as a renewal that keeps the size might not.
    path = files[changed]
    with open(path, 'ab') as f:
        f.write(b'\n')
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    renewed = _storages(_parse(text))[0].kwargs()['ssl']
    assert tls.stats['built'] == built + 2
    assert renewed is not first


# Work per storage ------------------------------------------------------


def _plain_storages(count):
    # The same values in every storage: the converters keep the results
    # of the values they saw last (a bounded cache), and distinct values
    # would make the counts depend on what earlier tests left there.
    return '%import zeoconf\n' + ''.join(
        f'<zodb db{i}>\n<clientstorage>\nserver zeo:8100\n'
        f'cache-size 1GB\nread-only true\n</clientstorage>\n</zodb>\n'
        for i in range(count))


def _calls(count):
    """Python function calls made to parse and resolve *count* storages:
    ``(all, zeoconf's, zeoconf's keytype)``."""
    text = _plain_storages(count)
    calls = {'all': 0, 'zeoconf': 0, 'keytype': 0}

    def profile(frame, event, arg):
        if event != 'call':
            return
        calls['all'] += 1
        code = frame.f_code
        if code.co_filename.startswith(PACKAGE):
            calls['zeoconf'] += 1
            if code.co_name in ('clientstorage_key', 'ssl_key'):
                calls['keytype'] += 1

    _parse(text)                  # first use in this process done
    # No collection while counting: finalizers of what earlier tests left
    # behind would count as calls.
    gc.collect()
    gc.disable()
    sys.setprofile(profile)
    try:
        for storage in _storages(_parse(text)):
            storage.kwargs()
    finally:
        sys.setprofile(None)
        gc.enable()
    return calls


def test_work_per_storage_is_constant():
    """Calls grow linearly with the number of storages, none faster.

    Counted twice over: everything (ZConfig included, where a search
    across sections would show), and zeoconf's own functions.
    """
    small, medium, large = _calls(10), _calls(100), _calls(200)
    for kind in ('all', 'zeoconf'):
        first = (medium[kind] - small[kind]) / 90
        then = (large[kind] - medium[kind]) / 100
        assert first > 0
        assert then == first, (kind, first, then)
    # One keytype call per key line, three keys per storage (ZConfig also
    # calls it for each key of the component while reading the schema:
    # a fixed number).
    assert large['keytype'] - medium['keytype'] == 3 * 100
    assert medium['keytype'] - small['keytype'] == 3 * 90


def test_a_plain_parse_makes_no_system_call_per_storage(monkeypatch,
                                                       tmp_path):
    """Under ZODB.config, values that name things on disk which ZEO
    creates when it opens (blob-dir) are not looked at while parsing; the
    files that must exist already (certificates, var, ...) are."""
    calls = []
    real = os.stat
    monkeypatch.setattr(os, 'stat', lambda *a, **k: calls.append(a)
                        or real(*a, **k))
    text = '%import zeoconf\n' + ''.join(
        f'<zodb db{i}>\n<clientstorage>\nserver zeo:8100\n'
        f'blob-dir {tmp_path}/blobs{i}\n</clientstorage>\n</zodb>\n'
        for i in range(20))
    storages = _storages(_parse(text))
    assert [s.kwargs()['blob_dir'] for s in storages] == [
        f'{tmp_path}/blobs{i}' for i in range(20)]
    assert calls == []
    from zeoconf.loader import load_text
    load_text(text, ZODB.config.getDbSchema())   # zeoconf check, the API
    assert len(calls) == 20


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def _rewrite(path, data):
    """Replace a file's content in place, with a modification time that
    surely differs, as a certificate renewal would."""
    mtime = os.stat(path).st_mtime_ns + 10**9
    with open(path, 'wb') as f:
        f.write(data)
    os.utime(path, ns=(mtime, mtime))


def test_a_different_certificate_is_picked_up_by_the_next_parse(
        certs, tmp_path):
    """A certificate and key replaced by a newly issued pair, and a CA file
    replaced by another CA, give new contexts; the new CA is the one the
    new context trusts."""
    files = {'authenticate': certs.ca, 'certificate': certs.client_cert,
             'key': certs.client_key}
    for name in files:
        files[name] = str(shutil.copy(files[name], tmp_path / name))
    text = _tls_storages(3, **files)
    first = _storages(_parse(text))[0].kwargs()['ssl']
    built = tls.stats['built']

    new_cert, new_key = certs.issue_server_certificate(
        'client@zeoconf.invalid', name='client-renewed')
    _rewrite(files['certificate'], _read(new_cert))
    _rewrite(files['key'], _read(new_key))
    renewed = [s.kwargs()['ssl'] for s in _storages(_parse(text))]
    assert tls.stats['built'] == built + 1
    assert len({id(c) for c in renewed}) == 1
    assert renewed[0] is not first

    _rewrite(files['authenticate'], _read(certs.other_ca))
    replaced = _storages(_parse(text))[0].kwargs()['ssl']
    assert tls.stats['built'] == built + 2
    assert replaced.get_ca_certs() != first.get_ca_certs()
    assert len(replaced.get_ca_certs()) == 1


def test_a_plain_parse_leaves_the_openers_without_a_loader():
    """Under ZODB.config nothing locates keys (zeoconf's loader is not
    there); zeoconf's own loader gives every opener its positions."""
    from zeoconf.loader import load_text
    text = _plain_storages(3)
    for storage in _storages(_parse(text)):
        assert storage.loader is None and storage.positions == {}
    loaded = load_text(text, ZODB.config.getDbSchema())
    for number, storage in enumerate(_storages(loaded.config)):
        assert storage.positions["server"] == [(4 + 7 * number, None)]


def test_a_long_lived_process_keeps_no_value_it_parsed():
    """No per-key result caches: distinct large values parsed one after
    another leave nothing behind (traced memory, not time)."""
    import tracemalloc
    template = ('%import zeoconf\n<zodb>\n<clientstorage>\n'
                'server zeo:8100\nname {0}\nclient-label {0}\n'
                '</clientstorage>\n</zodb>\n')
    _parse(template.format('warm-up'))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(30):
            value = f'{number}-' + 'x' * (1 << 20)
            for storage in _storages(_parse(template.format(value))):
                assert storage.kwargs()['client_label'] == value
            del value, storage
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # 30 values of 1 MB each went through two keys: 60 MB if kept.
    assert after - before < 4 << 20, after - before


def test_a_folder_named_zeoconf_does_not_shadow_the_package(tmp_path):
    """A clone named zeoconf, seen from its parent folder, is a namespace
    package candidate. An install on a path entry (a wheel, or make's
    editable_mode=compat) keeps the real package first; an editable
    install through an import hook (a plain pip install -e) cannot, as
    Python searches the path before any hook (README, Troubleshooting).
    Compared between two fresh processes, whatever the test's own
    process imported."""
    script = ('import importlib.machinery, zeoconf; '
              'spec = importlib.machinery.PathFinder.find_spec("zeoconf"); '
              'print(spec and spec.origin); print(zeoconf.__file__)')

    def imported(cwd):
        return subprocess.run(
            [sys.executable, '-c', script], cwd=cwd, check=True,
            capture_output=True, text=True).stdout.splitlines()

    (tmp_path / 'clean').mkdir()
    on_path, installed = imported(tmp_path / 'clean')
    if on_path != installed:
        pytest.skip('zeoconf is installed through an import hook '
                    '(pip install -e without editable_mode=compat)')
    (tmp_path / 'clone' / 'zeoconf').mkdir(parents=True)
    assert imported(tmp_path / 'clone')[1] == installed


def test_zeoconf_reads_no_frames_and_no_private_state_of_zconfig():
    """ZConfig through its public API only (DESIGN.md, Errors): no frame
    reads, no private attributes of its objects, nothing assigned to
    them. A text search of the package, so that the rule cannot slip."""
    import re
    forbidden = re.compile(
        r'_getframe|f_locals|f_back|tb_frame|f_code|__code__|\.constuct'
        r'|\._matcher|\._values|\._default|\._private_schema'
        r'|\.(ismulti|issection|getdefault) = ')
    found = []
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith('.py'):
            with open(os.path.join(PACKAGE, name)) as f:
                for number, line in enumerate(f, 1):
                    if forbidden.search(line):
                        found.append(f'{name}:{number}: {line.strip()}')
    assert found == []
