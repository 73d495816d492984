"""zeoconf.keys: each key's converter names the key, each section's
keytype names what was meant, and no secret is quoted on the way."""

import io

import pytest
import ZConfig
import ZODB.config

import zeoconf
from zeoconf import datatypes, keys

SECRET = 'Sw0rdf1sh-do-not-show'


@pytest.mark.parametrize('key, section, words', [
    ('cache_size', 'clientstorage', "did you mean 'cache-size'?"),
    ('readonly', 'clientstorage', "did you mean 'read-only'?"),
    ('blob-cache', 'clientstorage', "did you mean 'blob-cache-size'?"),
    ('cache-size-bytes', 'clientstorage', 'enclosing <zodb> section'),
    ('mount-point', 'clientstorage', 'enclosing <zodb_db> section'),
    ('address', 'clientstorage', "given with 'server'"),
    ('path', 'clientstorage', "a ZEO client has no storage file"),
    ('authenticate', 'clientstorage', "it is a key of <ssl>, which belongs "
                                      "inside it"),
    ('cache-size', 'ssl', "it is a key of <clientstorage>, which belongs "
                          "around it"),
    ('cafile', 'ssl', 'the keys are authenticate, certificate'),
    ('frobnicate', 'clientstorage', 'the keys are blob-cache-size, '),
])
def test_an_unknown_key_is_answered_with_what_was_meant(key, section,
                                                        words):
    message = keys.unknown_key(key, section)
    assert message.startswith(f'{key!r} is not a key of <{section}>')
    assert words in message


@pytest.mark.parametrize('keytype, known', [
    (keys.clientstorage_key, keys.CLIENTSTORAGE_KEYS),
    (keys.ssl_key, keys.SSL_KEYS),
])
def test_a_keytype_takes_its_sections_names_in_any_case(keytype, known):
    for name in known:
        assert keytype(name.upper()) == name
    with pytest.raises(ValueError, match='is not a key of'):
        keytype('no-such-key')


def test_every_zeoclient_key_is_an_ordinary_key_of_clientstorage():
    for name in ('client', 'var', 'wait', 'min-disconnect-poll',
                 'max-disconnect-poll', 'drop-cache-rather-verify',
                 'username', 'password', 'realm'):
        assert name in keys.CLIENTSTORAGE_KEYS
        assert callable(getattr(keys, name.replace('-', '_')))


@pytest.mark.parametrize('converter, text, words', [
    (keys.cache_size, '20XB', "cache-size: '20XB' is not a size"),
    (keys.server, 'zeo 8100', 'server: '),
    (keys.wait, 'later', "wait: 'later' is not a boolean"),
    (keys.min_disconnect_poll, '0', 'min-disconnect-poll: '),
])
def test_a_converter_names_its_key(converter, text, words):
    with pytest.raises(ValueError) as e:
        converter(text)
    assert str(e.value).startswith(words)


def test_a_password_is_kept_as_a_secret_never_shown():
    value = keys.password(f'  {SECRET} ')
    assert type(value) is datatypes.Secret
    assert value.reveal() == SECRET
    assert SECRET not in repr(value) and SECRET not in str(value)


@pytest.mark.parametrize('name', sorted(keys.OFFLINE))
def test_offline_converters_check_the_text_and_touch_nothing(name):
    convert = keys.OFFLINE[name]
    key = name.rsplit('.', 1)[1]
    assert key in {n.replace('-', '_') for n in
                   keys.CLIENTSTORAGE_KEYS | keys.SSL_KEYS}
    if key == 'password_function':
        value = convert('nosuchmodule_zc.unlock')
        assert str(value) == 'nosuchmodule_zc.unlock'
        with pytest.raises(ValueError, match='^password-function: '):
            convert('not dotted')
    else:
        assert convert('/no/such/place/x') == '/no/such/place/x'
        with pytest.raises(ValueError, match=f'^{key.replace("_", "-")}: '):
            convert('/no\0where')


def test_a_section_type_extending_clientstorage_names_its_own_keytype():
    """A schema may extend clientstorage with keys of its own: it names a
    keytype of its own (zeoconf's accepts exactly zeoconf's names, and
    says so when the schema is loaded); a plain <clientstorage> still
    refuses the new keys."""
    def schema(keytype=''):
        return ZConfig.loadSchemaFile(io.StringIO(
            '<schema>\n<import package="zeoconf"/>\n'
            f'<sectiontype name="myclient" extends="clientstorage" '
            f'{keytype}\n'
            '             implements="ZODB.storage">\n'
            '  <key name="extra-thing"/>\n</sectiontype>\n'
            '<multisection type="ZODB.storage" name="*" attribute="s"/>\n'
            '</schema>\n'))

    with pytest.raises(ZConfig.SchemaError,
                       match="'extra-thing' is not a key of <clientstorage>"):
        schema()
    extended = schema('keytype="basic-key"')

    def parse(section):
        return ZConfig.loadConfigFile(extended, io.StringIO(
            f'<{section} a>\nserver zeo:1\nextra-thing 1\n</{section}>\n'))

    assert parse('myclient')[0].s[0].config.extra_thing == '1'
    with pytest.raises(ZConfig.ConfigurationError,
                       match="'extra-thing' is not a key of <clientstorage>"):
        parse('clientstorage')


@pytest.mark.parametrize('line, words', [
    (f'password={SECRET}', "a key that starts with 'password' is not a key"),
    (f'password:{SECRET}', "a key that starts with 'password' is not a key"),
    (f'PassWord{SECRET} more',
     "a key that starts with 'password' is not a key"),
    (f'password;{SECRET}', "a key that starts with 'password' is not a key"),
    (f'cache-size={SECRET}', "'cache-size' followed by '=' is not a key"),
    (f'cache-size:{SECRET}', "'cache-size' followed by ':' is not a key"),
])
def test_a_key_written_with_its_value_attached_never_shows_it(line, words):
    text = f'<clientstorage>\nserver zeo:1\n{line}\n</clientstorage>\n'
    with pytest.raises(ZConfig.ConfigurationError) as api:
        zeoconf.client_kwargs(text)
    with pytest.raises(ZConfig.ConfigurationError) as plain:
        ZODB.config.storageFromString('%import zeoconf\n' + text)
    for error in (api.value, plain.value):
        message = error.message
        assert words in message
        assert 'a space, then the value' in message
        assert SECRET.lower() not in message.lower()
        assert SECRET.lower() not in str(error).lower()
    assert api.value.lineno == 3


@pytest.mark.parametrize('line', [
    'cache-path /nonexistent/c.zec',
    # Text keys convert whatever they are given: the joined value would be
    # taken whole, password and all, as the client label.
    'client-label web',
    'name main',
])
def test_a_value_joined_to_the_next_line_by_a_lone_cr_is_not_quoted(line):
    # ZConfig ends lines at "\n" only: a lone "\r" makes the next line,
    # here a password, part of the value before it.
    with pytest.raises(ZConfig.ConfigurationError) as e:
        zeoconf.client_kwargs(f'<clientstorage>\nserver zeo:1\n{line}\r'
                              f'    password {SECRET}\n</clientstorage>\n')
    assert e.value.lineno == 3
    key = line.split()[0]
    assert f'{key}: the value holds a line break' in str(e.value)
    assert SECRET not in str(e.value)


@pytest.mark.parametrize('name, secret', [
    ('password', 'password'),
    ('PASSWORD=S3CRET', 'password'),
    ('passwordS3CRET', 'password'),
    ('password-function', None),
    ('password-functon', None),
    ('password_file', None),
    ('username', None),
])
def test_only_a_password_or_a_name_run_into_one_is_a_secret_key(name,
                                                                 secret):
    assert keys.secret_key(name) == secret


def test_a_misspelt_password_function_is_answered_as_a_misspelling():
    message = keys.unknown_key('password-functon', 'ssl')
    assert message == ("'password-functon' is not a key of <ssl>; did you "
                       "mean 'password-function'?")
