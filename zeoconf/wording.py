"""How zeoconf words values and unknown key names in its messages.

Loaded when a message is made, or by the tools: a configuration without
mistakes never needs it.
"""

from zeoconf.datatypes import format_address
from zeoconf.values import NamedCallable, Secret

__all__ = ['unknown_key', 'format_value']

# Names that belong to a neighbouring section, with where they go.
_ELSEWHERE = {
    'cache-size-bytes': 'it belongs in the enclosing <zodb> section',
    'pool-size': 'it belongs in the enclosing <zodb> section',
    'mount-point': 'it belongs in the enclosing <zodb_db> section',
    'address': "the server address of a client is given with 'server'",
    'path': "a ZEO client has no storage file; use 'server' (or cache-path "
            "for a persistent cache)",
}
# A key name ZConfig reads runs to the first white space, so that
# "password=S3CRET" arrives as one name: it is quoted only up to here.
_NAME_END = '=:'
# Keys whose value is a secret: a name that starts with one is not quoted.
_SECRET_KEYS = ('password',)


def _quoted_name(key):
    for stop in _NAME_END:
        key = key.split(stop, 1)[0]
    if len(key) > 40:
        key = key[:40] + '...'
    return key


def _suggestion(name, known):
    norm = name.replace('_', '-')
    if norm in known:
        return norm
    import difflib
    candidates = sorted(known)
    close = difflib.get_close_matches(norm, candidates, n=1, cutoff=0.6)
    if close:
        return close[0]
    squashed = norm.replace('-', '')
    for candidate in candidates:
        flat = candidate.replace('-', '')
        if squashed and (flat.startswith(squashed)
                         or squashed.startswith(flat)):
            return candidate
    return None


def unknown_key(key, section, known):
    """The message for *key*, which is not a key of *section* (whose key
    names are *known*). The name is quoted up to a ``=`` or ``:`` (a
    mistyped ``password=...`` line would otherwise show the password)."""
    for secret in _SECRET_KEYS:
        if key.lower().startswith(secret) and key.lower() != secret:
            # "passwordS3CRET", "password;S3CRET": the rest may be it.
            return (f'a key that starts with {secret!r} is not a key of '
                    f'<{section}> (the rest of the name is not shown: it '
                    f'may be the password); write {secret}, a space, then '
                    f'the value')
    name = _quoted_name(key).lower()
    cut = len(name) < len(key) and key[len(name)] in _NAME_END
    if cut:
        # "password=S3CRET": the name, and what follows it, unquoted.
        sign = key[len(name)]
        known_name = name if name in known else _suggestion(name, known)
        about = f' ({known_name!r})' if known_name else ''
        return (f'{name!r} followed by {sign!r} is not a key of '
                f'<{section}>: ZConfig reads a key, white space, then its '
                f'value; write the key{about}, a space, then the value '
                f'(not shown here)')
    message = f'{name!r} is not a key of <{section}>'
    if name in _ELSEWHERE:
        return f'{message}; {_ELSEWHERE[name]}'
    suggestion = _suggestion(name, known)
    if suggestion:
        return f'{message}; did you mean {suggestion!r}?'
    return f'{message}; the keys are ' + ', '.join(sorted(known))


_UNITS = (('TB', 1 << 40), ('GB', 1 << 30), ('MB', 1 << 20), ('KB', 1 << 10))


def format_value(value, datatype=None):
    """A converted value as people write it in a configuration; secrets
    as ``<redacted>``. *datatype* is the name of the generic conversion
    (``size``, ``positive_interval``, ...), which numbers need."""
    if value is None:
        return '-'
    if isinstance(value, Secret):
        return '<redacted>'
    if isinstance(value, list):
        return ', '.join(format_value(v, datatype) for v in value)
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, tuple):
        return format_address(value)
    if datatype == 'size' and isinstance(value, int):
        for unit, factor in _UNITS:
            if value and value % factor == 0:
                return f'{value // factor}{unit}'
        return f'{value}B'
    if datatype in ('interval', 'positive_interval'):
        return f'{value:g}s'
    if datatype == 'percent':
        return f'{value}%'
    if isinstance(value, NamedCallable):
        return value.name
    if value == '':
        return '""'
    return str(value)
