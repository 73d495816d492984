"""zeoconf against ZEO's own component: configuration text to arguments.

Each case parses a configuration with ZODB's schema
(``ZODB.config.getDbSchema()``) and resolves every clientstorage to the
keyword arguments of ``ZEO.ClientStorage.ClientStorage``, without
connecting: for zeoconf ``opener.kwargs()``, for ZEO the addresses and
options its ``ClientStorageConfig.open()`` computes before it connects.
ZEO builds an SSLContext per ``<ssl>`` section while parsing; zeoconf
builds one per distinct settings, and its context cache is cleared before
every zeoconf repetition, so each one costs what the first parse in a
fresh process costs.

Repetitions of the two components are interleaved (ZEO, zeoconf, ZEO, ...)
and medians reported, so drift of the machine hits both alike.

    python benchmarks/bench_parse.py [--quick]
"""

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import ZConfig
import ZODB.config

SCHEMA = ZODB.config.getDbSchema()


def _storages(component, count, ssl_block=''):
    sections = []
    for i in range(count):
        sections.append(
            f'<zodb db{i}>\n  <clientstorage>\n'
            f'    server zeo{i % 7}.example.com:{8100 + i % 50}\n'
            f'    cache-size 64MB\n    blob-dir /tmp/zc-bench/blobs{i}\n'
            f'    read-only-fallback true\n    wait-timeout 30\n'
            f'{ssl_block}  </clientstorage>\n</zodb>\n')
    return f'%import {component}\n' + ''.join(sections)


def _ssl_block(certs):
    return (f'    <ssl>\n      authenticate {certs.ca}\n'
            f'      certificate {certs.client_cert}\n'
            f'      key {certs.client_key}\n'
            f'      server-hostname zeo.example.com\n    </ssl>\n')


def _resolve_zeo(database):
    # What ZEO.zconfig.ClientStorageConfig.open() computes before it
    # creates the ClientStorage.
    config = database.config.storage.config
    kwargs = dict(
        addr=[server.address for server in config.server],
        blob_dir=config.blob_dir, shared_blob_dir=config.shared_blob_dir,
        storage=config.storage, cache_size=config.cache_size,
        cache=config.cache_path, name=config.name,
        read_only=config.read_only,
        read_only_fallback=config.read_only_fallback,
        server_sync=config.server_sync, wait_timeout=config.wait_timeout)
    if config.ssl:
        kwargs['ssl'], kwargs['ssl_server_hostname'] = config.ssl
    return kwargs


def _resolve_zeoconf(database):
    return database.config.storage.kwargs()


def _run(component, text):
    from zeoconf import tls
    tls.clear_cache()
    start = time.perf_counter()
    config, _ = ZConfig.loadConfigFile(SCHEMA, io.StringIO(text))
    resolve = _resolve_zeo if component == 'ZEO' else _resolve_zeoconf
    for database in config.database:
        resolve(database)
    return time.perf_counter() - start


def _case(name, count, texts, repeat):
    times = {'ZEO': [], 'zeoconf': []}
    for component in times:      # warm-up: imports, schema components
        _run(component, texts[component])
    for _ in range(repeat):
        for component in times:
            times[component].append(_run(component, texts[component]))
    zeo = statistics.median(times['ZEO'])
    ours = statistics.median(times['zeoconf'])
    return {'case': name, 'storages': count, 'ZEO': zeo, 'zeoconf': ours,
            'ratio': ours / zeo}


def _fresh_process(code, runs):
    timings = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             capture_output=True, text=True).stdout
        timings.append(float(out.split()[0]))
        extra = out.split()[1:]
    return statistics.median(timings), extra


IMPORT_CODE = """\
import sys, time
before = set(sys.modules)
start = time.perf_counter()
import zeoconf
took = time.perf_counter() - start
added = set(sys.modules) - before
bad = sorted(m for m in added if m.split('.')[0] in ('ZEO', 'asyncio'))
print(took, len(added), *bad)
"""

FIRST_PARSE_CODE = """\
import io, sys, time
import ZConfig, ZODB.config
schema = ZODB.config.getDbSchema()
text = '''%import {component}
<zodb>
  <clientstorage>
    server zeo.example.com:8100
    cache-size 64MB
  </clientstorage>
</zodb>
'''
start = time.perf_counter()
config, _ = ZConfig.loadConfigFile(schema, io.StringIO(text))
took = time.perf_counter() - start
print(took, sorted(m for m in sys.modules if m.startswith('asyncio'))[:1])
"""


def _machine():
    cpu = platform.processor() or 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    from importlib.metadata import version
    return (f'{cpu}, {os.cpu_count()} cores; Python '
            f'{platform.python_version()}; ZConfig {version("ZConfig")}, '
            f'ZODB {version("ZODB")}, ZEO {version("ZEO")}, zeoconf '
            f'{version("zeoconf")}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions (a rough look)')
    args = parser.parse_args(argv)
    scale = 1 if args.quick else 4
    from zeoconf.throwaway import make_certificates
    directory = tempfile.mkdtemp(prefix='zeoconf-bench-')
    certs = make_certificates(directory)
    cases = [('1 plain', 1, '', 50 * scale), ('100 plain', 100, '', 5 * scale),
             ('1000 plain', 1000, '', 2 * scale),
             ('100 TLS, one setup', 100, _ssl_block(certs), 3 * scale)]
    print(f'machine: {_machine()}')
    print('time from configuration text to ClientStorage arguments, '
          'median of interleaved runs (zeoconf TLS cache cleared each run)')
    print()
    header = (f'{"case":<20} {"ZEO":>10} {"zeoconf":>10} {"ratio":>7} '
              f'{"ZEO/storage":>12} {"zeoconf/storage":>16}')
    print(header)
    print('-' * len(header))
    results = []
    for name, count, block, repeat in cases:
        texts = {c: _storages(c, count, block) for c in ('ZEO', 'zeoconf')}
        result = _case(name, count, texts, repeat)
        results.append(result)
        print(f'{name:<20} {result["ZEO"] * 1000:>8.2f}ms '
              f'{result["zeoconf"] * 1000:>8.2f}ms {result["ratio"]:>6.2f}x '
              f'{result["ZEO"] / count * 1e6:>10.0f}us '
              f'{result["zeoconf"] / count * 1e6:>14.0f}us')
    per = {r['storages']: r['zeoconf'] / r['storages'] for r in results
           if r['case'].endswith('plain')}
    print()
    print(f'linearity: zeoconf per-storage cost at 1000 / at 100 = '
          f'{per[1000] / per[100]:.2f} (1.00 is linear)')

    runs = 5 if args.quick else 11
    # Installed packages have compiled bytecode (ZEO's has); an editable
    # checkout under PYTHONDONTWRITEBYTECODE would compile zeoconf from
    # source in every fresh process. Compare like with like.
    import compileall

    import zeoconf
    compileall.compile_dir(os.path.dirname(zeoconf.__file__), quiet=1)
    took, extra = _fresh_process(IMPORT_CODE, runs)
    bad = extra[1:]
    print(f'import zeoconf (fresh process, median of {runs}): '
          f'{took * 1000:.2f}ms, {extra[0]} modules added, ZEO/asyncio '
          f'among them: {", ".join(bad) if bad else "none"}')
    for component in ('ZEO', 'zeoconf'):
        took, asyncio = _fresh_process(
            FIRST_PARSE_CODE.replace('{component}', component), runs)
        print(f'first parse of a one-storage file, %import {component:<8}'
              f'(fresh process): {took * 1000:.2f}ms; asyncio imported: '
              f'{"yes" if asyncio != ["[]"] else "no"}')
    return results


if __name__ == '__main__':
    main()
