"""zeoconf's own loading: ZConfig's public loader API, every key's line.

``client_kwargs``, ``parse_clientstorage`` and every command of the
``zeoconf`` tool read configurations through :class:`Loader`, a
``ZConfig.loader.ConfigLoader`` whose section-matching hooks see each
key with its position, each ``%import`` and ``%include`` as it is
handled, and the text of each file read. That lets it:

- give the openers the line of every key (``positions``), so that a rule
  across keys names each key's line (``blob-cache-size (line 6) needs
  blob-dir``) and the error carries the line of the key at fault;
- name both lines of a key given twice;
- report a failing ``%import`` or ``%include`` (whatever the imported
  package raised, even ``SystemExit``) at its directive's line;
- refuse what no configuration file is: a FIFO, a device, a file larger
  than :data:`MAX_FILE_SIZE`.

Nothing of it runs under a plain ``ZODB.config`` or Zope start: there
the openers name keys without lines (see :mod:`zeoconf.openers`).
"""

import io
import logging
import os
import stat
import threading
import urllib.parse

import ZConfig
import ZConfig.loader

from zeoconf import errors, keys, openers
from zeoconf.lookups import MAX_FILE_SIZE, file_kind

__all__ = ['Loader', 'load_text', 'load_path', 'Loaded', 'MAX_FILE_SIZE',
           'file_of', 'read_text', 'check_file', 'blanked', 'BOM_MESSAGE']



class _Recorder:
    """Stands for one of ZConfig's matchers while the parser fills it,
    and notes where each key was given."""

    __slots__ = ('matcher', 'positions')

    def __init__(self, matcher):
        self.matcher = matcher
        self.positions = {}     # {key: [(lineno, url), ...]}

    def addValue(self, key, value, position):
        name = key.lower()
        try:
            self.matcher.addValue(key, value, position)
        except ZConfig.ConfigurationError as e:
            first = self.positions.get(name)
            if first and not isinstance(e, ZConfig.DataConversionError):
                # ZConfig's "does not support multiple values" (or, for
                # a "+" key, "too many values"), said with both lines.
                line, url = first[0]
                where = (f'line {line}' if url == position[2] else
                         f'{errors.display_path(url)}:{line}')
                raise ZConfig.ConfigurationSyntaxError(
                    f'{errors.quoted_key(name)} is given twice (first on '
                    f'{where}); keep one', position[2],
                    position[0]) from None
            raise
        self.positions.setdefault(name, []).append(
            (position[0], position[2]))

    def __getattr__(self, name):
        # Everything else the parser and the loader ask of a matcher.
        return getattr(self.matcher, name)


class Loader(ZConfig.loader.ConfigLoader):
    """A ``ConfigLoader`` that locates every key, directive and error.

    *offline*: review a configuration meant for another machine; the
    openers then look at nothing on this one (see ``zeoconf check
    --offline``).
    """

    # Whether a file may start with a UTF-8 byte order mark (zeoconf check
    # reports it and reads on).
    allow_marks = False

    def __init__(self, schema, offline=False, blank=None):
        super().__init__(schema)
        self.offline = offline
        # {url: {line number: text}}: lines read as other text, blank or
        # a stand-in (zeoconf check steps over a problem it reported so).
        self.blank = blank or {}
        self.texts = {}             # {url: text} of every file read
        self.marked = []            # urls of files that had a UTF-8 BOM
        self.section_error = None   # the opener's error, located
        self._positions = {}        # {matcher: {key: [(lineno, url)]}}
        self._reading = []          # urls of the files being read
        self._seen = {}             # {(url, directive): how many so far}
        self._scans = {}            # {url: scanner.Scan}, when needed
        self._directives = {}       # {(url, directive): [Line, ...]}

    # The matchers: ours stand for ZConfig's while the parser fills them.

    def _record(self, matcher):
        recorder = _Recorder(matcher)
        self._positions[matcher] = recorder.positions
        return recorder

    def createSchemaMatcher(self):
        return self._record(super().createSchemaMatcher())

    def startSection(self, parent, type_, name):
        return self._record(super().startSection(parent, type_, name))

    def endSection(self, parent, type_, name, matcher):
        try:
            super().endSection(parent, type_, name, matcher)
        except openers.SectionError as e:
            # ZConfig's parser words it again at the closing line of the
            # enclosing section; the error itself knows the key's line.
            self.section_error = e
            raise

    def positions(self, section):
        """``{key: [(lineno, url), ...]}`` of a parsed section
        (``SectionValue``) this loader read."""
        return self._positions.get(section.getSectionMatcher(), {})

    # Files: what was read, and nothing that is not a file of text.

    def openResource(self, url):
        url = str(url)
        if not url.startswith('file:'):
            return super().openResource(url)
        path = file_of(url)
        text = read_text(path)      # raises ConfigurationError
        return self.createResource(io.StringIO(text), url)

    def createResource(self, file, url):
        if url and str(url).startswith('package:'):
            return super().createResource(file, url)
        text = file.read()
        if text.startswith('\ufeff'):
            # ZConfig would read the mark as part of the first line.
            text = text[1:]
            self.marked.append(url)
        self.texts[url] = text
        if self.blank.get(url):
            text = blanked(text, self.blank[url])
        self._reading.append(url)
        return _Resource(io.StringIO(text), url, self._reading)

    # Directives: at their line, whatever they raise.

    def importSchemaComponent(self, pkgname):
        where = self._directive('import')
        try:
            super().importSchemaComponent(pkgname)
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            if errors.is_import_collision(e):
                # Point at the %import ZEO, wherever it stands.
                where = self._find_directive('import', 'zeo') or where
            raise errors.at_directive(e, f'%import {pkgname}', *where,
                                      package=pkgname) from None

    def includeConfiguration(self, section, url, defines):
        where = self._directive('include')
        if self.normalizeURL(url) in self._reading:
            raise errors.at_directive(ZConfig.ConfigurationError(
                f'{file_of(url)} includes itself (through this '
                f'%include); include each file once'), '%include', *where)
        try:
            super().includeConfiguration(section, url, defines)
        except ZConfig.ConfigurationError as e:
            if getattr(e, 'lineno', None):
                raise       # an error inside the included file
            raise errors.at_directive(e, '%include', *where) from None
        except (Exception, SystemExit) as e:
            raise errors.at_directive(e, '%include', *where) from None

    def _scan(self, url):
        """The scanned text of the file *url*, scanned once."""
        found = self._scans.get(url)
        if found is None:
            from zeoconf.scanner import scan
            found = self._scans[url] = scan(self.texts.get(url, ''))
        return found

    def _find_directive(self, name, value):
        """``(lineno, url)`` of the first ``%name value`` in the files
        read, or None."""
        for url in self.texts:
            for line in self._scan(url).directives(name):
                if line.value.strip().lower() == value:
                    return line.number, url
        return None

    def _directive(self, name):
        """``(lineno, url)`` of the directive *name* being handled: the
        next one of its kind in the file being read."""
        if not self._reading:
            return None, None
        url = self._reading[-1]
        count = self._seen[url, name] = self._seen.get((url, name), 0) + 1
        found = self._directives.get((url, name))
        if found is None:
            found = self._directives[url, name] = self._scan(url).directives(
                name)
        lineno = found[count - 1].number if len(found) >= count else None
        return lineno, url


class _Resource(ZConfig.loader.Resource):
    """A file being read; the loader knows it is read until closed."""

    def __init__(self, file, url, reading):
        super().__init__(file, url)
        self._stack = reading

    def close(self):
        if not self.closed and self._stack and self._stack[-1] == self.url:
            self._stack.pop()
        super().close()


def blanked(text, lines):
    """*text* with the lines of *lines* (``{number: text}``, numbers from
    1) replaced by their text."""
    # Lines as ZConfig's parser reads them: ended by '\n' only.
    found = text.split('\n')
    for number, replacement in lines.items():
        if 0 < number <= len(found):
            found[number - 1] = replacement
    return '\n'.join(found)


def file_of(url):
    """The path of a ``file:`` URL; other URLs as they are."""
    if url and url.startswith('file:'):
        return urllib.parse.unquote(urllib.parse.urlparse(url).path)
    return url


def check_file(path, what='configuration file'):
    """Refuse *path*, with a ``ConfigurationError``, when it is not a
    regular file of at most :data:`MAX_FILE_SIZE`: looked at with ``stat``
    only, so that a FIFO or a device is never opened (ZConfig would read
    one for ever)."""
    url = 'file://' + os.path.abspath(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise ZConfig.ConfigurationError(
            f'{path}: cannot read: {e.strerror}', url) from None
    if not stat.S_ISREG(st.st_mode):
        raise ZConfig.ConfigurationError(
            f'{path} is {file_kind(st.st_mode)}, not a {what}; expected a '
            f'regular file', url)
    if st.st_size > MAX_FILE_SIZE:
        raise ZConfig.ConfigurationError(
            f'{path} is {st.st_size} bytes; a {what} is at most '
            f'{MAX_FILE_SIZE >> 20} MB', url)


def read_text(path):
    """The text of configuration file *path*; a ``ConfigurationError``
    for anything that is not a readable regular file of UTF-8 text no
    larger than :data:`MAX_FILE_SIZE`. A FIFO or device is never opened."""
    url = 'file://' + os.path.abspath(path)
    check_file(path)
    try:
        with open(path, 'rb') as f:
            # A file that grows while it is read is cut at the bound.
            data = f.read(MAX_FILE_SIZE + 1)
    except OSError as e:
        raise ZConfig.ConfigurationError(
            f'{path}: cannot read: {e.strerror}', url) from None
    if len(data) > MAX_FILE_SIZE:
        raise ZConfig.ConfigurationError(
            f'{path} is more than {MAX_FILE_SIZE >> 20} MB; a configuration '
            f'file is at most that', url)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise ZConfig.ConfigurationError(
            f'{path} is not UTF-8 text (line {line}, byte {e.start + 1})',
            url) from None


class Loaded:
    """What :func:`load_text` and :func:`load_path` return.

    ``config`` is the configuration object, ``loader`` the
    :class:`Loader` (``positions()``, ``texts``), ``url`` the file's URL
    and ``warnings`` the messages zeoconf logged while it was read (keys
    ZEO ignores, ...).
    """

    __slots__ = ('config', 'loader', 'url', 'warnings')

    def __init__(self, config, loader, url, warnings):
        self.config, self.loader = config, loader
        self.url, self.warnings = url, warnings

    def storages(self, others=None):
        """``[(label, ClientStorageOpener)]``: see
        :func:`zeoconf.storages.find`."""
        from zeoconf.storages import find
        return find(self.config, others)


class _Diverted(logging.Filter):
    """Diverts what zeoconf logs to a list while this thread's tool loads
    a file (the tools print warnings their own way); other threads, and
    this one at other times, log as usual."""

    collecting = threading.local()

    def filter(self, record):
        messages = getattr(self.collecting, 'messages', None)
        if messages is None or record.levelno < logging.WARNING:
            return True
        messages.append(record.getMessage())
        return False


_diverted = _Diverted()
logging.getLogger('zeoconf').addFilter(_diverted)


class _Warnings:
    """``with _Warnings() as messages``: what zeoconf logs at WARNING or
    above in this thread meanwhile, instead of logged."""

    def __enter__(self):
        self.outer = getattr(_Diverted.collecting, 'messages', None)
        messages = _Diverted.collecting.messages = []
        return messages

    def __exit__(self, *exc):
        _Diverted.collecting.messages = self.outer


BOM_MESSAGE = ('the file starts with a UTF-8 byte order mark, which ZConfig '
                'reads as part of the first line; save it without one')


def load_text(text, schema, url=None, offline=False, warnings=False,
              loader=None):
    """Load configuration *text* with *schema*: a :class:`Loaded`.

    Every problem raises a ``ZConfig.ConfigurationError`` whose
    ``lineno`` and ``url`` locate it where anything can (see
    :func:`zeoconf.errors.describe`), with a hint where ZConfig's words do
    not say what to do (:mod:`zeoconf.hints`). With *warnings*, what
    zeoconf logs while reading is collected in ``Loaded.warnings`` instead
    of logged. A file that starts with a UTF-8 byte order mark is refused
    (ZConfig would refuse its first line); *loader*, a :class:`Loader`
    made by the caller, is used instead of a new one and may allow it.
    """
    loader = loader or Loader(schema, offline)
    outer, keys.reading.loader = keys.current_loader(), loader
    collected = []
    try:
        if warnings:
            with _Warnings() as collected:
                config, _ = loader.loadFile(io.StringIO(text), url)
        else:
            config, _ = loader.loadFile(io.StringIO(text), url)
    except ZConfig.ConfigurationError as e:
        from zeoconf.hints import explain
        raise explain(errors.relocated(e, loader), loader.texts) from None
    except KeyboardInterrupt:
        raise
    except (Exception, SystemExit) as e:
        # Only ZConfig's own handling of odd input lets these through.
        raise errors.unexpected(e, url) from None
    finally:
        keys.reading.loader = outer
    if loader.marked and not loader.allow_marks:
        raise ZConfig.ConfigurationSyntaxError(BOM_MESSAGE,
                                               loader.marked[0], 1)
    return Loaded(config, loader, url, collected)


def load_path(path, schema=None, offline=False, warnings=False):
    """Load the configuration file at *path*: see :func:`load_text`.

    *schema* is a schema object, or its name as the command line takes it
    (``'zodb'``, ``'zope'``, the path of a schema file); None reads a file
    that looks like a zope.conf with Zope's schema and any other with
    ZODB's (:func:`zeoconf.schemas.choose`).
    """
    text = read_text(path)
    if schema is None or isinstance(schema, str):
        from zeoconf.schemas import choose
        schema, _ = choose(schema, text)
    return load_text(text, schema, 'file://' + os.path.abspath(path),
                     offline, warnings)
