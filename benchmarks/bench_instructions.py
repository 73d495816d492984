"""zeoconf against ZEO's own component, counted in CPU instructions.

The same cases and the same work as ``bench_parse.py`` (configuration
text to ClientStorage keyword arguments, no connection), but counted by
valgrind's callgrind instead of timed: a count does not depend on what
else the machine is doing, so one run gives the same ratios as the next,
where wall-clock medians on a shared 2-core machine move by several per
cent between runs. What a count leaves out: system calls (the kernel's
work) and how fast the processor runs the instructions (cache misses,
branch mispredictions); ``bench_parse.py`` measures those.

Each case runs in a child Python under valgrind twice, with LOW and with
HIGH repetitions after one warm-up; the difference, divided by the extra
repetitions and the storages, is the count per storage, free of start-up
and import costs. Each repetition starts with the garbage of the last
one collected and the warm-up's objects frozen out of the collector's
reach, so that the count does not depend on where a full collection of
the heap happens to land. zeoconf's TLS context cache is cleared before every
repetition, as in ``bench_parse.py``.

The fresh-process cases of ``bench_parse.py`` (a new interpreter that
imports ZConfig and ZODB.config, reads ZODB's schema, parses a zodb.conf
with one storage or ten databases, and computes the keyword arguments)
are counted whole: each variant's process once under callgrind, from its
start to its exit, minus the same process for the baseline file (no
``%import``, a ``<mappingstorage>`` in place of each ``<clientstorage>``).
Start-up, the shared imports and exit cancel out; what remains is what
each component adds to a process, including importing its own modules.

    python benchmarks/bench_instructions.py [--quick]

The children run side by side, one per core (a count does not depend on
it). Needs valgrind (Debian: ``apt-get install valgrind``). A full run
takes about three minutes on 2 idle cores.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import bench_parse

HERE = os.path.dirname(os.path.abspath(__file__))

# name, storages, with <ssl>, (low, high) repetitions (full, quick)
CASES = [
    ('1 plain', 1, False, ((50, 250), (20, 70))),
    ('100 plain', 100, False, ((1, 5), (1, 3))),
    ('1000 plain', 1000, False, ((1, 3), (1, 2))),
    ('100 TLS, one setup', 100, True, ((1, 5), (1, 3))),
]

# After the warm-up every object alive is frozen out of the garbage
# collector's reach, and garbage is collected before each repetition (as
# bench_parse.py does, untimed): otherwise a full collection of the whole
# heap lands in some repetitions and not others, and the count per
# storage moves by a per cent or two with the number of repetitions.
CHILD = """\
import gc, io, sys
sys.path.insert(0, {here!r})
import ZConfig
import bench_parse
from zeoconf import tls
component, path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path) as f:
    text = f.read()
resolve = bench_parse.RESOLVE[component]

def run():
    tls.clear_cache()
    config, _ = ZConfig.loadConfigFile(bench_parse.SCHEMA,
                                       io.StringIO(text))
    for database in config.database:
        resolve(database.config.storage)

run()
gc.collect()
gc.freeze()
for _ in range(reps):
    gc.collect()
    run()
"""

_COLLECTED = re.compile(r'Collected : (\d+)')


def counted(command, cwd=None, path=None):
    """Instructions the process of *command* executes, start to exit;
    *path*, when given, goes first on its ``PYTHONPATH``."""
    # A fixed hash seed: string hashes decide dict probing, and so a few
    # per mille of the count from one run to the next.
    env = dict(os.environ, PYTHONHASHSEED='0')
    if path:
        env['PYTHONPATH'] = os.pathsep.join(
            filter(None, [path, env.get('PYTHONPATH')]))
    result = subprocess.run(
        ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null']
        + command, capture_output=True, text=True, check=True, env=env,
        cwd=cwd)
    found = _COLLECTED.search(result.stderr)
    if found is None:  # pragma: no cover
        raise RuntimeError(f'no count in valgrind output:\n{result.stderr}')
    return int(found.group(1))


def count_all(jobs):
    """``{key: instructions}`` for ``{key: (command, cwd[, path])}``, the
    processes run side by side, one per core."""
    workers = max(1, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {key: pool.submit(counted, *job)
                   for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def warm_jobs(directory, block, pick):
    """The warm cases: each component with LOW and HIGH repetitions."""
    jobs = {}
    code = CHILD.format(here=HERE)
    for number, (name, count, with_ssl, repeats) in enumerate(CASES):
        for component in bench_parse.COMPONENTS:
            path = os.path.join(directory, f'warm{number}-{component}.conf')
            with open(path, 'w') as f:
                f.write(bench_parse.storages_text(
                    component, count, block if with_ssl else ''))
            for reps in repeats[pick]:
                jobs['warm', name, component, reps] = (
                    [sys.executable, '-c', code, component, path,
                     str(reps)], None)
    return jobs


def report_warm(counts, pick):
    """Per storage: (HIGH - LOW) / (HIGH - LOW repetitions) / storages."""
    print('warm parse (one process parsing again and again): instructions '
          'from configuration text\nto ClientStorage keyword arguments, per '
          'storage (callgrind; system calls '
          'not counted; zeoconf\'s TLS context cache cleared before '
          'each repetition)')
    print()
    header = (f'{"case":<20} {"ZEO/storage":>12} '
              f'{"zeoconf/storage":>16} {"zeoconf/ZEO":>12}')
    print(header)
    print('-' * len(header))
    worst = 0.0
    tls_ratio = None
    for name, count, with_ssl, repeats in CASES:
        low, high = repeats[pick]
        per = {c: (counts['warm', name, c, high]
                   - counts['warm', name, c, low]) / (high - low) / count
               for c in bench_parse.COMPONENTS}
        ratio = per['zeoconf'] / per['ZEO']
        if with_ssl:
            tls_ratio = ratio
        else:
            worst = max(worst, ratio)
        print(f'{name:<20} {per["ZEO"] / 1000:>11.1f}k '
              f'{per["zeoconf"] / 1000:>15.1f}k {ratio:>11.3f}x')
    return worst, tls_ratio


def fresh_jobs(directory):
    """The fresh-process cases of bench_parse.py, each variant's process
    once, to be counted whole (interpreter start and exit included)."""
    bench_parse.compile_packages()
    paths = bench_parse.fresh_files(directory)
    code = bench_parse.fresh_code()
    compiled = set()
    imports = {}
    for (case, variant), path in paths.items():
        # Once without valgrind: every database parsed, no module
        # compiled from source (which would count the compiler), and
        # which modules each component's parse imports.
        report = bench_parse.fresh_run(code, variant, path, directory)
        if report['databases'] != dict(bench_parse.FRESH_CASES)[case]:
            raise AssertionError(f'{case}, {variant}: not every database '
                                 f'was parsed')  # pragma: no cover
        compiled.update(report['from_source'])
        if variant != 'baseline':
            imports[variant] = report['added']
    jobs = {('fresh', case, variant): (bench_parse.fresh_command(
                code, variant, path, count_only=True), directory)
            for (case, variant), path in paths.items()}
    # The one-storage baseline importing a component's modules as well;
    # importing empty stand-ins of the same modules (what the import
    # system charges for the modules, whatever their code); and reading
    # the "%import" line alone (the modules and component.xml, no parse).
    case = bench_parse.FRESH_CASES[0][0]
    baseline = paths[case, 'baseline']
    with open(baseline) as f:
        baseline_text = f.read()
    for component, modules in imports.items():
        variant = 'baseline:' + ','.join(modules)
        command = bench_parse.fresh_command(code, variant, baseline,
                                            count_only=True)
        jobs['imports', component] = (command, directory)
        # A directory first on the path costs every import of the process
        # a look into it: the stand-ins' share is against the baseline
        # with the same path.
        stand_ins = empty_stand_ins(directory, modules)
        jobs['empty modules', component] = (command, directory, stand_ins)
        jobs['empty baseline', component] = (bench_parse.fresh_command(
            code, 'baseline', baseline, count_only=True), directory,
            stand_ins)
        only = os.path.join(directory, f'import-only-{component}.conf')
        with open(only, 'w') as f:
            f.write(f'%import {component}\n{baseline_text}')
        # component.xml's share is this process minus the imports: right
        # only while the %import line alone imports what the parse does.
        added = bench_parse.fresh_run(code, 'baseline', only,
                                      directory)['added']
        if added != modules:
            raise AssertionError(f'%import {component} alone imports '
                                 f'{added}, the parse {modules}')
        jobs['import line', component] = (bench_parse.fresh_command(
            code, 'baseline', only, count_only=True), directory)
    return jobs, compiled, imports


def empty_stand_ins(directory, modules):
    """A directory holding an empty, byte-compiled module (or package)
    for each of *modules*, to put first on a child's path."""
    import compileall
    import importlib
    root = os.path.join(directory, 'empty-' + modules[0])
    for name in modules:
        package = hasattr(importlib.import_module(name), '__path__')
        path = os.path.join(root, *name.split('.'))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if package:
            os.makedirs(path, exist_ok=True)
            path = os.path.join(path, '__init__')
        with open(path + '.py', 'w'):
            pass
    compileall.compile_dir(root, quiet=1)
    return root


def report_fresh(counts, compiled, imports):
    """Each component's process minus the baseline's."""
    print('fresh process: instructions of a whole new interpreter that '
          'imports ZConfig and ZODB.config,\nreads ZODB\'s schema, parses '
          'a zodb.conf and computes every storage\'s keyword arguments\n'
          '(bench_parse.py\'s fresh case, byte-compiled), minus the same '
          'process for the baseline file\n(no %import, a <mappingstorage> '
          'in place of each <clientstorage>)')
    print()
    header = (f'{"case":<14} {"baseline":>10} {"+ZEO":>9} {"+zeoconf":>9} '
              f'{"zeoconf/ZEO":>12}')
    print(header)
    print('-' * len(header))
    ratios = {}
    for case, _ in bench_parse.FRESH_CASES:
        total = {variant: counts['fresh', case, variant]
                 for variant in bench_parse.FRESH_VARIANTS}
        extra, ratio = bench_parse.fresh_ratio(total)
        ratios[case] = ratio
        print(f'{case:<14} {total["baseline"] / 1e6:>9.1f}M '
              f'{extra["ZEO"] / 1e6:>8.2f}M {extra["zeoconf"] / 1e6:>8.2f}M '
              f'{ratio:>11.2f}x')
    case = bench_parse.FRESH_CASES[0][0]
    print(f'where +ZEO and +zeoconf go at {case}: importing the modules '
          f'the parse imports (the\nbaseline process importing them too, '
          f'minus the baseline), of which the import system\'s\nshare '
          f'(the same modules, empty) and their code; reading '
          f'component.xml (the\n%import line alone, minus the imports); '
          f'parsing and the arguments (the rest):')
    base = counts['fresh', case, 'baseline']
    for component in bench_parse.COMPONENTS:
        extra = counts['fresh', case, component] - base
        own = counts['imports', component] - base
        empty = (counts['empty modules', component]
                 - counts['empty baseline', component])
        schema = counts['import line', component] - base - own
        print(f'  {component:<8} imports {own / 1e6:5.2f}M '
              f'(system {empty / 1e6:4.2f}M, code {(own - empty) / 1e6:4.2f}M)'
              f', component.xml {schema / 1e6:4.2f}M, parse '
              f'{(extra - own - schema) / 1e6:4.2f}M  '
              f'({", ".join(imports[component])})')
    print(f'modules a child compiled from source instead of reading their '
          f'bytecode: {", ".join(sorted(compiled)) or "none"}')
    return ratios


def report_targets(fresh, plain, tls_ratio):
    """The guards of DESIGN.md (Performance), in instructions."""
    checks = [
        (f'fresh process, 1 storage <= 2.00x ZEO ({fresh:.2f}x)',
         fresh <= 2.0),
        (f'warm plain <= 1.20x ZEO at every size (worst: {plain:.3f}x)',
         plain <= 1.20),
        (f'100 TLS, one setup <= 0.15x ZEO ({tls_ratio:.3f}x)',
         tls_ratio <= 0.15),
    ]
    for text, met in checks:
        print(f'guard {"held  " if met else "MISSED"} {text}')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='A full run takes about three minutes on 2 idle cores; '
               '--quick about two.')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions')
    args = parser.parse_args(argv)
    if shutil.which('valgrind') is None:
        parser.exit(2, 'valgrind is not installed (apt-get install '
                       'valgrind)\n')
    pick = 1 if args.quick else 0
    began = time.perf_counter()
    from zeoconf.testing import Certificates
    directory = tempfile.mkdtemp(prefix='zeoconf-bench-')
    try:
        block = bench_parse.ssl_block(Certificates(directory))
        print(f'machine: {bench_parse.machine()}')
        print(f'zeoconf: {bench_parse.zeoconf_source()}')
        jobs, compiled, imports = fresh_jobs(directory)
        jobs.update(warm_jobs(directory, block, pick))
        counts = count_all(jobs)
        worst, tls_ratio = report_warm(counts, pick)
        print()
        fresh = report_fresh(counts, compiled, imports)
        print()
        report_targets(fresh['1 storage'], worst, tls_ratio)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f'\n(benchmark ran {time.perf_counter() - began:.0f}s)')


if __name__ == '__main__':
    main()
