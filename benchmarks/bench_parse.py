"""zeoconf against ZEO's own component: configuration text to arguments.

What is timed, for each component, is "configuration text to the keyword
arguments of ``ZEO.ClientStorage.ClientStorage``" without connecting:

- parse the text with ZODB's schema (``ZODB.config.getDbSchema()`` and
  ``ZConfig.loadConfigFile``), the way ``ZODB.config.databaseFromString``
  does; the text starts with ``%import ZEO`` or ``%import zeoconf`` and
  holds N ``<zodb dbI>`` sections (ZODB's multi-database form), each with
  one ``<clientstorage>`` of five keys;
- resolve every storage: for zeoconf ``opener.kwargs()``; for ZEO what its
  ``ClientStorageConfig.open()`` computes before it creates the storage.
  ZEO's ``<ssl>`` datatype builds its ``SSLContext`` while the section is
  parsed, so for ZEO parsing already includes the TLS work.

Cases: 1, 100 and 1000 plain storages, and 100 storages that share one
``<ssl>`` setup (authenticate, certificate and key from trustme). zeoconf
shares one context between sections with the same settings and caches it
per process; the cache is cleared before every repetition, so what is
measured is the first parse in a fresh process, not a cache hit. (The
warm-cache time is printed too, for information.)

Repetitions of the two components are interleaved, alternating which goes
first, and medians are reported, so drift or a busy neighbour on the
machine hits both alike. Garbage from one repetition is collected before
the next one starts.

Fresh processes (several runs, median): the cost of ``import zeoconf``
and which modules it adds (it must add no ``ZEO`` and no ``asyncio``), and
the first parse of a one-storage file with each component.

    python benchmarks/bench_parse.py [--quick]

CI never runs this: tests/test_invariants.py asserts the counts behind
these numbers (modules, contexts built, work per storage), never times.
"""

import argparse
import gc
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import ZConfig
import ZODB.config

from zeoconf import tls

SCHEMA = ZODB.config.getDbSchema()
COMPONENTS = ('ZEO', 'zeoconf')

# Repetitions per case (full run, --quick), and fresh processes per
# measurement. A full run takes about 40 seconds on 2 cores.
CASES = [
    # name, storages, with <ssl>, repetitions (full, quick)
    ('1 plain', 1, False, (600, 60)),
    ('100 plain', 100, False, (100, 10)),
    ('1000 plain', 1000, False, (30, 3)),
    ('100 TLS, one setup', 100, True, (40, 5)),
]
FRESH_RUNS = (21, 5)


def storages_text(component, count, ssl_block=''):
    """N ``<zodb>`` sections with one ``<clientstorage>`` each.

    The same text for both components apart from the ``%import`` line:
    only keys both components know, values both accept.
    """
    sections = []
    for i in range(count):
        sections.append(
            f'<zodb db{i}>\n'
            f'  <clientstorage>\n'
            f'    server zeo{i % 7}.example.com:{8100 + i % 50}\n'
            f'    cache-size 64MB\n'
            f'    blob-dir /tmp/zeoconf-bench/blobs{i}\n'
            f'    read-only-fallback true\n'
            f'    wait-timeout 30\n'
            f'{ssl_block}'
            f'  </clientstorage>\n'
            f'</zodb>\n')
    return f'%import {component}\n' + ''.join(sections)


def ssl_block(certs):
    """One ``<ssl>`` setup: verify the server, present a certificate."""
    return (f'    <ssl>\n'
            f'      authenticate {certs.ca}\n'
            f'      certificate {certs.client_cert}\n'
            f'      key {certs.client_key}\n'
            f'    </ssl>\n')


def resolve_zeo(section):
    """ClientStorage arguments as ZEO's ``ClientStorageConfig.open()``
    would pass them, without creating the storage."""
    c = section.config
    kwargs = {
        'addr': [server.address for server in c.server],
        'blob_dir': c.blob_dir, 'shared_blob_dir': c.shared_blob_dir,
        'storage': c.storage, 'cache_size': c.cache_size,
        'cache': c.cache_path, 'name': c.name, 'read_only': c.read_only,
        'read_only_fallback': c.read_only_fallback,
        'server_sync': c.server_sync, 'wait_timeout': c.wait_timeout,
    }
    # Optional arguments: passed only when set.
    for option in ('blob_cache_size', 'blob_cache_size_check',
                   'client_label'):
        value = getattr(c, option)
        if value is not None:
            kwargs[option] = value
    if c.ssl:
        kwargs['ssl'], kwargs['ssl_server_hostname'] = c.ssl
    return kwargs


def resolve_zeoconf(section):
    return section.kwargs()


RESOLVE = {'ZEO': resolve_zeo, 'zeoconf': resolve_zeoconf}


def run_once(component, text, clear_cache=True):
    """Seconds from text to the arguments of every storage in it."""
    if clear_cache:
        tls.clear_cache()
    gc.collect()
    resolve = RESOLVE[component]
    start = time.perf_counter()
    config, _ = ZConfig.loadConfigFile(SCHEMA, io.StringIO(text))
    for database in config.database:
        resolve(database.config.storage)
    took = time.perf_counter() - start
    if len(config.database) != text.count('<zodb '):  # pragma: no cover
        raise AssertionError('not every storage was parsed')
    return took


def interleaved(runs, repeat, best=None):
    """``{label: median seconds}`` over interleaved repetitions.

    *runs* maps a label to ``(component, text, clear_cache)``. When a dict
    is given as *best*, it receives ``{label: fastest repetition}``.
    """
    times = {label: [] for label in runs}
    labels = list(runs)
    for label in labels:              # warm-up: imports, first use
        run_once(*runs[label])
    for i in range(repeat):
        # Alternate who goes first: neither gets the other's leftovers
        # (caches, heap, frequency) systematically.
        for label in (labels if i % 2 == 0 else labels[::-1]):
            times[label].append(run_once(*runs[label]))
    if best is not None:
        best.update({label: min(t) for label, t in times.items()})
    return {label: statistics.median(t) for label, t in times.items()}


# Fresh processes -----------------------------------------------------------

IMPORT_CODE = """\
import sys, time, json
before = set(sys.modules)
start = time.perf_counter()
import zeoconf
took = time.perf_counter() - start
print(json.dumps([took, sorted(set(sys.modules) - before)]))
"""

FIRST_PARSE_CODE = """\
import io, sys, time, json
import ZConfig, ZODB.config
schema = ZODB.config.getDbSchema()
text = '''%import COMPONENT
<zodb>
  <clientstorage>
    server zeo.example.com:8100
    cache-size 64MB
    blob-dir /tmp/zeoconf-bench/blobs
  </clientstorage>
</zodb>
'''
before = set(sys.modules)
start = time.perf_counter()
config, _ = ZConfig.loadConfigFile(schema, io.StringIO(text))
storage = config.database[0].config.storage
if hasattr(storage, 'kwargs'):
    storage.kwargs()
else:
    [server.address for server in storage.config.server]
took = time.perf_counter() - start
print(json.dumps([took, sorted(set(sys.modules) - before)]))
"""


def fresh_process(code):
    """``(seconds, modules added)`` printed by *code* in a new Python."""
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout
    took, added = json.loads(out.splitlines()[-1])
    return took, added


def fresh_medians(codes, runs):
    """Interleaved fresh-process runs of each code: median, modules."""
    times = {name: [] for name in codes}
    added = {}
    for i in range(runs):
        names = list(codes) if i % 2 == 0 else list(codes)[::-1]
        for name in names:
            took, added[name] = fresh_process(codes[name])
            times[name].append(took)
    return {name: (statistics.median(times[name]), added[name])
            for name in codes}


def forbidden(modules):
    """Modules that parsing must not need: ZEO's and asyncio."""
    return sorted(m for m in modules
                  if m.split('.')[0] in ('ZEO', 'asyncio'))


# Report --------------------------------------------------------------------

def machine():
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
    versions = ', '.join(f'{name} {version(name)}' for name in
                         ('ZConfig', 'ZODB', 'ZEO', 'zeoconf'))
    try:
        load = 'load average %.2f' % os.getloadavg()[0]
    except OSError:
        load = 'load average unknown'
    return (f'{cpu}, {os.cpu_count()} cores ({load}); '
            f'{platform.python_implementation()} '
            f'{platform.python_version()}; {versions}')


def us(seconds):
    return f'{seconds * 1e6:.0f}us'


def ms(seconds):
    return f'{seconds * 1e3:.2f}ms'


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='A full run takes under a minute; --quick a few seconds.')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions (a rough look)')
    args = parser.parse_args(argv)
    pick = 1 if args.quick else 0
    began = time.perf_counter()

    from zeoconf.throwaway import make_certificates
    directory = tempfile.mkdtemp(prefix='zeoconf-bench-')
    try:
        certs = make_certificates(directory)
        block = ssl_block(certs)
        print(f'machine: {machine()}')
        print('time from configuration text to ClientStorage keyword '
              'arguments (parse with ZODB\'s schema, resolve, no connection);'
              '\nmedians of interleaved repetitions; zeoconf\'s TLS context '
              'cache cleared before each, i.e. a first parse in a process;'
              '\n"fastest": the ratio of the fastest repetitions, which '
              'neighbours on the machine disturb least')
        print()
        header = (f'{"case":<20} {"reps":>5} {"ZEO":>10} {"zeoconf":>10} '
                  f'{"zeoconf/ZEO":>12} {"ZEO/storage":>12} '
                  f'{"zeoconf/storage":>16} {"fastest":>8}')
        print(header)
        print('-' * len(header))
        results = {}
        warm = None
        for name, count, with_ssl, repeats in CASES:
            runs = {c: (c, storages_text(c, count, block if with_ssl
                                         else ''), True)
                    for c in COMPONENTS}
            if with_ssl:
                # For information: a later parse in the same process,
                # measured in the same interleaving.
                runs['warm'] = runs['zeoconf'][:2] + (False,)
            best = {}
            median = interleaved(runs, repeats[pick], best)
            warm = median.pop('warm', warm)
            results[name] = (count, median)
            print(f'{name:<20} {repeats[pick]:>5} {ms(median["ZEO"]):>10} '
                  f'{ms(median["zeoconf"]):>10} '
                  f'{median["zeoconf"] / median["ZEO"]:>11.2f}x '
                  f'{us(median["ZEO"] / count):>12} '
                  f'{us(median["zeoconf"] / count):>16} '
                  f'{best["zeoconf"] / best["ZEO"]:>7.2f}x')
        print()
        report_growth(results)
        report_targets(results)
        report_fixed_cost(pick)
        print(f'for information, 100 TLS with zeoconf\'s context cache warm '
              f'(a later parse in the same process): {ms(warm)}')
        print()
        report_fresh(FRESH_RUNS[pick])
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f'\n(benchmark ran {time.perf_counter() - began:.0f}s)')
    return results


def report_growth(results):
    """Per-storage cost at 100 vs 1000: 1.00 means linear."""
    n100, m100 = results['100 plain']
    n1000, m1000 = results['1000 plain']
    for component in COMPONENTS:
        per100, per1000 = m100[component] / n100, m1000[component] / n1000
        # The storages added between the two sizes, without the fixed
        # cost of a configuration (the %import).
        marginal = (m1000[component] - m100[component]) / (n1000 - n100)
        print(f'growth, {component:<8} per storage at 1000 / at 100 = '
              f'{per1000 / per100:.2f} (1.00 is linear); marginal cost of '
              f'a storage between 100 and 1000: {us(marginal)}')


def report_targets(results):
    """The targets of the issue, as measured by this run."""
    plain = [(name, m['zeoconf'] / m['ZEO'])
             for name, (_, m) in results.items() if name.endswith('plain')]
    worst_name, worst = max(plain, key=lambda item: item[1])
    tls_ratio = (results['100 TLS, one setup'][1]['zeoconf']
                 / results['100 TLS, one setup'][1]['ZEO'])
    n100, m100 = results['100 plain']
    n1000, m1000 = results['1000 plain']
    growth = (m1000['zeoconf'] / n1000) / (m100['zeoconf'] / n100)
    checks = [
        (f'plain <= 1.00x ZEO at every size (worst: {worst_name}, '
         f'{worst:.2f}x)', worst <= 1.0),
        (f'100 TLS <= 0.20x ZEO ({tls_ratio:.2f}x)', tls_ratio <= 0.2),
        (f'linear: per storage at 1000 / at 100 <= 1.10 ({growth:.2f})',
         growth <= 1.10),
    ]
    for text, met in checks:
        print(f'target {"met   " if met else "MISSED"} {text}')


def report_fixed_cost(pick):
    """What one ``%import`` costs, with no storage: ZConfig reading the
    component's XML, which it does again for every configuration."""
    empty = '<zodb>\n  <mappingstorage>\n  </mappingstorage>\n</zodb>\n'
    texts = {'none': empty}
    texts.update({c: f'%import {c}\n{empty}' for c in COMPONENTS})
    repeat = CASES[0][3][pick]
    times = {name: [] for name in texts}
    for i in range(repeat):
        for name in (list(texts) if i % 2 == 0 else list(texts)[::-1]):
            gc.collect()
            start = time.perf_counter()
            ZConfig.loadConfigFile(SCHEMA, io.StringIO(texts[name]))
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times['none'])
    cost = {c: statistics.median(times[c]) - base for c in COMPONENTS}
    print(f'fixed cost of the %import line alone (ZConfig reading the '
          f'component.xml, per configuration): ZEO {us(cost["ZEO"])}, '
          f'zeoconf {us(cost["zeoconf"])}')


def report_fresh(runs):
    # Installed packages come with compiled bytecode (ZEO's does); an
    # editable checkout run with PYTHONDONTWRITEBYTECODE would compile
    # zeoconf from source in every fresh process. Compare like with like.
    import compileall

    import zeoconf
    compileall.compile_dir(os.path.dirname(zeoconf.__file__), quiet=1)
    codes = {'import zeoconf': IMPORT_CODE}
    for component in COMPONENTS:
        codes[component] = FIRST_PARSE_CODE.replace('COMPONENT', component)
    found = fresh_medians(codes, runs)
    took, added = found['import zeoconf']
    bad = forbidden(added)
    print(f'fresh processes, median of {runs} each:')
    print(f'  import zeoconf: {ms(took)}; adds {", ".join(added)}; ZEO or '
          f'asyncio among them: {", ".join(bad) if bad else "none"}')
    for component in COMPONENTS:
        took, added = found[component]
        heavy = [m for m in added if m == 'ZEO.ClientStorage'
                 or m.startswith('asyncio')]
        print(f'  first parse of a one-storage file, %import {component:<8}'
              f' {ms(took)}; adds {", ".join(added)}; ZEO.ClientStorage or '
              f'asyncio among them: {", ".join(heavy) if heavy else "none"}')

if __name__ == '__main__':
    main()
