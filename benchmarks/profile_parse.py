"""Where parsing time goes: zeoconf's own code against ZConfig's.

bench_parse.py says how long "configuration text to ClientStorage
arguments" takes with each component; this says why. Three measurements:

1. A sampling profile of the same cases (SIGPROF every tick of process CPU
   time; each sample is charged to the outermost component or ZConfig
   frame on the stack), in microseconds per storage for both components:
   zeoconf's keytype, converters and section objects; ZEO's datatypes;
   ZConfig reading component.xml, its standard datatypes, and its parser
   and matcher. Sampling, unlike cProfile, does not inflate code that
   makes many small calls, which is exactly what is compared here.
2. What ZConfig's reading of each component.xml costs (it reads it again
   for every configuration that has the ``%import``), as shipped and with
   the ``<description>`` texts and comments removed.
3. What each key a section type defines costs per section even when the
   configuration does not use it: zeoconf's component with ten more keys
   (without and with a default), parsed like the real one.

    python benchmarks/profile_parse.py [--quick]

Linux (or any system with setitimer(ITIMER_PROF)); the sampling rate is
the kernel's tick (often 4 ms), hence the many repetitions.
"""

import argparse
import collections
import gc
import io
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time

import bench_parse
import ZConfig
import ZConfig.info
import ZConfig.loader
import ZConfig.schema
import ZEO

import zeoconf

SCHEMA = bench_parse.SCHEMA
COMPONENTS = bench_parse.COMPONENTS
_ZCONFIG = os.path.dirname(ZConfig.__file__) + os.sep
_ZEOCONF = os.path.dirname(zeoconf.__file__) + os.sep
_ZEO = os.path.dirname(ZEO.__file__) + os.sep
_PARSE_COMPONENT = ZConfig.schema.parseComponent.__code__


def _keytypes():
    """Functions charged to "keytype": the keytypes component.xml names
    for zeoconf's section types, and what they call for a message."""
    path = os.path.join(os.path.dirname(zeoconf.__file__), 'component.xml')
    with open(path) as f:
        named = re.findall(r'keytype="([^"]+)"', f.read())
    return {name.rsplit('.', 1)[-1] for name in named} | {
        'unknown_key', '_suggestion', '_quoted_name'}


_KEYTYPE = _keytypes()


def _category(frame):
    """What a sample of *frame* is charged to: the outermost frame of
    zeoconf, ZEO or ZConfig's component reading on the stack decides."""
    stack = []
    while frame is not None:
        stack.append(frame.f_code)
        frame = frame.f_back
    in_zconfig = False
    for code in reversed(stack):
        filename = code.co_filename
        if code is _PARSE_COMPONENT:
            return 'ZConfig: reading component.xml'
        if filename.startswith(_ZEOCONF):
            module = os.path.basename(filename)
            if module == 'keys.py' and code.co_name in _KEYTYPE:
                return 'zeoconf: keytype (key names)'
            if module in ('keys.py', 'datatypes.py'):
                return 'zeoconf: value converters'
            if module == 'openers.py' and code.co_name == 'kwargs':
                return 'zeoconf: kwargs()'
            return f'zeoconf: {module[:-3]}'
        if filename.startswith(_ZEO):
            return 'ZEO: its datatypes (ZEO.zconfig)'
        if filename.startswith(_ZCONFIG):
            in_zconfig = True
            if os.path.basename(filename) == 'datatypes.py':
                return 'ZConfig: standard datatypes (byte-size, ...)'
    if in_zconfig:
        return 'ZConfig: parser and matcher'
    # The benchmark's loop over the storages, and the garbage collector
    # when an allocation there sets it off.
    return 'other: resolve loop, garbage collection'


def sample(texts, reps, batch):
    """``{component: ({category: seconds per parse}, samples, seconds per
    parse)}`` for ``texts = {component: text}``.

    Each repetition parses and resolves a text *batch* times in a row with
    the sampling timer running; the components take turns, alternating
    which goes first, so that a busy neighbour hits both alike. Garbage is
    collected, unsampled, between repetitions.
    """
    counts = {component: collections.Counter() for component in texts}
    elapsed = dict.fromkeys(texts, 0.0)
    current = [None]

    def on_tick(signum, frame):
        current[0][_category(frame)] += 1

    previous = signal.signal(signal.SIGPROF, on_tick)
    try:
        for component, text in texts.items():       # warm-up
            bench_parse.run_once(component, text)
        order = list(texts)
        for i in range(reps):
            for component in (order if i % 2 == 0 else order[::-1]):
                resolve = bench_parse.RESOLVE[component]
                text = texts[component]
                current[0] = counts[component]
                bench_parse.tls.clear_cache()
                gc.collect()
                signal.setitimer(signal.ITIMER_PROF, 0.0005, 0.0005)
                start = time.perf_counter()
                for _ in range(batch):
                    config, _ = ZConfig.loadConfigFile(SCHEMA,
                                                       io.StringIO(text))
                    for database in config.database:
                        resolve(database.config.storage)
                elapsed[component] += time.perf_counter() - start
                signal.setitimer(signal.ITIMER_PROF, 0, 0)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, previous)
    found = {}
    for component, counter in counts.items():
        per_parse = elapsed[component] / reps / batch
        total = sum(counter.values()) or 1
        found[component] = (
            {name: n / total * per_parse for name, n in counter.items()},
            sum(counter.values()), per_parse)
    return found


def report_profile(name, count, with_ssl, reps, batch, certs):
    block = bench_parse.ssl_block(certs) if with_ssl else ''
    found = sample({c: bench_parse.storages_text(c, count, block)
                    for c in COMPONENTS}, reps, batch)
    print(f'{name}: microseconds per storage (samples: ZEO '
          f'{found["ZEO"][1]}, zeoconf {found["zeoconf"][1]})')
    names = sorted(set(found['ZEO'][0]) | set(found['zeoconf'][0]),
                   key=lambda n: (n.split(':')[0] != 'zeoconf', n))
    for category in names:
        cells = [found[c][0].get(category, 0.0) / count * 1e6
                 for c in COMPONENTS]
        print(f'  {category:<46} {cells[0]:>8.1f} {cells[1]:>8.1f}')
    totals = [found[c][2] / count * 1e6 for c in COMPONENTS]
    print(f'  {"total (ZEO, zeoconf)":<46} {totals[0]:>8.1f} '
          f'{totals[1]:>8.1f}')
    own = sum(v for k, v in found['zeoconf'][0].items()
              if k.startswith('zeoconf')) / count * 1e6
    print(f'  zeoconf\'s own code: {own:.1f}us of {totals[1]:.1f}us '
          f'({own / totals[1]:.0%}); the rest is ZConfig and the loop')
    print()


def _component_xml(package):
    path = os.path.join(os.path.dirname(package.__file__), 'component.xml')
    with open(path, 'rb') as f:
        return f.read(), 'file://' + path


def _undocumented(data):
    text = data.decode('utf-8')
    # Comments first: zeoconf's mention <description> elements.
    text = re.sub(r'\s*<!--.*?-->', '', text, flags=re.S)
    text = re.sub(r'\s*<description>.*?</description>', '', text, flags=re.S)
    return text.encode('utf-8')


def _read_component(data, url):
    """Seconds ZConfig takes to read one component.xml into a schema."""
    loader = ZConfig.loader.SchemaLoader(SCHEMA.registry)
    schema = ZConfig.info.createDerivedSchema(SCHEMA)
    resource = ZConfig.loader.Resource(io.BytesIO(data), url)
    start = time.perf_counter()
    ZConfig.schema.parseComponent(resource, loader, schema)
    return time.perf_counter() - start


def report_component_xml(reps):
    variants = {}
    for name, package in (('ZEO', ZEO), ('zeoconf', zeoconf)):
        data, url = _component_xml(package)
        variants[f'{name} as shipped'] = (data, url)
        variants[f'{name} without descriptions'] = (_undocumented(data), url)
    times = {name: [] for name in variants}
    for data, url in variants.values():          # warm-up
        _read_component(data, url)
    for i in range(reps):
        order = list(variants) if i % 2 == 0 else list(variants)[::-1]
        for name in order:
            times[name].append(_read_component(*variants[name]))
    print('ZConfig reading component.xml (again for every configuration '
          'that imports it), median:')
    for name, (data, _) in variants.items():
        print(f'  {name:<30} {len(data):>6} bytes '
              f'{statistics.median(times[name]) * 1e6:>7.0f}us')
    for name in ('ZEO', 'zeoconf'):
        saved = (statistics.median(times[f'{name} as shipped'])
                 - statistics.median(times[f'{name} without descriptions']))
        print(f'  descriptions and comments cost {name}: {saved * 1e6:.0f}us')
    print()


# The keytype of the copies in report_key_cost: zeoconf's own keytype
# lets only its key names through, so the copies name this one, which
# passes the added keys and hands every other name to zeoconf's.
_KEYTYPE_MODULE = """\
import importlib

_module, _name = {original!r}.rsplit('.', 1)
_original = getattr(importlib.import_module(_module), _name)


def key(name):
    if name.startswith('unused-'):
        return name
    return _original(name)
"""


def report_key_cost(reps, count=300):
    """Per section, what ten more (unused) keys in the type cost."""
    data, _ = _component_xml(zeoconf)
    text = data.decode('utf-8')
    # The last section type is <clientstorage>, the one the keys go to.
    keytype = re.findall(r'<sectiontype[^>]*?keytype="([^"]+)"', text)[-1]
    original = 'zeoconf' + keytype if keytype.startswith('.') else keytype
    text = text.replace(f'keytype="{keytype}"',
                        'keytype="zeoconf_profile_keytype.key"')
    # The keys go in before the end of the last section type.
    end = '</sectiontype>'
    head, found, tail = text.rpartition(end)
    assert found and tail.strip() == '</component>'
    extra = {
        'zeoconf': '',
        '+10 keys, no default': ''.join(
            f'    <key name="unused-{i}"/>\n' for i in range(10)),
        '+10 keys with a default': ''.join(
            f'    <key name="unused-{i}" default="x"/>\n' for i in range(10)),
    }
    directory = tempfile.mkdtemp(prefix='zeoconf-profile-')
    sys.path.insert(0, directory)
    try:
        with open(os.path.join(directory, 'zeoconf_profile_keytype.py'),
                  'w') as f:
            f.write(_KEYTYPE_MODULE.format(original=original))
        texts = {}
        for n, (name, keys) in enumerate(extra.items()):
            # A package of its own per variant; datatypes still resolve
            # to zeoconf's (the component's prefix is "zeoconf").
            package = f'zeoconf_profile_{n}'
            os.mkdir(os.path.join(directory, package))
            open(os.path.join(directory, package, '__init__.py'), 'w').close()
            with open(os.path.join(directory, package, 'component.xml'),
                      'w') as f:
                f.write(head.rstrip(' ') + keys + '  ' + end + tail)
            texts[name] = bench_parse.storages_text(package, count)
        times = {name: [] for name in texts}
        for name in texts:
            bench_parse.run_once('zeoconf', texts[name])
        for i in range(reps):
            order = list(texts) if i % 2 == 0 else list(texts)[::-1]
            for name in order:
                times[name].append(bench_parse.run_once('zeoconf',
                                                        texts[name]))
    finally:
        sys.path.remove(directory)
        shutil.rmtree(directory, ignore_errors=True)
    base = statistics.median(times['zeoconf']) / count
    print(f'cost of keys a section type defines but the configuration does '
          f'not use ({count} storages, median of {reps};\nevery variant with '
          f'a keytype that lets the added names through, then calls '
          f'{original}):')
    for name in texts:
        per = statistics.median(times[name]) / count
        line = f'  {name:<26} {per * 1e6:>6.1f}us per storage'
        if name != 'zeoconf':
            line += f'; {(per - base) / 10 * 1e6:.2f}us per key and section'
        print(line)
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions (a rough look)')
    args = parser.parse_args(argv)
    scale = 4 if args.quick else 1
    began = time.perf_counter()
    from zeoconf.testing import Certificates
    directory = tempfile.mkdtemp(prefix='zeoconf-profile-')
    try:
        certs = Certificates(directory)
        print(f'machine: {bench_parse.machine()}')
        print(f'zeoconf: {bench_parse.zeoconf_source()}')
        print('sampling profile, columns: ZEO, zeoconf')
        print()
        report_profile('1000 plain', 1000, False, 40 // scale, 1, certs)
        report_profile('1 plain', 1, False, 60 // scale, 50, certs)
        report_profile('100 TLS, one setup', 100, True, 30 // scale, 1,
                       certs)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    report_component_xml(400 // scale)
    report_key_cost(40 // scale)
    print(f'(ran {time.perf_counter() - began:.0f}s)')


if __name__ == '__main__':
    main()
