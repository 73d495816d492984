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
- key defaults are handed out shared, not copied for every section.
"""

import gc
import io
import json
import os
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
            if code.co_name == 'keytype':
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
    with keys.recording():            # zeoconf check, client_kwargs
        _parse(text)
    assert len(calls) == 20


def test_converters_keep_a_bounded_set_of_results_and_never_drop_them(
        monkeypatch):
    calls = []

    def upper(text):
        calls.append(text)
        return text.upper()

    monkeypatch.setattr(keys, 'RESULTS_KEPT', 3)
    convert = keys._for_key('x', upper, pure=True)
    assert [convert(t) for t in 'abca'] == ['A', 'B', 'C', 'A']
    assert calls == ['a', 'b', 'c']            # 'a' again: kept
    assert [convert(t) for t in 'ddab'] == ['D', 'D', 'A', 'B']
    assert calls == ['a', 'b', 'c', 'd', 'd']  # full: 'd' is not kept,
    # and the kept values are still there
    impure = keys._for_key('y', upper)
    impure('a'), impure('a')
    assert calls[-2:] == ['a', 'a']


def test_defaults_are_shared_not_copied():
    """ZConfig copies a key's default for every section that does not set
    it; zeoconf's keys hand out the same default (see ``keys._prepare``).
    Pinned against the installed ZConfig."""
    config = _parse(_plain_storages(3))
    storage = _storages(config)[2]      # parsed with the shared defaults
    definition = storage.config.getSectionDefinition()
    infos = dict(iter(definition))
    for name in ('cache-size', 'storage', 'read-only', 'wait-timeout'):
        info = infos[name]
        assert info.getdefault() is info.getdefault(), name
    kwargs = storage.kwargs()
    assert kwargs['cache_size'] == 1 << 30          # given
    assert (kwargs['wait_timeout'], kwargs['storage'],
            kwargs['disconnect_poll'], kwargs['server_sync'],
            kwargs['blob_cache_size_check']) == (30, '1', 1, False, 10)
    # ZODB's own section types are left as ZConfig made them.
    zodb = dict(iter(config.database[0].config.getSectionDefinition()))
    info = zodb['cache-size']
    assert info.getdefault() is not info.getdefault()


def test_section_types_are_prepared_at_their_second_section():
    # A configuration with one storage gains nothing from it: the first
    # section is parsed before its opener runs.
    for count, prepared in ((1, False), (2, True)):
        storage = _storages(_parse(_plain_storages(count)))[0]
        for _, info in storage.config.getSectionDefinition():
            assert ('ismulti' in vars(info)) is prepared, count


def test_entry_answers_are_constants_that_agree_with_zconfig():
    """ZConfig asks every entry of a section type ismulti() and
    issection() for every section; on zeoconf's types they become
    constants without a Python frame (keys._prepare), with ZConfig's own
    answers. Pinned against the installed ZConfig."""
    from ZConfig.info import BaseInfo, SectionInfo
    section = ('<clientstorage>\nserver zeo:1\n<ssl>\n'
               'check-hostname false\n</ssl>\n</clientstorage>\n')
    config = _parse(f'%import zeoconf\n<zodb a>\n{section}</zodb>\n'
                    f'<zodb b>\n{section}</zodb>\n')
    storage = _storages(config)[1]
    checked = 0
    for section in (storage.config, storage.ssl.config):
        for name, info in section.getSectionDefinition():
            assert keys._answers_are_methods(info), name
            assert 'ismulti' in vars(info) and 'issection' in vars(info)
            own = SectionInfo if info.issection() else BaseInfo
            assert info.ismulti() is own.ismulti(info), name
            assert info.issection() is own.issection(info), name
            checked += 1
    assert checked >= 20
    server = dict(iter(storage.config.getSectionDefinition()))['server']
    assert server.ismulti() and not server.issection()
    # ZODB's own section types are left as ZConfig made them.
    zodb = config.database[0].config.getSectionDefinition()
    assert all('ismulti' not in vars(info) for _, info in zodb)


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


def test_positions_come_from_zconfigs_constuct():
    """Pins the ZConfig frame keys.py learns key positions from, once per
    section: BaseMatcher.constuct, whose ``values`` still hold the given
    values with their positions when the section's first key (server, a
    required key declared first) is converted."""
    from ZConfig.matcher import BaseMatcher
    code = BaseMatcher.constuct.__code__
    assert keys._CONSTUCT_CODE is code
    assert code.co_varnames[0] == 'self' and 'values' in code.co_varnames
    assert keys.positions_available()
    text = ('%import zeoconf\n<zodb>\n  <clientstorage>\n'
            '    server zeo:1\n  </clientstorage>\n</zodb>\n'
            '<zodb second>\n  <clientstorage>\n'
            '    server zeo:2\n    server zeo:3\n    cache-size 1MB\n'
            '    <ssl>\n      check-hostname false\n    </ssl>\n'
            '    read-only true\n'
            '  </clientstorage>\n</zodb>\n')
    url = 'file:///etc/zodb.conf'
    with keys.recording():
        config, _ = ZConfig.loadConfigFile(
            ZODB.config.getDbSchema(), io.StringIO(text), url)
    first, second = _storages(config)
    # Keys given, with their lines; defaults (cache-size in the first
    # storage, storage, wait-timeout, ...) are not positions.
    found = {key: [(p.lineno, p.url) for p in where]
             for key, where in keys.positions(first.config).items()}
    assert found == {'server': [(4, url)]}
    found = {key: [(p.lineno, p.url) for p in where]
             for key, where in keys.positions(second.config).items()}
    assert found == {'server': [(9, url), (10, url)],
                     'cache-size': [(11, url)], 'read-only': [(15, url)]}
    ssl_positions = keys.positions(second.ssl.config)
    assert [p.lineno for p in ssl_positions['check-hostname']] == [13]
    assert list(ssl_positions) == ['check-hostname']


def test_a_plain_parse_keeps_nothing_per_section():
    """Outside keys.recording() (ZODB.config at process start) no copy of
    a section's values is kept: it would cost every section more than the
    rest of zeoconf's own work (garbage collection)."""
    config = _parse(_plain_storages(3))
    for storage in _storages(config):
        assert getattr(storage.config._matcher, keys._VALUES_ATTR,
                       None) is None
    with keys.recording():
        config = _parse(_plain_storages(3))
    for storage in _storages(config):
        assert getattr(storage.config._matcher, keys._VALUES_ATTR,
                       None) is not None


def test_server_is_the_first_key_of_clientstorage():
    # keys.server is the converter that learns the positions; it must be
    # the first key ZConfig converts in the section.
    definition = _storages(_parse(
        '%import zeoconf\n<zodb>\n<clientstorage>\nserver zeo:1\n'
        '</clientstorage>\n</zodb>\n'))[0].config.getSectionDefinition()
    names = [name for name, info in definition if not info.issection()]
    assert names[0] == 'server'
    assert keys.server.first and not keys.cache_size.first
