"""``--env-file FILE``: a configuration reviewed against the environment
it will get, and ``server $(ZEO_ADDRESS)`` holding several servers.

The env files are real files in the format of Docker's ``--env-file`` and
compose's ``.env`` (quotes, comments, ``export``), parsed by python-dotenv.
"""

import io
import json
import os
import socket
import sys

import pytest

from zeoconf import cli
from zeoconf.cli import common

pytest.importorskip('dotenv')

CONF = """\
%import zeoconf
<zodb>
  <clientstorage>
    server $(ZEO_ADDRESS)
    cache-size $(ZEO_CLIENT_CACHE_SIZE)
    client-label $(ZEO_LABEL)
  </clientstorage>
</zodb>
"""

ENV = """\
# Rendered by the deployment; compose's .env format.
export ZEO_ADDRESS="zeo1.example.com:8100 zeo2.example.com:8100"
ZEO_CLIENT_CACHE_SIZE=256MB   # an inline comment
ZEO_LABEL='app # 1'

# A blank line above, and a comment line here.
"""


def _run(*argv):
    out = io.StringIO()
    status = cli.main(list(argv), out=out)
    return status, out.getvalue()


@pytest.fixture
def files(tmp_path, monkeypatch):
    for name in ('ZEO_ADDRESS', 'ZEO_CLIENT_CACHE_SIZE', 'ZEO_LABEL',
                 'ZEO_PASSWORD', 'ZEO_STORAGE'):
        monkeypatch.delenv(name, raising=False)
    conf, env = tmp_path / 'zodb.conf', tmp_path / 'zeo.env'
    conf.write_text(CONF)
    env.write_text(ENV)
    return str(conf), str(env)


def test_the_env_file_is_read_with_quotes_comments_and_export(files):
    _, env = files
    assert common.read_env_file(env) == {
        'ZEO_ADDRESS': 'zeo1.example.com:8100 zeo2.example.com:8100',
        'ZEO_CLIENT_CACHE_SIZE': '256MB',
        'ZEO_LABEL': 'app # 1'}


def test_a_name_without_a_value_comes_from_the_environment(tmp_path,
                                                           monkeypatch):
    # Docker's --env-file: a bare NAME passes the caller's value on.
    monkeypatch.setenv('ZEO_STORAGE', 'catalog')
    monkeypatch.delenv('ZEO_LABEL', raising=False)
    env = tmp_path / 'bare.env'
    env.write_text('ZEO_STORAGE\nZEO_LABEL\n')
    assert common.read_env_file(str(env)) == {'ZEO_STORAGE': 'catalog'}


def test_check_with_the_env_file_reads_two_servers_from_one_variable(files):
    conf, env = files
    status, out = _run('check', '--env-file', env, '--json', conf)
    assert status == 0, out
    document = json.loads(out)
    assert document['env_file'] == env
    storage, = document['files'][0]['storages']
    assert 'zeo1.example.com:8100,zeo2.example.com:8100' in \
        storage['summary']


def test_show_with_the_env_file_resolves_and_lists_the_variables(files):
    conf, env = files
    status, out = _run('show', '--json', '--env-file', env, conf)
    assert status == 0
    data = json.loads(out)
    keys = data['storages'][0]['keys']
    assert keys['server']['value'] == ['zeo1.example.com:8100',
                                       'zeo2.example.com:8100']
    assert keys['cache-size']['value'] == 256 << 20
    assert keys['client-label']['value'] == 'app # 1'
    assert [(v['name'], v['set'], v['from'], v['lines'])
            for v in data['variables']] == [
        ('ZEO_ADDRESS', True, 'env-file', ['line 4']),
        ('ZEO_CLIENT_CACHE_SIZE', True, 'env-file', ['line 5']),
        ('ZEO_LABEL', True, 'env-file', ['line 6'])]
    status, out = _run('show', '--env-file', env, conf)
    assert status == 0
    table = out[out.index('environment variables'):]
    assert "ZEO_ADDRESS" in table and \
        "'zeo1.example.com:8100 zeo2.example.com:8100'" in table


def test_the_environment_is_restored_afterwards(files, monkeypatch):
    conf, env = files
    monkeypatch.setenv('ZEO_LABEL', 'from the shell')
    assert _run('check', '--env-file', env, conf)[0] == 0
    assert 'ZEO_ADDRESS' not in os.environ
    assert os.environ['ZEO_LABEL'] == 'from the shell'


def test_an_unset_variable_is_named_at_its_line(files, capsys):
    conf, env = files
    with open(env, 'a') as f:
        f.write('ZEO_ADDRESS_TYPO=zeo1.example.com:8100\n')
    with open(env) as f:
        text = f.read().replace('export ZEO_ADDRESS=', '# ZEO_ADDRESS=')
    with open(env, 'w') as f:
        f.write(text)
    status, out = _run('check', '--env-file', env, conf)
    assert status == 1
    assert 'zodb.conf:4: ' in out and "'ZEO_ADDRESS'" in out
    status, _ = _run('show', '--env-file', env, conf)
    assert status == 1
    err = capsys.readouterr().err
    assert ':4: ' in err and "'ZEO_ADDRESS'" in err


SECRET_CONF = """\
%import zeoconf
%define PW $(ZEO_PASSWORD)
<zodb>
  <clientstorage>
    server $(ZEO_ADDRESS)
    password $(ZEO_PASSWORD)
    username $(ZEO_LABEL)
  </clientstorage>
</zodb>
<zodb other>
  <clientstorage>
    server 8100
    password ${PW}
  </clientstorage>
</zodb>
"""


def test_a_value_that_feeds_a_secret_is_never_shown(files, tmp_path):
    conf, env = files
    with open(env, 'a') as f:
        f.write('ZEO_PASSWORD="S3CRET-in-env"\n')
    secret = tmp_path / 'secret.conf'
    secret.write_text(SECRET_CONF)
    outputs = []
    for extra in ([], ['--json']):
        status, out = _run('show', *extra, '--env-file', env, str(secret))
        assert status == 0, out
        outputs.append(out)
    assert all('S3CRET' not in out for out in outputs)
    listed = {v['name']: v for v in json.loads(outputs[1])['variables']}
    assert listed['ZEO_PASSWORD']['secret'] is True
    assert listed['ZEO_PASSWORD']['value'] is None
    assert listed['ZEO_PASSWORD']['lines'] == ['line 2', 'line 6']
    assert listed['ZEO_LABEL']['value'] == 'app # 1'
    assert '(feeds a secret: not shown)' in outputs[0]


@pytest.mark.parametrize('key, secret', [('password', True),
                                         ('client-label', False)])
def test_a_password_reached_only_through_a_define_is_hidden(
        tmp_path, monkeypatch, key, secret):
    monkeypatch.delenv('ZEO_X', raising=False)
    conf, env = tmp_path / 'f.conf', tmp_path / 'f.env'
    conf.write_text(f'%import zeoconf\n%define PW $(ZEO_X)\n'
                    f'<clientstorage>\nserver 8100\n{key} $PW\n'
                    f'</clientstorage>\n')
    env.write_text('ZEO_X=S3CRET\n')
    status, out = _run('show', '--json', '--env-file', str(env), str(conf))
    assert status == 0, out
    used, = json.loads(out)['variables']
    assert used['secret'] is secret
    assert used['value'] == (None if secret else 'S3CRET')
    assert ('S3CRET' in out) is not secret


def _chained(length, keys, zeo=False):
    """A file whose *keys* get ``$(ZPW)`` through *length* ``%define``s
    (``D1 $(ZPW)``, ``D2 $D1``, ...), each key from the last but
    ``client-label``, from the first; with *zeo*, for ``%import ZEO``."""
    lines = ['%define D1 $(ZPW)']
    lines += [f'%define D{i} $D{i - 1}' for i in range(2, length + 1)]
    lines += ['%import ZEO' if zeo else '%import zeoconf', '<zodb>',
              '  <zeoclient>' if zeo else '  <clientstorage>',
              '    server zeo:8100']
    lines += [f'    {key} $D{1 if key == "client-label" else length}'
              for key in keys]
    lines += ['  </zeoclient>' if zeo else '  </clientstorage>', '</zodb>']
    return '\n'.join(lines) + '\n'


def _from(source, tmp_path, monkeypatch):
    """The options that give ZPW=S3CRET, from the environment or an env
    file."""
    if source == 'environment':
        monkeypatch.setenv('ZPW', 'S3CRET')
        return []
    monkeypatch.delenv('ZPW', raising=False)
    (tmp_path / 'zpw.env').write_text('ZPW=S3CRET\n')
    return ['--env-file', 'zpw.env']


@pytest.mark.parametrize('output', [[], ['--json']])
@pytest.mark.parametrize('source', ['environment', 'env-file'])
@pytest.mark.parametrize('length', [2, 3])
@pytest.mark.parametrize('keys', [['password'],
                                  ['client-label', 'password']])
def test_a_secret_through_a_chain_of_defines_is_never_shown(
        run_cli, tmp_path, monkeypatch, output, source, length, keys):
    # show followed a %define one level deep: $(ZPW) two %defines away
    # from the password was listed with its value. A %define that feeds
    # a secret key and another key too feeds a secret.
    (tmp_path / 'f.conf').write_text(_chained(length, keys))
    options = _from(source, tmp_path, monkeypatch)
    result = run_cli('show', *output, *options, 'f.conf', cwd=tmp_path)
    assert result.status == 0, result.err
    if output:
        used, = json.loads(result.out)['variables']
        assert (used['name'], used['secret'], used['value']) == (
            'ZPW', True, None)
        assert used['lines'] == ['line 1']
    else:
        listed = result.out[result.out.index('environment variables'):]
        assert 'ZPW' in listed and '(feeds a secret: not shown)' in listed
        assert 'S3CRET' not in listed
    if keys == ['password']:
        assert 'S3CRET' not in result.out + result.err


@pytest.mark.parametrize('output', [[], ['--json']])
@pytest.mark.parametrize('source', ['environment', 'env-file'])
@pytest.mark.parametrize('length', [2, 3])
def test_check_never_shows_a_secret_through_a_chain_of_defines(
        run_cli, tmp_path, monkeypatch, output, source, length):
    (tmp_path / 'f.conf').write_text(_chained(length, ['password']))
    options = _from(source, tmp_path, monkeypatch)
    result = run_cli('check', *output, *options, 'f.conf', cwd=tmp_path)
    assert result.status == 0, result.out
    assert 'S3CRET' not in result.out + result.err


@pytest.mark.parametrize('length', [2, 3])
def test_migrate_drops_a_chain_of_defines_only_the_password_uses(
        run_cli, tmp_path, monkeypatch, length):
    (tmp_path / 'f.conf').write_text(
        _chained(length, ['password'], zeo=True))
    monkeypatch.setenv('ZPW', 'S3CRET')
    result = run_cli('migrate', '--offline', 'f.conf', cwd=tmp_path)
    assert result.status == 0, result.err
    assert 'S3CRET' not in result.out + result.err
    assert '%define' not in result.out and '$' not in result.out
    for number in range(1, length + 1):
        assert (f'f.conf:{number}: dropped %define D{number}: only the '
                f'dropped lines used it') in result.err


def test_without_python_dotenv_the_message_names_the_extra(files,
                                                          monkeypatch,
                                                          capsys):
    conf, env = files
    monkeypatch.setitem(sys.modules, 'dotenv', None)    # not installed
    assert _run('check', '--env-file', env, conf)[0] == 1
    assert "pip install 'zeoconf[env]'" in capsys.readouterr().err


def test_a_missing_env_file_is_an_error(files, capsys):
    conf, env = files
    assert _run('show', '--env-file', env + '.missing', conf)[0] == 1
    assert 'cannot read' in capsys.readouterr().err


@pytest.fixture
def refused_address():
    """127.0.0.1:PORT where nothing listens."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return f'127.0.0.1:{s.getsockname()[1]}'


def test_a_list_in_one_variable_opens_under_plain_zodb_config(
        zeo_server, refused_address, monkeypatch, open_db):
    # No zeoconf tool involved: ZODB.config reads $(ZEO_ADDRESS) from
    # the environment, and the one server line holds both addresses.
    monkeypatch.setenv('ZEO_ADDRESS',
                       f'{refused_address} {zeo_server.config_address}')
    db = open_db('%import zeoconf\n<zodb>\n<clientstorage>\n'
                 'server $(ZEO_ADDRESS)\n</clientstorage>\n</zodb>\n')
    host, port = refused_address.split(':')
    assert db.storage._addr == [(host, int(port)),
                                ('127.0.0.1', zeo_server.port)]
    with db.transaction() as conn:
        conn.root()['via'] = 'env'
    with db.transaction() as conn:
        assert conn.root()['via'] == 'env'


def test_two_live_servers_from_an_env_file(make_server, tmp_path, files,
                                           open_db):
    conf, _ = files
    one, two = make_server(), make_server()
    env = tmp_path / 'live.env'
    env.write_text(f'ZEO_ADDRESS="{one.config_address} '
                   f'{two.config_address}"\nZEO_CLIENT_CACHE_SIZE=1MB\n'
                   f'ZEO_LABEL=live\n')
    status, out = _run('show', '--json', '--env-file', str(env), conf)
    assert status == 0
    kwargs = json.loads(out)['storages'][0]['kwargs']
    assert kwargs['addr'] == [one.config_address, two.config_address]
    # The same environment, the same file, opened by ZODB: it writes to
    # one of the two servers, where a client of that server alone reads
    # it back.
    with common.environment(common.read_env_file(str(env))):
        with open(conf) as f:
            db = open_db(f.read())
    with db.transaction() as conn:
        conn.root()['via'] = 'env file'
    found = []
    for server in (one, two):
        alone = open_db('%import zeoconf\n<zodb>\n<clientstorage>\n'
                        f'server {server.config_address}\n'
                        '</clientstorage>\n</zodb>\n')
        with alone.transaction() as conn:
            found.append(conn.root().get('via'))
    assert sorted(found, key=str) == [None, 'env file']
