"""Every pattern over the words of another library's messages.

ZConfig and CPython say some things only in words: a section type it
does not know, a key it does not know, a section left open. The commands
recognise those messages here and nowhere else, and tests/test_cli_words.py
provokes each one from the installed library, so that a new wording
fails a named test instead of silently turning a hint off.

Each function takes an error and returns the part of its message the
pattern names (a type, a key...), or None when the message does not match.
"""

import re


def _text(error):
    return str(getattr(error, 'message', None) or error)


def _pattern(pattern):
    compiled = re.compile(pattern)

    def search(error):
        found = compiled.search(_text(error))
        return found.group(1) if found else None
    return search


# A section type ZConfig does not know.
unknown_type = _pattern(r"unknown type name: '([^']*)'")
# In a section without a keytype of zeoconf's (<zodb>, the top level).
unknown_key = _pattern(r"'([^']*)' is not a known key name")
# ZConfig's parser reached the end of the text inside a section.
unclosed_section = _pattern(r'(unclosed sections not allowed)')
# %import ZEO and %import zeoconf met: both define clientstorage and ssl.
import_collision = _pattern(r"(cannot be redefined).*'(?:clientstorage|ssl)'")
# CPython's int() refused the value (ZODB's cache-size given a size).
not_an_integer = _pattern(r'(invalid literal for int\(\))')
# A line that is no key, section or directive (the message quotes it).
not_a_line = _pattern(r'(value did not match regular expression)')
# A %name that is no directive (%definePW=SECRET: the value run into it).
unknown_directive = _pattern(r"unknown directive: '([^']*)'")
# A $NAME that nothing defines.
no_replacement = _pattern(r"no replacement for '([^']*)'")
# An abstract type a section holds more of than it takes (zodb.storage).
too_many_sections = _pattern(r"too many instances of '([^']*)' section")
# A section type the file holds too few of (zodb.database).
missing_section = _pattern(r"not enough values for section type '([^']*)'")
# A section type the schema has no place for where it stands.
no_matching_section = _pattern(
    r"no matching section defined for type='([^']*)'")


def quoted_names(error):
    """The names a message quotes (ZConfig's "no values for 'server'")."""
    return set(re.findall(r"'([^']+)'", _text(error)))
