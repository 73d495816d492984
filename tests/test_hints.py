"""Hints where ZConfig's words do not say what to do (issue 14, item 3).

Each hint is checked through ``zeoconf check`` (a subprocess of the
installed command) and through the Python entry points where the mistake
can be made there: ``zeoconf.client_kwargs`` for one ``<clientstorage>``
section, ``zeoconf.loader.load_path`` for a whole file.
"""

import os
import subprocess
import sys
import textwrap

import pytest
import ZConfig
import ZODB.config

import zeoconf
from zeoconf import loader

BIN = os.path.join(os.path.dirname(sys.executable), 'zeoconf')
COMMAND = [BIN] if os.path.exists(BIN) else [sys.executable, '-m',
                                             'zeoconf']


def check(tmp_path, text, *options):
    (tmp_path / 'f.conf').write_text(textwrap.dedent(text).lstrip('\n'))
    return subprocess.run([*COMMAND, 'check', *options, 'f.conf'],
                          capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)


def load_error(tmp_path, text):
    """The error of zeoconf's loader for the file of *text*, ZODB's
    schema."""
    path = tmp_path / 'api.conf'
    path.write_text(textwrap.dedent(text).lstrip('\n'))
    with pytest.raises(ZConfig.ConfigurationError) as info:
        loader.load_path(str(path), ZODB.config.getDbSchema())
    return info.value


def kwargs_error(text):
    with pytest.raises(ZConfig.ConfigurationError) as info:
        zeoconf.client_kwargs(textwrap.dedent(text).lstrip('\n'))
    return info.value


# A <clientstorage> without %import zeoconf.

NO_IMPORT = """
    <zodb>
      <clientstorage>
        server zeo.example.com:8100
      </clientstorage>
    </zodb>
    """


def test_missing_import_says_to_add_it(tmp_path):
    result = check(tmp_path, NO_IMPORT)
    assert result.returncode == 1
    assert result.stdout == (
        "f.conf:2: unknown type name: 'clientstorage'; add %import zeoconf "
        "at the top of the file, which defines <clientstorage> and <ssl>\n")
    error = load_error(tmp_path, NO_IMPORT)
    assert error.lineno == 2
    assert 'add %import zeoconf at the top of the file' in str(error)


def test_missing_import_is_not_said_when_the_import_is_there(tmp_path):
    # <ssl> outside <clientstorage> is another mistake.
    result = check(tmp_path, """
        %import zeoconf
        <zodb>
          <ssl>
          </ssl>
        </zodb>
        """)
    assert result.returncode == 1
    assert 'add %import zeoconf' not in result.stdout


# A <clientstorage> key in <zodb> or <zodb_db>.

KEY_IN_ZODB = """
    %import zeoconf
    <zodb>
      blob-dir /var/blobs
      <clientstorage>
        server zeo.example.com:8100
      </clientstorage>
    </zodb>
    """


def test_a_clientstorage_key_in_zodb_says_where_it_belongs(tmp_path):
    result = check(tmp_path, KEY_IN_ZODB)
    assert result.returncode == 1
    assert result.stdout == (
        "f.conf:3: 'blob-dir' is not a known key name; blob-dir belongs "
        "inside the <clientstorage> section, not in <zodb>\n")
    error = load_error(tmp_path, KEY_IN_ZODB)
    assert error.lineno == 3
    assert 'blob-dir belongs inside the <clientstorage> section' in \
        str(error)


def test_an_ssl_key_in_zodb_db_says_where_it_belongs(tmp_path):
    pytest.importorskip('Zope2')
    result = check(tmp_path, """
        %import zeoconf
        instancehome /tmp
        <zodb_db main>
          mount-point /
          authenticate /etc/zeo/ca.pem
          <clientstorage>
            server zeo.example.com:8100
          </clientstorage>
        </zodb_db>
        """)
    assert result.returncode == 1
    assert 'f.conf:5: ' in result.stdout
    assert ('authenticate belongs inside the <clientstorage> section, not '
            'in <zodb_db>') in result.stdout


def test_a_clientstorage_key_outside_any_section(tmp_path):
    error = kwargs_error("""
        server zeo.example.com:8100
        """)
    assert error.lineno == 1
    assert ('server belongs inside a <clientstorage> section, which is '
            'missing around it') in str(error)


# A value with a trailing # comment.

def test_an_inline_comment_in_a_refused_value_is_explained(tmp_path):
    result = check(tmp_path, """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            cache-size 20MB # the default
          </clientstorage>
        </zodb>
        """)
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("f.conf:5: cache-size: '20MB # the default' is "
                           "not a size")
    assert line.endswith('; ZConfig comments stand on lines of their own: '
                         'the text from # on was read as part of the value')
    error = kwargs_error("""
        <clientstorage>
          server zeo.example.com:8100
          wait-timeout 30 # seconds
        </clientstorage>
        """)
    assert error.lineno == 3
    assert 'ZConfig comments stand on lines of their own' in str(error)


def test_an_inline_comment_in_an_accepted_value_is_a_warning(tmp_path):
    result = check(tmp_path, """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            client-label app # the web app
          </clientstorage>
        </zodb>
        """)
    assert result.returncode == 0
    assert result.stderr == (
        "f.conf:5: warning: the value of client-label holds '# the web "
        "app': ZConfig comments stand on lines of their own, so it is part "
        "of the value\n")


def test_a_hash_without_space_before_it_is_no_comment(tmp_path):
    result = check(tmp_path, """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            client-label app#1
          </clientstorage>
        </zodb>
        """)
    assert result.returncode == 0 and result.stderr == ''


# <ssl></ssl> on one line.

def test_open_and_close_tags_on_one_line_are_explained(tmp_path):
    result = check(tmp_path, """
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            <ssl></ssl>
          </clientstorage>
        </zodb>
        """)
    assert result.returncode == 1
    assert result.stdout == (
        "f.conf:5: unknown type name: 'ssl></ssl'; ZConfig wants the "
        "opening and the closing tag of a section on lines of their own: "
        "write <ssl> and </ssl> on two lines (or <ssl/> for an empty one)\n")
    error = kwargs_error("""
        <clientstorage>
          server zeo.example.com:8100
          <ssl></ssl>
        </clientstorage>
        """)
    assert error.lineno == 3
    assert 'on lines of their own' in str(error)


def test_the_suggested_empty_tag_is_valid():
    kwargs = zeoconf.client_kwargs(
        '<clientstorage>\n server zeo.example.com:8100\n <ssl/>\n'
        '</clientstorage>\n')
    assert kwargs['ssl'] is not None
    assert kwargs['ssl_server_hostname'] == 'zeo.example.com'


def test_any_section_on_one_line_is_explained(tmp_path):
    result = check(tmp_path, """
        %import zeoconf
        <zodb>
          <mappingstorage></mappingstorage>
        </zodb>
        """)
    assert result.returncode == 1
    assert result.stdout.startswith('f.conf:3: ')
    assert 'on lines of their own' in result.stdout


# A zope.conf read with ZODB's schema; ZODB's cache-size given a size.

def test_a_zope_conf_under_zodbs_schema_says_which_schema(tmp_path):
    text = """
        %import zeoconf
        instancehome /tmp
        <zodb_db main>
          mount-point /
          <clientstorage>
            server zeo.example.com:8100
          </clientstorage>
        </zodb_db>
        """
    result = check(tmp_path, text, '--schema', 'zodb')
    assert result.returncode == 1
    key, section = result.stdout.splitlines()
    assert key == (
        "f.conf:2: 'instancehome' is not a known key name; this reads like "
        "a zope.conf: read it with Zope's schema (zeoconf check --schema "
        "zope FILE, or Zope's own loader)")
    assert section.startswith("f.conf:3: unknown type name: 'zodb_db'; "
                              "this reads like a zope.conf")
    error = load_error(tmp_path, text)
    assert "read it with Zope's schema" in str(error)


def test_zodbs_cache_size_given_a_size_says_it_counts_objects(tmp_path):
    text = """
        %import zeoconf
        <zodb>
          cache-size 1000MB
          <clientstorage>
            server zeo.example.com:8100
          </clientstorage>
        </zodb>
        """
    result = check(tmp_path, text)
    assert result.returncode == 1
    assert result.stdout.startswith('f.conf:3: ')
    assert result.stdout.endswith(
        '; cache-size of <zodb> counts objects; bound the object cache in '
        'bytes with cache-size-bytes\n')
    assert 'counts objects' in str(load_error(tmp_path, text))


def test_plain_zodb_config_gets_no_hints():
    # Hints are zeoconf's tools' own: a plain ZODB.config parse says what
    # ZConfig says.
    with pytest.raises(ZConfig.ConfigurationError) as info:
        ZODB.config.storageFromString(
            '<clientstorage>\n server 8100\n</clientstorage>\n')
    assert 'add %import zeoconf' not in str(info.value)
