"""Hints where ZConfig's words do not say what to do (zeoconf.cli.hints).

Each hint is checked through ``zeoconf check`` (in this process). The
hints are the command line's own: the runtime never imports zeoconf.cli,
so the Python entry points (``zeoconf.client_kwargs``,
``zeoconf.loader.load_path``) give ZConfig's words, at the same line.
"""

import textwrap

import pytest
import ZConfig
import ZODB.config

import zeoconf
from zeoconf import loader


@pytest.fixture
def check(run_cli, tmp_path):
    """``zeoconf check [options] f.conf`` on the file of *text*."""

    def check_(text, *options):
        (tmp_path / 'f.conf').write_text(textwrap.dedent(text).lstrip('\n'))
        return run_cli('check', *options, 'f.conf', cwd=tmp_path)
    return check_


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


NO_IMPORT = """
    <zodb>
      <clientstorage>
        server zeo.example.com:8100
      </clientstorage>
    </zodb>
    """


def test_missing_import_says_to_add_it(check, tmp_path):
    result = check(NO_IMPORT)
    assert result.status == 1
    assert result.out == (
        "f.conf:2: unknown type name: 'clientstorage'; add %import zeoconf "
        "at the top of the file, which defines <clientstorage> and <ssl>\n")
    assert load_error(tmp_path, NO_IMPORT).lineno == 2


def test_missing_import_is_not_said_when_the_import_is_there(check, tmp_path):
    # <ssl> outside <clientstorage> is another mistake.
    result = check("""
        %import zeoconf
        <zodb>
          <ssl>
          </ssl>
        </zodb>
        """)
    assert result.status == 1
    assert 'add %import zeoconf' not in result.out


KEY_IN_ZODB = """
    %import zeoconf
    <zodb>
      blob-dir /var/blobs
      <clientstorage>
        server zeo.example.com:8100
      </clientstorage>
    </zodb>
    """


def test_a_clientstorage_key_in_zodb_says_where_it_belongs(check, tmp_path):
    result = check(KEY_IN_ZODB)
    assert result.status == 1
    assert result.out == (
        "f.conf:3: 'blob-dir' is not a known key name; blob-dir belongs "
        "inside the <clientstorage> section, not in <zodb>\n")
    assert load_error(tmp_path, KEY_IN_ZODB).lineno == 3


def test_an_ssl_key_in_zodb_db_says_where_it_belongs(check, tmp_path):
    pytest.importorskip('Zope2')
    result = check("""
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
    assert result.status == 1
    assert 'f.conf:5: ' in result.out
    assert ('authenticate belongs inside the <clientstorage> section, not '
            'in <zodb_db>') in result.out


def test_a_clientstorage_key_outside_any_section(check):
    result = check("""
        %import zeoconf
        server zeo.example.com:8100
        """)
    assert result.status == 1
    assert result.out.startswith('f.conf:2: ')
    assert ('server belongs inside a <clientstorage> section, which is '
            'missing around it') in result.out


def test_an_inline_comment_in_a_refused_value_is_explained(check, tmp_path):
    result = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            cache-size 20MB # the default
          </clientstorage>
        </zodb>
        """)
    assert result.status == 1
    [line] = result.out.splitlines()
    assert line.startswith("f.conf:5: cache-size: '20MB # the default' is "
                           "not a size")
    assert line.endswith("; the value of cache-size holds '# the default': "
                         "ZConfig comments stand on lines of their own, so "
                         "it is part of the value")
    error = kwargs_error("""
        <clientstorage>
          server zeo.example.com:8100
          wait-timeout 30 # seconds
        </clientstorage>
        """)
    assert error.lineno == 3


def test_an_inline_comment_in_an_accepted_value_is_a_warning(check, tmp_path):
    result = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            client-label app # the web app
          </clientstorage>
        </zodb>
        """)
    assert result.status == 0
    assert result.err == (
        "f.conf:5: warning: the value of client-label holds '# the web "
        "app': ZConfig comments stand on lines of their own, so it is part "
        "of the value\n")


def test_a_hash_without_space_before_it_is_no_comment(check, tmp_path):
    result = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            client-label app#1
          </clientstorage>
        </zodb>
        """)
    assert result.status == 0 and result.err == ''


def test_open_and_close_tags_on_one_line_are_explained(check, tmp_path):
    result = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            <ssl></ssl>
          </clientstorage>
        </zodb>
        """)
    assert result.status == 1
    assert result.out == (
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


def test_the_suggested_empty_tag_is_valid():
    kwargs = zeoconf.client_kwargs(
        '<clientstorage>\n server zeo.example.com:8100\n <ssl/>\n'
        '</clientstorage>\n')
    assert kwargs['ssl'] is not None
    # No server-hostname: asyncio checks the server's own host name.
    assert kwargs['ssl_server_hostname'] is None


def test_any_section_on_one_line_is_explained(check, tmp_path):
    result = check("""
        %import zeoconf
        <zodb>
          <mappingstorage></mappingstorage>
        </zodb>
        """)
    assert result.status == 1
    assert result.out.startswith('f.conf:3: ')
    assert 'on lines of their own' in result.out


def test_a_zope_conf_under_zodbs_schema_says_which_schema(check, tmp_path):
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
    result = check(text, '--schema', 'zodb')
    assert result.status == 1
    key, section = result.out.splitlines()
    assert key == (
        "f.conf:2: 'instancehome' is not a known key name; this reads like "
        "a zope.conf: read it with Zope's schema (zeoconf check --schema "
        "zope FILE)")
    assert section.startswith("f.conf:3: unknown type name: 'zodb_db'; "
                              "this reads like a zope.conf")
    assert load_error(tmp_path, text).lineno == 2


def test_zodbs_cache_size_given_a_size_says_it_counts_objects(check, tmp_path):
    text = """
        %import zeoconf
        <zodb>
          cache-size 1000MB
          <clientstorage>
            server zeo.example.com:8100
          </clientstorage>
        </zodb>
        """
    result = check(text)
    assert result.status == 1
    assert result.out.startswith('f.conf:3: ')
    assert result.out.endswith(
        '; cache-size of <zodb> counts objects; bound the object cache in '
        'bytes with cache-size-bytes\n')
    assert load_error(tmp_path, text).lineno == 3


def test_plain_zodb_config_gets_no_hints():
    # Hints are zeoconf's tools' own: a plain ZODB.config parse says what
    # ZConfig says.
    with pytest.raises(ZConfig.ConfigurationError) as info:
        ZODB.config.storageFromString(
            '<clientstorage>\n server 8100\n</clientstorage>\n')
    assert 'add %import zeoconf' not in str(info.value)


# Keys of <ssl> and of <clientstorage> written in the other section.

def test_an_ssl_key_in_clientstorage_and_the_reverse_say_where_they_belong(
        check):
    result = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
            server-hostname zeo.example.com
            <ssl>
              read-only true
            </ssl>
          </clientstorage>
        </zodb>
        """)
    assert result.status == 1
    assert result.out.splitlines() == [
        "f.conf:5: 'server-hostname' is not a key of <clientstorage>; it is "
        "a key of <ssl>, which belongs inside it",
        "f.conf:7: 'read-only' is not a key of <ssl>; it is a key of "
        "<clientstorage>, which belongs around it"]


def test_a_name_run_into_its_port_suggests_braces(check):
    result = check("""
        %import zeoconf
        %define ZEO zeo1.example.com
        <zodb>
          <clientstorage>
            server $ZEO8100
          </clientstorage>
        </zodb>
        """)
    assert result.status == 1
    [line] = result.out.splitlines()
    assert line.startswith("f.conf:5: server: no replacement for 'ZEO8100'")
    assert line.endswith('did you mean ${ZEO}:8100? $ZEO8100 reads as one '
                         'name, ZEO8100; braces end a name: ${ZEO}')


def test_what_the_suggested_braces_mean(check):
    result = check("""
        %import zeoconf
        %define ZEO zeo1.example.com
        <zodb>
          <clientstorage>
            server ${ZEO}:8100
          </clientstorage>
        </zodb>
        """)
    assert result.status == 0, result.out
    assert 'zeo1.example.com:8100' in result.out


def test_an_empty_file_says_what_a_configuration_holds(check):
    result = check('')
    assert result.status == 1
    assert result.out == (
        'f.conf: the file is empty: ZODB.config reads one <zodb> section '
        'holding one storage; write %import zeoconf, then <zodb>, and in it '
        '<clientstorage> with a server line (see docs/cli.md)\n')
    only_comments = check('# nothing here yet\n')
    assert only_comments.out.startswith('f.conf: the file is empty: ')


def test_two_storages_in_one_zodb_say_to_give_each_its_own(check):
    result = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo.example.com:8100
          </clientstorage>
          <clientstorage>
            server zeo.example.com:8100
            storage catalog
          </clientstorage>
        </zodb>
        """)
    assert result.status == 1
    [line] = result.out.splitlines()
    assert line.startswith('f.conf:9: ')
    assert line.endswith('a <zodb> section holds one storage: give each '
                         'storage a <zodb NAME> section of its own, or '
                         'remove one')


def test_cache_size_byte_in_zodb_suggests_cache_size_bytes(check):
    result = check("""
        %import zeoconf
        <zodb>
          cache-size-byte 1GB
          <clientstorage>
            server zeo.example.com:8100
          </clientstorage>
        </zodb>
        """)
    assert result.status == 1
    assert result.out == ("f.conf:3: 'cache-size-byte' is not a known key "
                          "name; did you mean cache-size-bytes?\n")


# Server addresses a new operator wrote (issue 21).

@pytest.mark.parametrize('server, said', [
    # The suggestion is itself a valid address.
    ('10.0.0.58100', "'10.0.0.58100' is not an address: no port (did you "
                     "mean 10.0.0.5:8100?)"),
    # An ambiguous run of digits names both readings.
    ('zeo18100', "'zeo18100' is not an address: no port (did you mean "
                 "zeo1:8100 or zeo:18100?)"),
    # A URL, or the root directory, is not a Unix socket.
    ('http://zeo1:8100', "'http://zeo1:8100' is a URL, not a server "
                         "address; write HOST:PORT"),
    ('zeo://zeo1:8100', "'zeo://zeo1:8100' is a URL, not a server address"),
    ('/', "'/' is a directory, not a Unix socket"),
    ('zeo.example.com 8100', "'zeo.example.com 8100' is not an address: "
                             "write HOST:PORT, as zeo.example.com:8100"),
    ('zeo1:8100,zeo2:8100', "separate server addresses with white space, "
                            "or repeat server, not with commas"),
])
def test_a_server_address_that_is_wrong_says_how_to_write_it(
        check, server, said):
    result = check(f"""
        %import zeoconf
        <zodb>
          <clientstorage>
            server {server}
          </clientstorage>
        </zodb>
        """)
    assert result.status == 1
    [line] = result.out.splitlines()
    assert line.startswith('f.conf:4: server: ')
    assert said in line
    assert 'in brackets' not in line


def test_several_servers_on_one_line_and_one_given_twice(check):
    result = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo1:8100 zeo2:8100
          </clientstorage>
        </zodb>
        """)
    assert result.status == 0, result.out
    assert 'zeo1:8100,zeo2:8100' in result.out.splitlines()[1]
    twice = check("""
        %import zeoconf
        <zodb>
          <clientstorage>
            server zeo1:8100 zeo1:8100
          </clientstorage>
        </zodb>
        """)
    assert twice.out == ('f.conf:4: <clientstorage> for zeo1:8100: server '
                         'zeo1:8100 is given twice; give each server once\n')


def test_a_storage_only_file_read_as_a_zodb_conf_says_so(check):
    text = ('%import zeoconf\n<clientstorage>\n  server zeo:8100\n'
            '</clientstorage>\n')
    result = check(text, '--schema', 'zodb')
    assert result.status == 1
    assert result.out.startswith('f.conf:2: ')
    assert 'a storage-only file' in result.out
    assert 'with --schema storage' in result.out
    assert check(text).status == 0


@pytest.mark.parametrize('sign', ['=', ':'])
@pytest.mark.parametrize('command', [
    ['check'], ['check', '--json'], ['show'], ['show', '--json']])
def test_a_password_run_into_its_name_is_not_quoted_by_the_comment_hint(
        run_cli, tmp_path, sign, command):
    # ZConfig reads "password=S3CRET" as one key name: the hint on the
    # inline comment names the secret key alone, as the error does.
    path = tmp_path / 'zodb.conf'
    path.write_text('%import zeoconf\n<zodb>\n  <clientstorage>\n'
                    '    server zeo:8100\n'
                    f'    password{sign}S3CRET x #note\n'
                    '  </clientstorage>\n</zodb>\n')
    result = run_cli(*command, str(path))
    said = result.out + result.err
    assert 'holds a # after white space' in said
    assert 's3cret' not in said.lower()


@pytest.mark.parametrize('lines', [
    # In ZODB's sections, at the top level and in <zeoclient>, ZConfig's own
    # keytype refuses the name and quotes it whole.
    ('<zodb>', '  password=S3CRET', '  <clientstorage>', '    server zeo:1',
     '  </clientstorage>', '</zodb>'),
    ('password=S3CRET', '<zodb>', '  <clientstorage>', '    server zeo:1',
     '  </clientstorage>', '</zodb>'),
    ('<zodb>', '  <zeoclient>', '    server zeo:1', '    password=S3CRET',
     '  </zeoclient>', '</zodb>'),
], ids=['zodb', 'top level', 'zeoclient'])
@pytest.mark.parametrize('command', [
    ['check'], ['check', '--json'], ['show'], ['migrate']])
def test_a_password_run_into_its_name_outside_zeoconf_is_not_quoted(
        run_cli, tmp_path, lines, command):
    path = tmp_path / 'zodb.conf'
    # migrate parses what it migrates: a file with a <zeoclient> (to
    # migrate, the others print as they are, unparsed).
    path.write_text('%import zeoconf\n' + '\n'.join(lines) + '\n'
                    + ('<zodb other>\n  <zeoclient>\n    server zeo:2\n'
                       '  </zeoclient>\n</zodb>\n' if command == ['migrate']
                       else ''))
    result = run_cli(*command, str(path))
    said = result.out + result.err
    assert result.status != 0
    assert ("a key that starts with 'password' is not a key name ZConfig "
            'reads') in said
    assert 's3cret' not in said.lower()


@pytest.mark.parametrize('directive', ['%definePW=S3CRET', '%DefinePW:S3CRET'])
@pytest.mark.parametrize('command', [['check'], ['check', '--json'], ['show']])
def test_a_define_run_into_its_value_is_not_quoted(run_cli, tmp_path,
                                                   directive, command):
    path = tmp_path / 'zodb.conf'
    path.write_text(f'%import zeoconf\n{directive}\n<zodb>\n'
                    '  <clientstorage>\n    server zeo:1\n'
                    '  </clientstorage>\n</zodb>\n')
    result = run_cli(*command, str(path))
    said = result.out + result.err
    assert result.status == 1
    assert '%define needs white space after it' in said
    assert 's3cret' not in said.lower()
