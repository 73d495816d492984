"""Every pattern over the words of another library's messages.

ZConfig and CPython say some things only in words: a section type it
does not know, a key it does not know, a section left open. The commands
recognise those messages here and nowhere else, and tests/test_cli_words.py
provokes each one from the installed library, so that a new wording
fails a named test instead of silently turning a hint off.
"""

import re

__all__ = ['no_matching_section', 'unknown_type', 'unknown_key',
           'unclosed_section', 'quoted_names',
           'import_collision', 'not_an_integer', 'not_a_line',
           'no_replacement', 'too_many_sections',
           'missing_section']

_UNKNOWN_TYPE = re.compile(r"unknown type name: '([^']*)'")
_UNKNOWN_KEY = re.compile(r"'([^']*)' is not a known key name")


def _text(error):
    return str(getattr(error, 'message', None) or error)


def unknown_type(error):
    """The section type ZConfig does not know, or None."""
    found = _UNKNOWN_TYPE.search(_text(error))
    return found.group(1) if found else None


def unknown_key(error):
    """The key name ZConfig does not know in a section without a keytype
    of zeoconf's (``<zodb>``, the top level), or None."""
    found = _UNKNOWN_KEY.search(_text(error))
    return found.group(1) if found else None


def unclosed_section(error):
    """Whether ZConfig's parser reached the end of the text inside a
    section."""
    return 'unclosed sections not allowed' in _text(error)


def import_collision(error):
    """Whether ``%import ZEO`` and ``%import zeoconf`` met: both define
    ``clientstorage`` and ``ssl``."""
    text = _text(error)
    return ('cannot be redefined' in text
            and ('clientstorage' in text or "'ssl'" in text))


def not_an_integer(error):
    """Whether CPython's ``int()`` refused the value (ZODB's
    ``cache-size``, which counts objects, given a size)."""
    return 'invalid literal for int()' in _text(error)


_QUOTED = re.compile(r"'([^']+)'")


def quoted_names(error):
    """The names a message quotes (ZConfig's "no values for 'server'")."""
    return set(_QUOTED.findall(_text(error)))


def not_a_line(error):
    """Whether ZConfig's parser met a line that is no key, section or
    directive (its message quotes the line)."""
    return 'value did not match regular expression' in _text(error)


_NO_REPLACEMENT = re.compile(r"no replacement for '([^']*)'")


def no_replacement(error):
    """The name of a ``$NAME`` that nothing defines, or None."""
    found = _NO_REPLACEMENT.search(_text(error))
    return found.group(1) if found else None


_TOO_MANY = re.compile(r"too many instances of '([^']*)' section")


def too_many_sections(error):
    """The abstract type of which a section holds more than it takes
    (``zodb.storage``: two storages in one ``<zodb>``), or None."""
    found = _TOO_MANY.search(_text(error))
    return found.group(1) if found else None


_MISSING = re.compile(r"not enough values for section type '([^']*)'")


def missing_section(error):
    """The section type of which the file holds too few (``zodb.database``
    in a file without ``<zodb>``), or None."""
    found = _MISSING.search(_text(error))
    return found.group(1) if found else None


_NO_MATCHING = re.compile(r"no matching section defined for type='([^']*)'")


def no_matching_section(error):
    """The section type the schema has no place for where it stands
    (a storage at the top level of a zodb.conf), or None."""
    found = _NO_MATCHING.search(_text(error))
    return found.group(1) if found else None
