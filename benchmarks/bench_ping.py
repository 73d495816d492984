"""``zeoconf ping`` as a probe: CPU per run, and the deadline at scale.

1. CPU time of fresh processes (user + system, from
   ``resource.getrusage(RUSAGE_CHILDREN)`` around each run), medians of
   several repetitions, interleaved, against one healthy ZEO server
   started in this process (its own CPU is not counted):

   - the floor: a process that only parses the same zodb.conf with
     ``ZODB.config``'s schema (``ZConfig.loadConfigFile``), as every ZODB
     application does at start, without opening the storage;
   - ``zeoconf ping --light`` (ZEO's status request);
   - ``zeoconf ping`` (a ZEO session);
   - ``zeo-nagios ADDRESS``, ZEO's own probe (plain TCP, no file).

   Ratios to the floor are printed; with valgrind installed, also the
   instructions of one run of each (callgrind), which do not move with
   the machine's load as CPU time does.
2. Wall time of 50 servers, a third up, a third refused, a third silent
   (a listener that never answers), against ``--timeout``, light and full.
3. With ``--scale N``: N servers in one storage, half silent and half
   refused, light, against ``--timeout 3`` (issue 19: 10,000 servers took
   20.6 s then).

    python benchmarks/bench_ping.py [--quick] [--scale 10000]

CI never runs this; tests/test_ping.py asserts the deadline with a
generous bound only.
"""

import argparse
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import bench_instructions
import transaction
import ZEO
import ZODB

import zeoconf
from zeoconf.testing import ThrowawayServer

BIN = os.path.dirname(sys.executable)


def cpu_of(argv):
    """CPU seconds (user + system) of one child process running *argv*."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime
            + after.ru_stime - before.ru_stime), result.returncode


def conf_text(*addresses):
    servers = ''.join(f'    server {a}\n' for a in addresses)
    return ('%import zeoconf\n<zodb main>\n  <clientstorage>\n'
            f'{servers}  </clientstorage>\n</zodb>\n')


def many_storages(addresses):
    return '%import zeoconf\n' + ''.join(
        f'<zodb db{i}>\n  <clientstorage>\n    server {a}\n'
        '  </clientstorage>\n</zodb>\n' for i, a in enumerate(addresses))


def dead_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def silent_listener(host='127.0.0.1'):
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(1024)
    return listener


def commit_once(server):
    """One transaction, so that no probe calls the storage empty
    (zeo-nagios warns, exit 1, on an empty one)."""
    from ZEO.ClientStorage import ClientStorage
    db = ZODB.DB(ClientStorage(server.address, wait_timeout=10))
    try:
        connection = db.open()
        connection.root()['probed'] = True
        transaction.commit()
        connection.close()
    finally:
        db.close()


def compile_packages():
    """Byte-compile what the children import, once: with
    PYTHONDONTWRITEBYTECODE=1 (this machine sets it) this checkout's
    zeoconf would otherwise be compiled from source in every run, which
    no installed deployment pays (see bench_parse.py)."""
    import compileall
    for package in (zeoconf, ZEO, ZODB):
        compileall.compile_dir(os.path.dirname(package.__file__), quiet=1)


def cpu_table(directory, server, repetitions):
    compile_packages()
    commit_once(server)
    path = os.path.join(directory, 'one.conf')
    with open(path, 'w') as f:
        f.write(conf_text(server.config_address))
    floor = (
        'import ZConfig, ZODB.config\n'
        f'with open({path!r}) as f:\n'
        '    ZConfig.loadConfigFile(ZODB.config.getDbSchema(), f)\n')
    cases = [
        ('floor: parse with ZODB.config', [sys.executable, '-c', floor]),
        ('zeoconf ping --light', [sys.executable, '-m', 'zeoconf', 'ping',
                                  '--light', '--quiet', path]),
        ('zeoconf ping (full)', [sys.executable, '-m', 'zeoconf', 'ping',
                                 '--quiet', path]),
        ('zeo-nagios ADDRESS', [os.path.join(BIN, 'zeo-nagios'),
                                server.config_address]),
    ]
    for _, argv in cases:      # byte-compile, warm the file cache
        subprocess.run(argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    times = {name: [] for name, _ in cases}
    for repetition in range(repetitions):
        order = cases if repetition % 2 == 0 else cases[::-1]
        for name, argv in order:
            seconds, code = cpu_of(argv)
            if code != 0:
                raise SystemExit(f'{name} exited {code}')
            times[name].append(seconds)
    floor_median = statistics.median(times[cases[0][0]])
    print(f'CPU of a fresh process, median of {repetitions} '
          '(user + system):')
    for name, _ in cases:
        median = statistics.median(times[name])
        print(f'  {name:34} {median * 1000:7.1f} ms   '
              f'{median / floor_median:4.2f}x the floor')
    if shutil.which('valgrind') is None:
        print('(valgrind not installed: no instruction counts)')
        return
    # A count does not move with the machine's load, as CPU time does.
    # A generous --timeout: under valgrind a probe runs many times slower.
    counts = {name: bench_instructions.counted(
        argv + ['--timeout', '600'] if 'zeoconf' in argv else argv)
        for name, argv in cases}
    floor_count = counts[cases[0][0]]
    print('instructions of the same processes (callgrind, one run each):')
    for name, count in counts.items():
        print(f'  {name:34} {count / 1e6:7.1f} M    '
              f'{count / floor_count:4.2f}x the floor')


def wall(argv, timeout):
    start = time.monotonic()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=timeout + 60)
    return time.monotonic() - start, result.returncode


def fifty(directory, servers, timeout):
    listeners = []
    addresses = []
    for number in range(50):
        kind = number % 3
        if kind == 0:
            addresses.append(servers[number % len(servers)].config_address)
        elif kind == 1:
            addresses.append(f'127.0.0.1:{dead_port()}')
        else:
            listener = silent_listener()
            listeners.append(listener)
            addresses.append(f'127.0.0.1:{listener.getsockname()[1]}')
    path = os.path.join(directory, 'fifty.conf')
    with open(path, 'w') as f:
        f.write(many_storages(addresses))
    print(f'50 servers (17 up, 17 refused, 16 silent), --timeout '
          f'{timeout:g}:')
    for name, extra in (('light', ['--light']), ('full', [])):
        seconds, code = wall([sys.executable, '-m', 'zeoconf', 'ping',
                              '--quiet', '--timeout', str(timeout), *extra,
                              path], timeout)
        print(f'  {name:5} {seconds:5.2f} s wall (exit {code}), '
              f'{seconds - timeout:+.2f} s past --timeout')
    for listener in listeners:
        listener.close()


def scale(directory, count, timeout=3):
    # Silent: one listener on all of 127/8, reached through many
    # addresses; refused: a port nothing listens on.
    listener = silent_listener('0.0.0.0')
    port, dead = listener.getsockname()[1], dead_port()
    addresses = []
    for number in range(count):
        host = f'127.{1 + number // 250 % 250}.{number % 250 + 1}.1'
        addresses.append(f'{host}:{port if number % 2 else dead}')
    path = os.path.join(directory, 'scale.conf')
    with open(path, 'w') as f:
        f.write(conf_text(*addresses))
    seconds, code = wall([sys.executable, '-m', 'zeoconf', 'ping', '--json',
                          '--quiet', '--light', '--timeout', str(timeout),
                          path], timeout)
    print(f'{count} servers in one storage (half silent, half refused), '
          f'--light --timeout {timeout}: {seconds:.2f} s wall (exit {code})')
    listener.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--scale', type=int, default=0, metavar='N')
    args = parser.parse_args()
    print(f'{platform.python_implementation()} {platform.python_version()}'
          f' on {platform.machine()}, {os.cpu_count()} cores, load '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    print(f'zeoconf {zeoconf.__version__} from '
          f'{os.path.dirname(zeoconf.__file__)}; ZEO from '
          f'{os.path.dirname(ZEO.__file__)}')
    with tempfile.TemporaryDirectory() as directory:
        servers = [ThrowawayServer(os.path.join(directory, f's{i}')).start()
                   for i in range(3)]
        try:
            cpu_table(directory, servers[0], 5 if args.quick else 15)
            fifty(directory, servers, 2.0)
            if args.scale:
                scale(directory, args.scale)
        finally:
            for server in servers:
                server.stop()


if __name__ == '__main__':
    main()
