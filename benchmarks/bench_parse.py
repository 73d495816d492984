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

All of that is a warm parse: one process parsing again and again. What
every deployment pays is the first parse in a new process, so the fresh
cases start a new interpreter (the same Python) per run, with the
packages byte-compiled first. Inside, it times importing ZConfig and
ZODB.config, ZODB's schema, reading a zodb.conf from disk
(``ZConfig.loadConfig``, as Zope does) and the keyword arguments of every
storage: for a one-storage file and for ten ``<zodb dbI>`` sections with
one ``<clientstorage>`` each, with each component, and for a baseline:
the same file without the ``%import`` line and with a ``<mappingstorage>``
in place of each ``<clientstorage>``. The ratio printed is
``(zeoconf - baseline) / (ZEO - baseline)``, from the whole span and from
the span after the imports and the schema (which every variant runs
alike: the same difference, without most of the noise). The last lines
say what ``import zeoconf`` alone costs and adds (it must add no ``ZEO``
and no ``asyncio``).

    python benchmarks/bench_parse.py [--quick]

CI never runs this: tests/test_invariants.py asserts the counts behind
these numbers (modules, contexts built, work per storage), never times.
"""

import argparse
import gc
import inspect
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

# Repetitions per case (full run, --quick) of the parses in one process.
CASES = [
    # name, storages, with <ssl>, repetitions (full, quick)
    ('1 plain', 1, False, (600, 60)),
    ('100 plain', 100, False, (100, 10)),
    ('1000 plain', 1000, False, (30, 3)),
    ('100 TLS, one setup', 100, True, (40, 5)),
]
# Fresh processes timing ``import zeoconf`` alone (full, quick).
IMPORT_RUNS = (21, 5)


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
#
# What a deployment pays: one parse of its configuration in a new process.
# Each repetition is a new interpreter (the venv's python) that reads a
# zodb.conf from disk, as Zope and ZODB.config.databaseFromURL do, after
# importing what that needs. Its clock runs around the imports, ZODB's
# schema, the parse and the keyword arguments of every storage; not
# around the interpreter's own start, which every variant pays alike.

# Cases: name, databases (each one <zodb dbI> with one <clientstorage>).
FRESH_CASES = [('1 storage', 1), ('10 databases', 10)]
# Rounds (full, quick); each round runs every variant of every case once.
FRESH_RUNS = (51, 7)
# Every variant of a case: the baseline (no %import, a <mappingstorage>
# in place of each <clientstorage>) and each component.
FRESH_VARIANTS = ('baseline',) + COMPONENTS
# The packages whose bytecode the children must find compiled.
COMPILED = ('zeoconf', 'ZConfig', 'ZODB', 'ZEO')


def baseline_text(count):
    """The same databases with the ZEO-client part taken out."""
    return ''.join(f'<zodb db{i}>\n'
                   f'  <mappingstorage>\n'
                   f'  </mappingstorage>\n'
                   f'</zodb>\n' for i in range(count))


def resolve_nothing(section):
    """The baseline's <mappingstorage> has no arguments to compute."""


# The child's program. The resolve functions are this module's own,
# copied in as source: importing this module would import zeoconf and
# ZODB before the child's clock starts.
FRESH_CODE = """\
import sys, time

RESOLVE_FUNCTIONS
RESOLVE = {'baseline': resolve_nothing, 'ZEO': resolve_zeo,
           'zeoconf': resolve_zeoconf}
variant, path = sys.argv[1], sys.argv[2]
# 'baseline:MODULE,MODULE': the baseline, which also imports the modules
# (for bench_instructions.py: what importing a component's modules costs).
variant, _, modules = variant.partition(':')
resolve = RESOLVE[variant]

start = time.perf_counter()
import ZConfig
import ZODB.config
schema = ZODB.config.getDbSchema()
imported = time.perf_counter()

before = set(sys.modules)
parse_start = time.perf_counter()
config, _ = ZConfig.loadConfig(schema, path)
for database in config.database:
    resolve(database.config.storage)
for module in filter(None, modules.split(',')):
    __import__(module)
done = time.perf_counter()

if len(sys.argv) > 3:    # counted in instructions: the work ends here
    sys.exit()

# Not timed: what the parse imported, and whether any module was compiled
# from source instead of read from its bytecode.
added = sorted(set(sys.modules) - before)
import importlib.util, json, os

def from_source(module):
    spec = getattr(module, '__spec__', None)
    if spec is None or not spec.has_location or not spec.cached:
        return False
    if not spec.origin.endswith('.py'):
        return False
    try:
        with open(spec.cached, 'rb') as f:
            head = f.read(16)
        with open(spec.origin, 'rb') as f:
            source = f.read()
        stat = os.stat(spec.origin)
    except OSError:
        return True
    if head[:4] != importlib.util.MAGIC_NUMBER:
        return True
    flags = int.from_bytes(head[4:8], 'little')
    if flags & 1:                   # hash-based: checked against source?
        return bool(flags & 2) and (
            head[8:16] != importlib.util.source_hash(source))
    return (int.from_bytes(head[8:12], 'little')
            != int(stat.st_mtime) & 0xFFFFFFFF
            or int.from_bytes(head[12:16], 'little')
            != stat.st_size & 0xFFFFFFFF)

print(json.dumps({
    'imports': imported - start, 'parse': done - parse_start,
    'databases': len(config.database), 'added': added,
    'from_source': sorted(name for name, module in list(sys.modules.items())
                          if from_source(module)),
}))
"""


def fresh_code():
    functions = '\n\n'.join(inspect.getsource(f) for f in
                            (resolve_nothing, resolve_zeo, resolve_zeoconf))
    return FRESH_CODE.replace('RESOLVE_FUNCTIONS', functions)


def compile_packages():
    """Byte-compile the packages the children import, once.

    An installed package comes with its bytecode (pip compiles it); this
    checkout's zeoconf has none when Python runs with
    PYTHONDONTWRITEBYTECODE=1 (which this machine may set), and a child
    would compile it from source in every run. The children only read
    the bytecode, so the variable stays as it is for them; each child
    reports any module it still had to compile from source.
    """
    import compileall
    import importlib
    for name in COMPILED:
        package = importlib.import_module(name)
        compileall.compile_dir(os.path.dirname(package.__file__), quiet=1)


def fresh_files(directory):
    """``{(case, variant): path of its zodb.conf}``."""
    paths = {}
    for case, count in FRESH_CASES:
        for variant in FRESH_VARIANTS:
            text = (baseline_text(count) if variant == 'baseline'
                    else storages_text(variant, count))
            path = os.path.join(directory,
                                f'{variant}-{count}-zodb.conf')
            with open(path, 'w') as f:
                f.write(text)
            paths[case, variant] = path
    return paths


def fresh_command(code, variant, path, count_only=False):
    """The command line of one fresh process; with *count_only* it stops
    when the timed work is done (for bench_instructions.py)."""
    return ([sys.executable, '-c', code, variant, path]
            + (['count'] if count_only else []))


def fresh_run(code, variant, path, cwd):
    """What one new interpreter reports for *variant* reading *path*."""
    out = subprocess.run(fresh_command(code, variant, path), check=True,
                         capture_output=True, text=True, cwd=cwd).stdout
    return json.loads(out.splitlines()[-1])


def fresh_rounds(paths, rounds, cwd):
    """Interleaved fresh runs: ``{(case, variant): [report, ...]}``.

    Each round runs every variant of every case once; the order turns
    round by round, so that no variant always follows the same one.
    """
    code = fresh_code()
    order = list(paths)
    reports = {key: [] for key in order}
    for i in range(rounds):
        shift = i % len(order)
        turn = order[shift:] + order[:shift]
        if i % 2:
            turn.reverse()
        for key in turn:
            reports[key].append(fresh_run(code, key[1], paths[key], cwd))
    return reports


IMPORT_CODE = """\
import sys, time, json
before = set(sys.modules)
start = time.perf_counter()
import zeoconf
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


def zeoconf_source():
    """Where the zeoconf being measured comes from, and its commit."""
    import zeoconf
    top = os.path.dirname(os.path.dirname(os.path.abspath(zeoconf.__file__)))
    git = ['git', '-C', top]
    try:
        commit = subprocess.run(git + ['rev-parse', '--short', 'HEAD'],
                                capture_output=True, text=True, check=True)
        changed = subprocess.run(git + ['status', '--porcelain', '--',
                                        'zeoconf'],
                                 capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return f'{top} (not a git checkout)'
    return (f'{top} at commit {commit.stdout.strip()}'
            + (', with uncommitted changes to zeoconf/'
               if changed.stdout.strip() else ''))


def us(seconds):
    return f'{seconds * 1e6:.0f}us'


def ms(seconds):
    return f'{seconds * 1e3:.2f}ms'


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='A full run takes about a minute and a half; --quick about '
               'ten seconds.')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions (a rough look)')
    args = parser.parse_args(argv)
    pick = 1 if args.quick else 0
    began = time.perf_counter()

    from zeoconf.testing import Certificates
    directory = tempfile.mkdtemp(prefix='zeoconf-bench-')
    try:
        certs = Certificates(directory)
        block = ssl_block(certs)
        print(f'machine: {machine()}')
        print(f'zeoconf: {zeoconf_source()}')
        print('warm parse (one process parsing again and again): time from '
              'configuration text to\nClientStorage keyword '
              'arguments (parse with ZODB\'s schema, resolve, no connection);'
              '\nmedians of interleaved repetitions; zeoconf\'s TLS context '
              'cache cleared before each (TLS as in a first parse);'
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
        report_fresh(pick, directory)
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
    """The targets of issue 12 for a warm parse, as this run measured
    them (the fresh-process target is counted in instructions)."""
    plain = [(name, m['zeoconf'] / m['ZEO'])
             for name, (_, m) in results.items() if name.endswith('plain')]
    worst_name, worst = max(plain, key=lambda item: item[1])
    tls_ratio = (results['100 TLS, one setup'][1]['zeoconf']
                 / results['100 TLS, one setup'][1]['ZEO'])
    n100, m100 = results['100 plain']
    n1000, m1000 = results['1000 plain']
    growth = (m1000['zeoconf'] / n1000) / (m100['zeoconf'] / n100)
    checks = [
        (f'plain <= 1.10x ZEO at every size (worst: {worst_name}, '
         f'{worst:.3f}x)', worst <= 1.10),
        (f'100 TLS <= 0.15x ZEO ({tls_ratio:.3f}x)', tls_ratio <= 0.15),
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


def fresh_ratio(times):
    """``(zeoconf - baseline) / (ZEO - baseline)`` and its parts."""
    extra = {c: times[c] - times['baseline'] for c in COMPONENTS}
    return extra, extra['zeoconf'] / extra['ZEO']


def report_fresh(pick, directory):
    """The fresh-process cases, and what ``import zeoconf`` adds."""
    compile_packages()
    rounds = FRESH_RUNS[pick]
    reports = fresh_rounds(fresh_files(directory), rounds, directory)
    print('\n'.join((
        'fresh process: a new interpreter per run reads a zodb.conf and '
        'times, inside, importing ZConfig',
        'and ZODB.config, ZODB\'s schema, the parse and every storage\'s '
        'keyword arguments (packages',
        'byte-compiled first); medians of interleaved runs. "baseline": the '
        'same file without the %import',
        'line and with a <mappingstorage> in place of each <clientstorage>; '
        'zeoconf/ZEO = (zeoconf -',
        'baseline) / (ZEO - baseline). "whole": all of that; "after '
        'imports": from after the imports and',
        'the schema, which every variant runs alike, so the same difference '
        'with far less noise;',
        '"+ZEO", "+zeoconf": what the component adds; "fastest": the ratio '
        'from the fastest run of each')))
    print()
    header = (f'{"":<19}{"whole":<44}{"after imports":<13}\n'
              f'{"case":<13} {"runs":>4} {"baseline":>9} {"ZEO":>8} '
              f'{"zeoconf":>8} {"ratio":>7} {"fastest":>8} {"baseline":>9} '
              f'{"+ZEO":>7} {"+zeoconf":>9} {"zeoconf/ZEO":>12} '
              f'{"fastest":>8}')
    print(header)
    print('-' * len(header.splitlines()[-1]))
    ratios = {}
    spread = {}
    for case, count in FRESH_CASES:
        runs = {v: reports[case, v] for v in FRESH_VARIANTS}
        for variant, found in runs.items():
            if any(r['databases'] != count for r in found):  # pragma: no cover
                raise AssertionError(f'{case}, {variant}: not every '
                                     f'database was parsed')
        whole = {v: [r['imports'] + r['parse'] for r in found]
                 for v, found in runs.items()}
        after = {v: [r['parse'] for r in found] for v, found in runs.items()}
        median = {v: statistics.median(t) for v, t in whole.items()}
        _, whole_ratio = fresh_ratio(median)
        _, whole_fastest = fresh_ratio({v: min(t) for v, t in whole.items()})
        after_median = {v: statistics.median(t) for v, t in after.items()}
        extra, ratio = fresh_ratio(after_median)
        _, fastest = fresh_ratio({v: min(t) for v, t in after.items()})
        ratios[case] = ratio
        quartiles = statistics.quantiles(whole['baseline'], n=4)
        spread[case] = (quartiles[2] - quartiles[0], extra)
        print(f'{case:<13} {rounds:>4} {ms(median["baseline"]):>9} '
              f'{ms(median["ZEO"]):>8} {ms(median["zeoconf"]):>8} '
              f'{whole_ratio:>6.2f}x {whole_fastest:>7.2f}x '
              f'{ms(after_median["baseline"]):>9} {ms(extra["ZEO"]):>7} '
              f'{ms(extra["zeoconf"]):>9} {ratio:>11.2f}x {fastest:>7.2f}x')
    print()
    for case, (iqr, extra) in spread.items():
        print(f'  {case}: the whole span of one variant spreads over '
              f'{ms(iqr)} (interquartile, baseline) from run to run, '
              f'against {ms(extra["ZEO"])} and {ms(extra["zeoconf"])} that '
              f'the components add')
    print('  (bench_instructions.py counts the same processes in '
          'instructions, which do not spread)')
    for component in COMPONENTS:
        added = reports[FRESH_CASES[0][0], component][-1]['added']
        heavy = [m for m in added if m == 'ZEO.ClientStorage'
                 or m.split('.')[0] == 'asyncio']
        print(f'  the parse with %import {component:<8} imports '
              f'{", ".join(added)}; ZEO.ClientStorage or asyncio among '
              f'them: {", ".join(heavy) if heavy else "none"}')
    compiled = sorted({name for found in reports.values() for r in found
                       for name in r['from_source']})
    print(f'  modules a child compiled from source instead of reading '
          f'their bytecode: {", ".join(compiled) if compiled else "none"}')
    runs = IMPORT_RUNS[pick]
    took, added = fresh_medians({'import': IMPORT_CODE}, runs)['import']
    bad = forbidden(added)
    print(f'  import zeoconf alone (median of {runs}): {ms(took)}; adds '
          f'{", ".join(added)}; ZEO or asyncio among them: '
          f'{", ".join(bad) if bad else "none"}')
    return ratios


if __name__ == '__main__':
    main()
