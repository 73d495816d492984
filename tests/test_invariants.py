"""Invariants of the package's structure, read from its source.

- The module graph, imports inside functions included, has no cycle, and
  the runtime (``zeoconf/*.py``) never imports the command line
  (``zeoconf.cli``).
- ``import zeoconf`` and parsing a configuration, ``<ssl>`` included,
  load neither ZEO nor asyncio; ``open()`` is what does.
- The package reads no frames and no private state of other libraries.
- The keys the keytypes accept are the keys ``component.xml`` defines,
  and every key has a description.
- A hundred storages with the same ``<ssl>`` settings share one context,
  and a file changed on disk gives a new one.
"""

import ast
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest
import ZConfig
import ZODB.config

from zeoconf import keys

PACKAGE = os.path.dirname(keys.__file__)


# The module graph ------------------------------------------------------


def _module_name(path):
    relative = os.path.relpath(path, os.path.dirname(PACKAGE))
    parts = relative[:-len('.py')].split(os.sep)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _source_modules(root=PACKAGE):
    """``{module name: path}`` for every .py file of the package."""
    found = {}
    for directory, _, files in os.walk(root):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(directory, name)
                found[_module_name(path)] = path
    return found


def imports_of(name, source, modules, is_package=False):
    """The modules of *modules* that *source* (module *name*) imports,
    anywhere in it: at the top, in functions, relative or absolute.
    ``from a import b`` counts as ``a.b`` when that is a module."""
    package = name if is_package else name.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - (node.level - 1)]
                if node.module:
                    base.append(node.module)
                base = '.'.join(base)
            else:
                base = node.module
            targets = [base] + [f'{base}.{alias.name}'
                                for alias in node.names]
        else:
            continue
        for target in targets:
            # ``import a.b.c`` runs a, a.b and a.b.c.
            parts = target.split('.')
            for end in range(1, len(parts) + 1):
                prefix = '.'.join(parts[:end])
                if prefix in modules and prefix != name:
                    found.add(prefix)
    return found


def module_graph(root=PACKAGE):
    """``{module: set of modules of the package it imports}``."""
    modules = _source_modules(root)
    graph = {}
    for name, path in modules.items():
        with open(path) as f:
            source = f.read()
        graph[name] = imports_of(name, source, modules,
                                 path.endswith('__init__.py'))
    return graph


def find_cycle(graph):
    """A list of modules that import each other in a ring, or None."""
    state = {}          # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                return path[path.index(child):] + [child]
            if child not in state:
                cycle = visit(child, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def test_the_graph_helpers_see_imports_inside_functions_and_cycles():
    # The checks below pass on the package; here they are shown able to
    # fail, on a tiny synthetic package.
    modules = {'p', 'p.a', 'p.b', 'p.sub', 'p.sub.c'}
    source = textwrap.dedent("""
        import os
        from . import b
        def later():
            from p.sub import c
            from .sub.c import anything
    """)
    assert imports_of('p.a', source, modules) == {'p', 'p.b', 'p.sub',
                                                  'p.sub.c'}
    assert imports_of('p.sub.c', 'from .. import a\n', modules) == \
        {'p', 'p.a'}
    assert imports_of('p.sub', 'from . import c\n', modules, True) == \
        {'p', 'p.sub.c'}
    graph = {'p.a': {'p.b'}, 'p.b': {'p.sub.c'}, 'p.sub.c': {'p.a'}}
    assert find_cycle(graph) == ['p.a', 'p.b', 'p.sub.c', 'p.a']
    del graph['p.sub.c']
    assert find_cycle(graph) is None


def test_the_graph_is_read_from_the_package():
    graph = module_graph()
    assert {'zeoconf', 'zeoconf.loader', 'zeoconf.cli',
            'zeoconf.cli.check'} <= set(graph)
    assert 'zeoconf.loader' in graph['zeoconf']
    assert 'zeoconf.cli.common' in graph['zeoconf.cli.check']


def test_the_module_graph_has_no_cycle():
    graph = module_graph()
    # A package's __init__ runs before its modules: ``zeoconf.cli.check``
    # importing ``zeoconf.cli`` (its parent) is no cycle of the source.
    # Edges from a module to a package that contains it are left out.
    graph = {name: {target for target in targets
                    if not name.startswith(target + '.')}
             for name, targets in graph.items()}
    assert find_cycle(graph) is None


def test_the_runtime_never_imports_the_command_line():
    graph = module_graph()
    # zeoconf/__main__.py is ``python -m zeoconf``: the command line's
    # entry point, which no import or parse runs.
    runtime = [name for name in graph
               if not (name in ('zeoconf.cli', 'zeoconf.__main__')
                       or name.startswith('zeoconf.cli.'))]
    assert 'zeoconf.openers' in runtime and 'zeoconf.testing' in runtime
    wrong = {name: sorted(t for t in graph[name]
                          if t == 'zeoconf.cli'
                          or t.startswith('zeoconf.cli.'))
             for name in runtime}
    assert {name: found for name, found in wrong.items() if found} == {}


# What import and parse load ----------------------------------------------


def _modules_after(code):
    """The modules loaded in a fresh Python after running *code*."""
    script = (code + '\nimport json as _json, sys as _sys\n'
              'print(_json.dumps(sorted(_sys.modules)))\n')
    out = subprocess.run([sys.executable, '-c', script], check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def _heavy(modules):
    return sorted(m for m in modules if m.split('.')[0] in ('ZEO',
                                                            'asyncio'))


def test_import_and_parse_with_tls_load_neither_zeo_nor_asyncio(certs):
    code = f"""
import zeoconf
import ZODB.config
text = '''%import zeoconf
<zodb>
  <clientstorage>
    server zeo.example.com:8100 zeo2.example.com:8100
    blob-dir /tmp/zeoconf-invariants/blobs
    <ssl>
      authenticate {certs.ca}
      certificate {certs.client_cert}
      key {certs.client_key}
    </ssl>
  </clientstorage>
</zodb>
'''
# What ZODB.config.databaseFromString does before it opens the storage.
import io, ZConfig
config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                   io.StringIO(text))
kwargs = config.database[0].config.storage.kwargs()
assert kwargs['ssl'] is not None
assert len(kwargs['addr']) == 2
"""
    modules = _modules_after(code)
    assert 'zeoconf.openers' in modules and 'zeoconf.tls' in modules
    assert _heavy(modules) == []


def test_opening_is_what_imports_zeo(zeo_server):
    # The check above can fail: the same probe finds ZEO and asyncio once
    # databaseFromString has opened a database on a live server.
    code = f"""
import ZODB.config
db = ZODB.config.databaseFromString('''%import zeoconf
<zodb>
  <clientstorage>
    server {zeo_server.config_address}
  </clientstorage>
</zodb>
''')
db.close()
"""
    modules = _modules_after(code)
    assert 'ZEO.ClientStorage' in _heavy(modules)
    assert 'asyncio' in _heavy(modules)


# Public API of other libraries only -------------------------------------

# Frames, tracebacks' locals, and private attributes (``obj._name``, but
# not ``self._name`` nor ``cls._name``, a module's own ``_name`` or a
# dunder) of anything else.
_FORBIDDEN = re.compile(
    r'_getframe|f_locals|f_back|tb_frame|f_globals'
    r'|(?<![\w.])(?!self\b|cls\b)(?:[a-z]\w*)(?:\.\w+)*\._(?!_)[a-z]\w*')


def _private_uses(source, own_modules):
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split('#', 1)[0]
        for match in _FORBIDDEN.finditer(code):
            text = match.group(0)
            head = text.split('.')[0]
            if head in own_modules:
                continue        # the package's own module-level names
            found.append((number, text))
    return found


def test_the_private_use_search_can_fail():
    own = {'loader'}
    source = ('frame = sys._getframe(1)\n'
              'matcher = config._matcher\n'
              'x = loader._line(text, 1)   # our own module\n'
              'self._cache = {}\n'
              'name = info.__name__\n')
    assert _private_uses(source, own) == [(1, 'sys._getframe'),
                                          (2, 'config._matcher')]


# Private attributes the package reads of its own objects: a Secret
# compared with another Secret.
def test_the_package_reads_no_frames_and_no_private_state():
    """ZConfig, ZEO, ZODB and Zope through their public API only
    (DESIGN.md, Errors). ZEO's ``_client_factory`` hook for
    ``disconnect-poll`` is the one known exception (issue 18, item 7):
    a keyword argument of ClientStorage, in one function of openers.py."""
    own = {name.rpartition('.')[2] for name in _source_modules()}
    found = []
    for name, path in sorted(_source_modules().items()):
        with open(path) as f:
            for number, text in _private_uses(f.read(), own):
                found.append(f'{name}:{number}: {text}')
    assert found == []


# The schema --------------------------------------------------------------


def _component_schema():
    return ZConfig.loadSchemaFile(io.StringIO(
        '<schema><import package="zeoconf"/></schema>'))


@pytest.mark.parametrize('section, accepted', [
    ('clientstorage', keys.CLIENTSTORAGE_KEYS),
    ('ssl', keys.SSL_KEYS)])
def test_keytypes_accept_the_keys_the_schema_defines(section, accepted):
    schema = _component_schema()
    defined = {name for name, info in schema.gettype(section)
               if name and not info.issection()}
    assert len(defined) >= 6
    assert accepted == defined
    # The keytype itself: every defined key passes, a near miss does not.
    keytype = schema.gettype(section).keytype
    for name in defined:
        assert keytype(name.upper()) == name
    with pytest.raises(ValueError):
        keytype(sorted(defined)[0] + 'x')


@pytest.mark.parametrize('section', ['clientstorage', 'ssl'])
def test_every_key_and_section_type_has_a_description(section):
    sectiontype = _component_schema().gettype(section)
    assert (sectiontype.description or '').strip()
    described = [(name, (info.description or '').strip())
                 for name, info in sectiontype
                 if name and not info.issection()]
    assert described
    assert [name for name, text in described if not text] == []


# TLS contexts ------------------------------------------------------------


def _tls_storages(count, authenticate, certificate, key):
    text = '%import zeoconf\n' + ''.join(f"""
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
    config, _ = ZConfig.loadConfigFile(ZODB.config.getDbSchema(),
                                       io.StringIO(text))
    return [db.config.storage.kwargs()['ssl'] for db in config.database]


def test_hundred_storages_with_one_ssl_setup_share_one_context(certs):
    contexts = _tls_storages(100, certs.ca, certs.client_cert,
                             certs.client_key)
    assert len(contexts) == 100
    assert len({id(context) for context in contexts}) == 1


@pytest.mark.parametrize('changed', ['certificate', 'key', 'authenticate'])
def test_a_file_changed_on_disk_gives_a_new_context(certs, tmp_path,
                                                    changed):
    files = {'authenticate': certs.ca, 'certificate': certs.client_cert,
             'key': certs.client_key}
    for name in files:
        files[name] = str(shutil.copy(files[name], tmp_path / name))
    first = _tls_storages(2, **files)
    assert first[0] is first[1]
    assert _tls_storages(1, **files)[0] is first[0]     # unchanged: shared
    with open(files[changed], 'ab') as f:
        f.write(b'\n')          # still valid PEM, other bytes
    renewed = _tls_storages(1, **files)[0]
    assert renewed is not first[0]
