"""Hostile values through a whole configuration (issue 13).

Each case is a value no storage can use, a file of the wrong kind, a
secret in an odd place or a race, given as a user would: configuration
text through ``zeoconf.client_kwargs`` or ``ZODB.config``. Each must end
in a ``ZConfig.ConfigurationError`` naming the key, promptly, without the
secret, and without Python's own words.
"""

import os
import random
import sys
import threading

import pytest
import trustme
import ZConfig
import ZODB.config
from fifos import without_blocking

import zeoconf
from zeoconf import tls

SECRET = 'S3CRET-vault-token'


def _kwargs(body):
    return zeoconf.client_kwargs(f'<clientstorage>\n{body}\n'
                                 f'</clientstorage>\n')


def _refused(body):
    """The message with which *body* is refused."""
    with pytest.raises(ZConfig.ConfigurationError) as e:
        _kwargs(body)
    return str(e.value)


@pytest.mark.parametrize('line, words', [
    ('cache-size 100000TB', ['cache-size', 'more than 16TB']),
    ('cache-size ٣٠MB', ['cache-size', 'write its digits as 0-9']),
    ('cache-size ３０MB', ['cache-size', 'write its digits as 0-9']),
    ('blob-cache-size 17TB', ['blob-cache-size', 'more than 16TB']),
    ('wait-timeout 0.0000000000000000001ms',
     ['wait-timeout', 'shorter than 1 ms', 'from 1ms to 24h']),
    ('wait-timeout 2d', ['wait-timeout', "unknown unit 'd'"]),
    ('disconnect-poll 25h', ['disconnect-poll', 'longer than one day']),
    (f'wait-timeout {"9" * 400}', ['wait-timeout', '400 characters long']),
    (f'cache-size {"9" * 400}', ['cache-size', '400 characters long']),
])
def test_numbers_no_storage_can_use_are_refused_naming_the_key(line, words):
    message = _refused(f'server zeo:8100\n{line}')
    for word in words:
        assert word in message


def test_a_hundred_thousand_digits_give_a_short_message():
    message = _refused(f'server zeo:8100\ncache-size {"7" * 100_000}')
    assert "'77777777777777777777...' (100000 characters)" in message
    assert len(message) < 400
    assert 'int_max_str_digits' not in message


@pytest.fixture
def fifo(tmp_path):
    path = str(tmp_path / 'fifo.pem')
    os.mkfifo(path)
    return path


@pytest.mark.parametrize('key', ['certificate', 'authenticate'])
def test_a_fifo_as_tls_file_is_refused_at_parse_time(certs, fifo, key):
    lines = {'certificate': certs.client_combined, 'authenticate': certs.ca,
             key: fifo}
    body = ('server zeo:8100\n<ssl>\n'
            + ''.join(f'{k} {v}\n' for k, v in lines.items()) + '</ssl>')
    with pytest.raises(ZConfig.ConfigurationError) as e:
        without_blocking(fifo, lambda: _kwargs(body))
    assert key in str(e.value)
    assert f'{fifo!r} is a FIFO, not a regular file' in str(e.value)


def test_a_fifo_as_key_is_refused_under_zodb_config(certs, fifo,
                                                    zodb_conf):
    text = zodb_conf(f"""
        server zeo:8100
        <ssl>
          certificate {certs.client_cert}
          key {fifo}
        </ssl>""")
    with pytest.raises(ZConfig.ConfigurationError) as e:
        without_blocking(fifo,
                          lambda: ZODB.config.databaseFromString(text))
    assert 'key' in str(e.value)
    assert 'is a FIFO, not a regular file' in str(e.value)


@pytest.mark.parametrize('path', ['fifo', '/dev/null'])
def test_cache_path_that_is_no_regular_file_is_refused_at_parse_time(
        fifo, path):
    path = fifo if path == 'fifo' else path
    message = _refused(f'server zeo:8100\ncache-path {path}')
    assert 'cache-path' in message
    assert 'not a regular file; expected a cache file' in message


def test_authenticate_directory_of_garbage_is_refused_at_parse_time(
        tmp_path):
    (tmp_path / 'abcdef01.0').write_bytes(b'no certificate here\n')
    message = _refused(f'server zeo:8100\n<ssl>\nauthenticate {tmp_path}\n'
                       f'</ssl>')
    assert 'authenticate' in message
    assert 'holds no certificate' in message


@pytest.fixture
def secret_modules(tmp_path, monkeypatch):
    (tmp_path / 'zc_hostile_vault.py').write_text(
        f'raise ImportError("vault token {SECRET} rejected")\n')
    (tmp_path / 'zc_hostile_long.py').write_text(
        f'def password():\n    return {SECRET!r} * 300\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ('zc_hostile_vault', 'zc_hostile_long'):
        sys.modules.pop(name, None)


def test_an_import_error_of_a_password_module_is_not_quoted(
        certs, secret_modules):
    message = _refused(f'server zeo:8100\n<ssl>\n'
                       f'certificate {certs.client_cert}\n'
                       f'key {certs.encrypted_key}\n'
                       f'password-function zc_hostile_vault.password\n'
                       f'</ssl>')
    assert 'password-function' in message
    assert 'failed with ImportError' in message
    assert SECRET not in message


def test_a_password_over_1024_bytes_names_the_key_and_the_limit(
        certs, secret_modules):
    message = _refused(f'server zeo:8100\n<ssl>\n'
                       f'certificate {certs.client_cert}\n'
                       f'key {certs.encrypted_key}\n'
                       f'password-function zc_hostile_long.password\n'
                       f'</ssl>')
    assert 'password-function' in message
    assert f'returned a password of {len(SECRET) * 300} bytes' in message
    assert 'at most 1024 bytes' in message
    assert SECRET not in message


def test_eight_threads_parse_forty_tls_setups_without_error(
        tmp_path_factory):
    """The reproduction of the issue: configurations that differ only in
    authenticate, more of them than the context cache keeps."""
    directory = tmp_path_factory.mktemp('cas')
    files = []
    for i in range(40):
        path = str(directory / f'ca{i}.pem')
        trustme.CA(organization_name=f'CA {i}').cert_pem.write_to_path(path)
        files.append(path)
    errors, wrong = [], []
    barrier = threading.Barrier(8)
    before = dict(tls.stats)

    def work(seed):
        choose = random.Random(seed)
        barrier.wait()
        for _ in range(30):
            n = choose.randrange(40)
            try:
                kwargs = _kwargs(f'server zeo:8100\n<ssl>\n'
                                 f'authenticate {files[n]}\n</ssl>')
            except BaseException as e:
                errors.append(e)
                continue
            subjects = [dict(rdn[0] for rdn in c['subject'])
                        for c in kwargs['ssl'].get_ca_certs()]
            if [s['organizationName'] for s in subjects] != [f'CA {n}']:
                wrong.append(n)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert wrong == []
    assert (tls.stats['built'] - before['built']
            + tls.stats['reused'] - before['reused']) == 8 * 30
