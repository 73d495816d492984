"""zeoconf's own loading: ZConfig's public loader API, every key's line.

``client_kwargs``, ``parse_clientstorage`` and the ``zeoconf`` command
read configurations through :class:`Loader`, which gives the lines of a
rule across keys, of a key given twice and of a failing directive, hides
secrets in ZConfig's ``$`` errors, and refuses what no configuration file
is. :func:`schema_loader` with *offline* loads a schema whose datatypes
look at nothing on this machine.
"""

import collections
import io
import logging
import os
import re
import time
import urllib.parse
import urllib.request

import ZConfig
import ZConfig.datatypes
import ZConfig.loader
import ZConfig.substitution

from zeoconf import datatypes, keys, openers

log = logging.getLogger('zeoconf')

BOM_MESSAGE = ('the file starts with a UTF-8 byte order mark, which ZConfig '
               'reads as part of the first line; save it without one')

#: The longest value a line may have once ``$name`` references are
#: substituted: far more than any real value, and a bound on what a chain
#: of ``%define``s (each doubling the last) may make ZConfig build.
MAX_VALUE_LENGTH = 1 << 16
#: How deep ``%include`` may nest.
MAX_INCLUDE_DEPTH = 50
#: How many ``%include``s one load may follow, all files together (a file
#: included twice counts twice). Depth alone bounds nothing: when each file
#: includes the next twice, the work doubles with each file, and 30 small
#: files would be a billion includes. Real configurations include a handful
#: of files; 1000 is far past that, and, with each file at most
#: ``datatypes.MAX_FILE_SIZE``, bounds what one load reads (1000 small
#: files take well under a second).
MAX_INCLUDES = 1000
#: Seconds a ``%include`` of an ``http:`` or ``https:`` URL may take, the
#: whole fetch: a server that sends a byte now and then never lets a
#: socket's own timeout (the same number, for each read) pass.
FETCH_TIMEOUT = 10
#: Bytes asked of a fetched URL at a time; a read returns what has come.
_FETCH_CHUNK = 1 << 16

# A %define as ZConfig's parser reads one, matched against the line
# stripped as it strips it (str.strip(): any white space, a form feed or a
# no-break space too): "%define" in lower case (ZConfig knows no other
# spelling), ended where its directive names end, at white space or a
# parenthesis; then the name and the value, split at white space as
# str.split() does (re's \s is the same set of characters).
_DEFINE = r'%define(?![^\s()])\s*(\S+)\s*(.*)'
# ZConfig's substitutions: $$ (a literal $), ${name} or $name (a %define),
# $(NAME) (a variable of the environment).
_NAME = r'[A-Za-z_][A-Za-z0-9_]*'
_REFERENCE = rf'\$(?:\$|\{{({_NAME})\}}|({_NAME})|\(({_NAME})\))'


class OfflineRegistry(ZConfig.datatypes.Registry):
    """The registry of :func:`offline_registry`."""


def offline_registry():
    """A ``ZConfig.datatypes.Registry`` whose datatypes that look at this
    machine (zeoconf's, ZConfig's ``existing-*``) check the text only."""
    stock = dict(ZConfig.datatypes.stock_datatypes)
    for name in ('existing-directory', 'existing-dirpath', 'existing-file',
                 'existing-path'):
        stock[name] = os.path.expanduser
    registry = OfflineRegistry(stock)
    for name, conversion in keys.OFFLINE.items():
        registry.register(name, conversion)
    registry.register('zeoconf.openers.SSLOpener', openers.OfflineSSLOpener)
    registry.register('zeoconf.openers.ClientStorageOpener',
                      openers.OfflineClientStorageOpener)
    return registry


def schema_loader(offline=False):
    """A ``ZConfig.loader.SchemaLoader``; with *offline*, of the
    :func:`offline_registry`, which an ``%import`` then uses too."""
    return ZConfig.loader.SchemaLoader(offline_registry() if offline
                                       else None)


def where(line, url, here):
    """``line N`` of the file *here*, ``FILE:N`` of another."""
    return f'line {line}' if url == here else f'{file_of(url)}:{line}'


class _Recorder:
    """Stands for a ZConfig matcher and notes where each key was given."""

    def __init__(self, matcher):
        self.matcher = matcher
        self.positions = {}     # {key: [(lineno, url), ...]}

    def addValue(self, key, value, position):
        name, lineno, url = key.lower(), position[0], position[2]
        try:
            self.matcher.addValue(key, value, position)
        except ZConfig.ConfigurationError as e:
            first = self.positions.get(name)
            if first and not isinstance(e, ZConfig.DataConversionError):
                # ZConfig's "does not support multiple values", said with
                # both lines.
                raise ZConfig.ConfigurationSyntaxError(
                    f'{name[:60]} is given twice (first on '
                    f'{where(*first[0], url)}); keep one', url,
                    lineno) from None
            raise
        self.positions.setdefault(name, []).append((lineno, url))

    def __getattr__(self, name):
        # Everything else the parser and the loader ask of a matcher.
        return getattr(self.matcher, name)


class Loader(ZConfig.loader.ConfigLoader):
    """A ``ConfigLoader`` that locates every key, directive and error.

    *blank*: ``{url: {line number: text}}``, lines read as other text
    (``check`` reads on past a problem so). *allow_marks*: read a file
    that starts with a UTF-8 byte order mark (``marked`` lists them). After
    a load, ``texts`` maps each file's URL to its text, and ``included``
    each included file to where it was first included, ``(url, line)``.
    Under a schema loaded offline, an ``%include`` URL is not fetched.
    """

    def __init__(self, schema, blank=None, allow_marks=False):
        super().__init__(schema)
        self.blank = blank or {}
        self.allow_marks = allow_marks
        self.offline = isinstance(schema.registry, OfflineRegistry)
        self.texts = {}
        self.marked = []
        self.included = {}
        self.located = None         # a SectionError, at its key's line
        self._lengths = {}          # {%define name: its longest value}
        self._positions = {}        # {matcher: {key: [(lineno, url)]}}
        self._reading = []          # urls of the files being read
        self._includes = 0          # %includes followed so far
        self._directives = {}       # {(url, name): lines of %name to come}

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
            # enclosing section; the loader keeps it with its key's line.
            self.located = self.locate(e)
            raise

    def positions(self, section):
        """``{key: [(lineno, url), ...]}`` of a ``SectionValue`` read."""
        return self._positions.get(section.getSectionMatcher(), {})

    def locate(self, error):
        """A ``SectionError`` at the line of the key it names first, with
        the lines of the others in its message."""
        positions = self.positions(error.section)
        message, first = error.text, None
        for key in error.keys:
            given = positions.get(key)
            if not given:
                continue
            if first is None:
                # The first key named is at fault in one of its values.
                first = given[min(error.occurrence, len(given) - 1)
                              if key == error.keys[0] else 0]
            else:
                message += f' ({key}: {where(*given[0], first[1])})'
        located = openers.SectionError(error.section, message)
        located.keys, located.occurrence = error.keys, error.occurrence
        if first:
            located.lineno, located.url = first
        return located

    def openResource(self, url):
        url = str(url)
        if url.startswith('file:'):
            text = read_text(file_of(url))     # raises ConfigurationError
        elif url.split(':', 1)[0].lower() in ('http', 'https', 'ftp'):
            text = self._fetch(url)
        else:
            return super().openResource(url)
        return self.createResource(io.StringIO(text), url)

    def _fetch(self, url):
        if self.offline:
            log.warning('%%include %s: not fetched: an offline review reads '
                        'no URL', file_of(url))
            return ''
        # One deadline for the whole fetch, checked between reads of the
        # body. The status line and headers, which urlopen reads, have the
        # socket's timeout for each read only (http.client bounds their
        # number and length): the deadline counts their time, once passed.
        deadline = time.monotonic() + FETCH_TIMEOUT
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as f:
                return _text_of(_fetched(f, deadline, url), file_of(url),
                                url)
        except (OSError, ValueError) as e:
            reason = getattr(e, 'reason', None) or e
            raise ZConfig.ConfigurationError(
                f'cannot fetch {file_of(url)}: {reason}', url) from None

    def createResource(self, file, url):
        if url and str(url).startswith('package:'):
            return super().createResource(file, url)
        text = file.read()
        if text.startswith('\ufeff'):
            # ZConfig would read the mark as part of the first line.
            text = text[1:]
            self.marked.append(url)
            if not self.allow_marks:
                raise ZConfig.ConfigurationSyntaxError(BOM_MESSAGE, url, 1)
        self.texts[url] = text
        if self.blank.get(url):
            text = _blanked(text, self.blank[url])
        _check_lengths(text, url, self._lengths)
        self._reading.append(url)
        for name in ('import', 'include'):
            self._directives[url, name] = _directive_lines(text, name)
        return super().createResource(io.StringIO(text), url)

    def importSchemaComponent(self, pkgname):
        lineno, url = self._directive('import')
        try:
            super().importSchemaComponent(pkgname)
        except (Exception, SystemExit) as e:
            # Not what interrupts the process meanwhile: Ctrl-C, an alarm.
            raise at_line(f'%import {pkgname}: {_import_failure(e, pkgname)}',
                          url, lineno) from None

    def includeConfiguration(self, section, url, defines):
        lineno, here = self._directive('include')
        if len(self._reading) >= MAX_INCLUDE_DEPTH:
            raise at_line('%include: includes nested too deeply', here,
                          lineno)
        self._includes += 1
        if self._includes > MAX_INCLUDES:
            raise at_line(f'%include: more than {MAX_INCLUDES:,} %includes '
                          f'in one load (a file included twice counts '
                          f'twice); include each file once', here, lineno)
        if self.normalizeURL(url) in self._reading:
            raise at_line(f'%include: {file_of(url)} includes itself '
                          f'(through this %include); include each file '
                          f'once', here, lineno)
        # Each file's first includer was read before it: following them
        # from any file ends at the top one.
        self.included.setdefault(self.normalizeURL(url), (here, lineno))
        depth = len(self._reading)
        try:
            super().includeConfiguration(section, url, defines)
        except ZConfig.ConfigurationError as e:
            if getattr(e, 'lineno', None):
                raise       # an error inside the included file
            raise at_line(f'%include: {e.message}', here, lineno) from None
        finally:
            del self._reading[depth:]

    def _directive(self, name):
        """``(lineno, url)`` of the ``%name`` being handled."""
        url = self._reading[-1]
        return next(self._directives[url, name], None), url


def _directive_lines(text, name):
    """The numbers of the lines of *text* that hold ``%name``, in one
    search over the text."""
    line, position = 1, 0
    for found in re.finditer(rf'^[^\S\n]*%{name}\b', text, re.MULTILINE):
        line += text.count('\n', position, found.start())
        position = found.start()
        yield line


def _check_lengths(text, url, lengths):
    """Refuse a line whose value would pass :data:`MAX_VALUE_LENGTH` once
    substituted, before ZConfig builds it; *lengths*: each ``%define``'s
    longest value so far."""
    if '$' not in text:
        return
    for number, line in enumerate(text.split('\n'), 1):
        define = re.match(_DEFINE, line.strip())
        if define is None and '$' not in line:
            continue
        value = define.group(2) if define else line
        length = len(value)
        for found in re.finditer(_REFERENCE, value):
            length += _substituted_length(found, lengths) - len(found.group(0))
        if length > MAX_VALUE_LENGTH:
            what = (f'%define {define.group(1)}: its value' if define
                    else 'this line')
            raise ZConfig.ConfigurationSyntaxError(
                f'{what} would be {length:,} characters long once '
                f'substituted; zeoconf reads values of at most '
                f'{MAX_VALUE_LENGTH:,}', url, number)
        if define:
            name = define.group(1).lower()
            lengths[name] = max(lengths.get(name, 0), length)


def _substituted_length(reference, lengths):
    """How long the text ZConfig puts for *reference* (a match of
    ``_REFERENCE``) is: ``$$`` one ``$``; ``$name`` the ``%define``'s
    value, at most as long as *lengths* says; ``$(NAME)`` the variable's
    value, which ZConfig reads from the environment as the line is parsed,
    during this same load (unset, ZConfig refuses the line: 0)."""
    braced, name, variable = reference.groups()
    if variable:
        return len(os.environ.get(variable, ''))
    if braced or name:
        return lengths.get((braced or name).lower(), 0)
    return 1


def _blanked(text, lines):
    """*text* with the lines of *lines* (``{number: text}``) replaced."""
    found = text.split('\n')   # lines as ZConfig's parser reads them
    for number, replacement in lines.items():
        if 0 < number <= len(found):
            found[number - 1] = replacement
    return '\n'.join(found)


def _line(text, lineno):
    lines = text.split('\n')
    return lines[lineno - 1] if lineno and 0 < lineno <= len(lines) else None


def at_line(message, url, lineno):
    """A ``ConfigurationError`` at line *lineno* of *url*, if known."""
    if lineno:
        return ZConfig.ConfigurationSyntaxError(message, url, lineno)
    return ZConfig.ConfigurationError(message, url)


def _import_failure(error, package):
    """What a failed ``%import`` says: never the text of what the
    package raised (it may hold a secret), only its type."""
    cause = error.__cause__ or error.__context__
    if isinstance(error, ZConfig.ConfigurationError):
        if cause is None:
            return error.message    # ZConfig's own words (not a package...)
        error = cause
    if isinstance(error, ModuleNotFoundError) and error.name and (
            package == error.name or package.startswith(error.name + '.')):
        return (f'could not load package {package}: no module named '
                f'{error.name!r}')
    what = type(error).__name__
    if isinstance(error, SystemExit):
        what = 'SystemExit (sys.exit() while it was imported)'
    return (f'importing {package} raised {what}; its text is not shown '
            f'(run python -c "import {package}" to see it)')


def internal_error(error):
    """zeoconf failed on a file: said by the exception's type, never its
    text (it may quote a value)."""
    return (f'zeoconf failed while reading this file ({type(error).__name__}'
            f'); this is a bug in zeoconf: please report it with the file')


def _reworded(error, texts):
    """*error* in words that quote no value. ZConfig's error for a ``$``
    it cannot replace quotes what follows the ``$`` (in a password, a
    piece of it) and gives no line for a malformed one; its error for
    ``%define PW=SECRET`` quotes the whole as a name."""
    url, lineno = error.url, getattr(error, 'lineno', None)
    line = _line(texts.get(url, ''), lineno)
    substitution = isinstance(error, (ZConfig.SubstitutionReplacementError,
                                      ZConfig.SubstitutionSyntaxError))
    if substitution and not lineno:
        url, lineno, line = _bad_dollar(texts)
    define = re.match(_DEFINE, (line or '').strip())
    if define and not ZConfig.substitution.isname(define.group(1)):
        name = re.split(r'[=:]', define.group(1), maxsplit=1)[0]
        return at_line(f'%define {name}...: not a name and a value; write '
                       f'%define NAME VALUE, with white space between '
                       f'them, not NAME=VALUE (the rest of the line is not '
                       f'shown)', url, lineno)
    if not substitution or not line or not line.split():
        return error
    first = line.split()[0].lower()
    what = first if first.startswith('%') else first[:60]
    name = getattr(error, 'name', None)
    if name in references(line)[1]:
        # $(NAME): a variable of the environment, named by the line itself.
        return at_line(f'{what}: the environment variable {name!r} is '
                       f'not set; set it, or write $$ for a literal $', url,
                       lineno)
    if first == '%define' or keys.secret_key(first) is not None:
        message = (f"{what}: its value holds a '$', which ZConfig reads as "
                   f"the start of a substitution, and the substitution "
                   f"failed (the value is not shown)")
    else:
        message = f'{what}: {error.message}'
    return at_line(f"{message}; write '$$' for a literal '$'", url, lineno)


def _bad_dollar(texts):
    """``(url, lineno, line)`` of the first line with a ``$`` ZConfig
    cannot read (in the last file read first: reading stopped there)."""
    for url in reversed(list(texts)):
        for number, line in enumerate(texts[url].split('\n'), 1):
            # ZConfig substitutes nothing in a comment.
            if not line.lstrip().startswith('#') and not references(line)[2]:
                return url, number, line
    return None, None, None


def references(value):
    """What the ``$`` references of *value* name, as ZConfig reads them:
    ``(defines, variables, readable)``, the ``%define`` names (lower case)
    and the environment variables, each once in order, and whether ZConfig
    can read every ``$`` of *value* (the names are those it can read)."""
    defines, variables = {}, {}
    for found in re.finditer(_REFERENCE, value):
        braced, name, variable = found.groups()
        if variable:
            variables[variable] = None
        elif braced or name:
            defines[(braced or name).lower()] = None
    readable = '$' not in re.sub(_REFERENCE, '', value)
    return list(defines), list(variables), readable


def file_of(url):
    """The path of a ``file:`` URL, as messages name it: relative to the
    working directory when it is below it; other URLs as they are, but a
    password in them."""
    if not url or not url.startswith('file:'):
        parts = urllib.parse.urlsplit(url or '')
        if parts.password is None:
            return url
        host = parts.netloc.rpartition('@')[2]
        return urllib.parse.urlunsplit(
            (parts.scheme, f'{parts.username}:{datatypes.REDACTED}@{host}',
             parts.path, parts.query, parts.fragment))
    path = urllib.parse.unquote(urllib.parse.urlparse(url).path)
    relative = os.path.relpath(path)
    return path if relative.startswith('..') else relative


def read_text(path):
    """The text of configuration file *path*; a ``ConfigurationError``
    for anything but a regular file of UTF-8 text of at most
    ``datatypes.MAX_FILE_SIZE`` (a FIFO or device is never opened)."""
    url = 'file://' + os.path.abspath(path)
    try:
        datatypes.regular_file(path, 'a configuration file')
        with open(path, 'rb') as f:
            return _text_of(f, path, url)
    except OSError as e:
        raise ZConfig.ConfigurationError(
            f'{path}: cannot read: {e.strerror}', url) from None
    except ValueError as e:
        raise ZConfig.ConfigurationError(str(e), url) from None


def _fetched(response, deadline, url):
    """The body of *response* (an open URL), as a binary file for
    :func:`_text_of`: read piece by piece, as it comes, no further than one
    byte past ``datatypes.MAX_FILE_SIZE``, and refused once the
    ``time.monotonic()`` *deadline* has passed. Each read still has the
    socket's timeout, so the fetch ends by about twice FETCH_TIMEOUT."""
    pieces, size = [], 0
    while size <= datatypes.MAX_FILE_SIZE:
        if time.monotonic() > deadline:
            raise ZConfig.ConfigurationError(
                f'cannot fetch {file_of(url)}: not read within '
                f'{FETCH_TIMEOUT:g} seconds; zeoconf gives an %include URL '
                f'{FETCH_TIMEOUT:g} seconds in all', url)
        # read1: what has arrived, from one read of the socket; read()
        # would wait for the whole piece.
        piece = response.read1(
            min(_FETCH_CHUNK, datatypes.MAX_FILE_SIZE + 1 - size))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return io.BytesIO(b''.join(pieces))


def _text_of(file, name, url):
    """The UTF-8 text of binary *file* (a file, or a fetched URL), read no
    further than one byte past ``datatypes.MAX_FILE_SIZE``: larger (a file
    that grew after its size was checked, a large URL) raises a
    ``ConfigurationError`` naming *name*, nothing cut; a byte that is not
    UTF-8 a ``ConfigurationSyntaxError`` at its line."""
    data = file.read(datatypes.MAX_FILE_SIZE + 1)
    if len(data) > datatypes.MAX_FILE_SIZE:
        raise ZConfig.ConfigurationError(
            f'{name} is more than {datatypes.MAX_FILE_SIZE >> 20} MB; a '
            f'configuration file is at most that', url)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise ZConfig.ConfigurationSyntaxError(
            f'{name} is not UTF-8 text (byte {e.start + 1})', url,
            data[:e.start].count(b'\n') + 1) from None


#: What :func:`load_text` and :func:`load_path` return: the configuration
#: object, the :class:`Loader` (``positions()``, ``texts``) and the URL.
Loaded = collections.namedtuple('Loaded', 'config loader url')


def load_text(text, schema, url=None, loader=None):
    """Load configuration *text* with *schema* (and *loader*, or a new
    :class:`Loader`): a :class:`Loaded`. Every problem raises a
    ``ZConfig.ConfigurationError`` at its line wherever one is known."""
    loader = loader or Loader(schema)
    try:
        config, _ = loader.loadFile(io.StringIO(text), url)
    except openers.SectionError as e:
        # A section at the top level, which no endSection sees.
        raise loader.located or loader.locate(e) from None
    except ZConfig.ConfigurationError as e:
        raise loader.located or _reworded(e, loader.texts) from None
    except (Exception, SystemExit) as e:
        # Only ZConfig's own handling of odd input lets these through.
        raise ZConfig.ConfigurationError(internal_error(e), url) from None
    return Loaded(config, loader, url)


def load_path(path, schema, loader=None):
    """Load the configuration file at *path*: see :func:`load_text`."""
    return load_text(read_text(path), schema,
                     'file://' + os.path.abspath(path), loader)
