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
and import costs. zeoconf's TLS context cache is cleared before every
repetition, as in ``bench_parse.py``.

    python benchmarks/bench_instructions.py [--quick]

Needs valgrind (Debian: ``apt-get install valgrind``). A full run takes
about three minutes on 2 cores.
"""

import argparse
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

CHILD = """\
import io, sys
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
for _ in range(reps):
    run()
"""

_COLLECTED = re.compile(r'Collected : (\d+)')


def instructions(component, path, reps):
    """Instructions a child Python executes for *reps* repetitions."""
    code = CHILD.format(here=HERE)
    # A fixed hash seed: string hashes decide dict probing, and so a few
    # per mille of the count from one run to the next.
    env = dict(os.environ, PYTHONHASHSEED='0')
    result = subprocess.run(
        ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null',
         sys.executable, '-c', code, component, path, str(reps)],
        capture_output=True, text=True, check=True, env=env)
    found = _COLLECTED.search(result.stderr)
    if found is None:  # pragma: no cover
        raise RuntimeError(f'no count in valgrind output:\n{result.stderr}')
    return int(found.group(1))


def per_storage(component, path, count, low, high):
    extra = instructions(component, path, high) - instructions(
        component, path, low)
    return extra / (high - low) / count


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='A full run takes about three minutes; --quick about one.')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions')
    args = parser.parse_args(argv)
    if shutil.which('valgrind') is None:
        parser.exit(2, 'valgrind is not installed (apt-get install '
                       'valgrind)\n')
    pick = 1 if args.quick else 0
    began = time.perf_counter()
    from zeoconf.throwaway import make_certificates
    directory = tempfile.mkdtemp(prefix='zeoconf-bench-')
    try:
        block = bench_parse.ssl_block(make_certificates(directory))
        print(f'machine: {bench_parse.machine()}')
        print('instructions from configuration text to ClientStorage '
              'keyword arguments, per storage\n(callgrind; system calls '
              'not counted; zeoconf\'s TLS context cache cleared before '
              'each repetition)')
        print()
        header = (f'{"case":<20} {"ZEO/storage":>12} '
                  f'{"zeoconf/storage":>16} {"zeoconf/ZEO":>12}')
        print(header)
        print('-' * len(header))
        worst = 0.0
        for name, count, with_ssl, repeats in CASES:
            low, high = repeats[pick]
            counts = {}
            for component in bench_parse.COMPONENTS:
                path = os.path.join(directory, f'{component}-{count}.conf')
                with open(path, 'w') as f:
                    f.write(bench_parse.storages_text(
                        component, count, block if with_ssl else ''))
                counts[component] = per_storage(component, path, count,
                                                low, high)
            ratio = counts['zeoconf'] / counts['ZEO']
            if not with_ssl:
                worst = max(worst, ratio)
            print(f'{name:<20} {counts["ZEO"] / 1000:>11.1f}k '
                  f'{counts["zeoconf"] / 1000:>15.1f}k {ratio:>11.3f}x')
        print()
        print(f'target {"met   " if worst <= 1.0 else "MISSED"} plain <= '
              f'1.00x ZEO at every size, in instructions (worst: '
              f'{worst:.3f}x)')
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f'\n(benchmark ran {time.perf_counter() - began:.0f}s)')


if __name__ == '__main__':
    main()
