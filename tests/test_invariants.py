"""Invariants CI can count: imports, contexts built, work per storage.

Speed itself is measured by benchmarks/bench_parse.py, never here.
"""

import io
import json
import os
import subprocess
import sys

import ZConfig
import ZODB.config

from zeoconf import keys, tls


def _modules_after(code):
    script = (code + '\nimport json, sys\n'
              'print(json.dumps(sorted(sys.modules)))\n')
    out = subprocess.run([sys.executable, '-c', script], check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def _heavy(modules):
    return sorted(m for m in modules
                  if m.split('.')[0] in ('ZEO', 'asyncio'))


def test_import_zeoconf_imports_neither_zeo_nor_asyncio():
    assert _heavy(_modules_after('import zeoconf')) == []


def test_parsing_imports_neither_zeo_nor_asyncio(certs):
    code = f"""
import io, ZConfig, ZODB.config
text = '''%import zeoconf
<zodb>
  <clientstorage>
    server zeo.example.com:8100
    <ssl>
      authenticate {certs.ca}
      certificate {certs.client_cert}
      key {certs.client_key}
    </ssl>
  </clientstorage>
</zodb>
'''
config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                   io.StringIO(text))
assert config.database[0].config.storage.kwargs()['ssl'] is not None
"""
    assert _heavy(_modules_after(code)) == []


def test_open_is_what_imports_zeo(zeo_server):
    code = f"""
import sys, zeoconf
opener = zeoconf.parse_clientstorage(
    '<clientstorage>\\nserver {zeo_server.config_address}\\n'
    '</clientstorage>\\n')
assert 'ZEO.ClientStorage' not in sys.modules
opener.open().close()
"""
    modules = _modules_after(code)
    assert 'ZEO.ClientStorage' in modules and 'asyncio' in modules


def _parse(text):
    config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                       io.StringIO(text))
    return config


def _tls_storages(certs, count, key=None):
    return '%import zeoconf\n' + ''.join(f"""
<zodb db{i}>
  <clientstorage>
    server zeo{i}.example.com:8100
    <ssl>
      authenticate {certs.ca}
      certificate {certs.client_cert}
      key {key or certs.client_key}
      server-hostname zeo.example.com
    </ssl>
  </clientstorage>
</zodb>""" for i in range(count))


def test_hundred_storages_with_one_ssl_setup_build_one_context(certs):
    tls.clear_cache()
    built = tls.stats['built']
    config = _parse(_tls_storages(certs, 100))
    contexts = {id(db.config.storage.kwargs()['ssl'])
                for db in config.database}
    assert len(config.database) == 100
    assert len(contexts) == 1
    assert tls.stats['built'] - built == 1


def test_a_changed_certificate_is_picked_up_by_the_next_parse(certs,
                                                             tmp_path):
    import shutil
    key = tmp_path / 'client.key'
    shutil.copy(certs.client_key, key)
    first = _parse(_tls_storages(certs, 2, key)).database[0]
    built = tls.stats['built']
    again = _parse(_tls_storages(certs, 2, key)).database[0]
    assert tls.stats['built'] == built          # same files: reused
    same = again.config.storage.kwargs()['ssl']
    assert same is first.config.storage.kwargs()['ssl']
    # Rewrite the key file (as a renewal would); its stamp changes.
    key.write_bytes(key.read_bytes() + b'\n')
    os.utime(key, ns=(1, 1))
    renewed = _parse(_tls_storages(certs, 2, key)).database[0]
    assert tls.stats['built'] == built + 1
    assert renewed.config.storage.kwargs()['ssl'] is not same


def test_work_per_storage_is_constant():
    """zeoconf's own function calls grow linearly with storages."""
    package = os.path.dirname(keys.__file__)

    def calls_per_storage(count):
        text = '%import zeoconf\n' + ''.join(
            f'<zodb db{i}>\n<clientstorage>\nserver zeo:{8100 + i}\n'
            f'cache-size 1GB\nread-only true\n</clientstorage>\n</zodb>\n'
            for i in range(count))
        calls = [0]

        def profile(frame, event, arg):
            if event == 'call' and frame.f_code.co_filename.startswith(
                    package):
                calls[0] += 1

        _parse(text)                   # warm: first-use work done
        sys.setprofile(profile)
        try:
            config = _parse(text)
            for db in config.database:
                db.config.storage.kwargs()
        finally:
            sys.setprofile(None)
        return calls[0] / count

    small, large = calls_per_storage(10), calls_per_storage(100)
    assert small > 0
    # Nothing grows faster than the number of storages.
    assert large <= small


def test_defaults_are_shared_not_copied():
    """Pins the mechanism of keys._share_default against ZConfig."""
    config = _parse('%import zeoconf\n<zodb>\n<clientstorage>\n'
                    'server zeo:1\n</clientstorage>\n</zodb>\n')
    storage_type = config.database[0].config.storage.config \
        .getSectionDefinition()
    info = dict(iter(storage_type))['cache-size']
    assert type(info._default) is keys._SharedDefault
    import copy
    assert copy.copy(info.getdefault()) is info._default
    assert config.database[0].config.storage.kwargs()['cache_size'] == \
        20 * 1024 * 1024
