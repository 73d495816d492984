"""The value types of the keys that a plain configuration seldom has.

:class:`Secret` holds the text of the ``<zeoclient>`` compatibility keys
(one of them is a password) and :class:`NamedCallable` the callable that
``password-function`` names. They live apart from :mod:`zeoconf.keys` so
that a process whose configuration has neither does not pay for creating
the two classes when it starts: :mod:`zeoconf.keys` imports this module
when a value first needs one.
"""

__all__ = ['Secret', 'NamedCallable']


class Secret:
    """A value that ``str`` and ``repr`` never show; :meth:`reveal` does."""

    __slots__ = ('_value',)

    def __init__(self, value):
        self._value = value

    def reveal(self):
        return self._value

    def __repr__(self):
        return '<redacted>'

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self):
        return hash(self._value)


class NamedCallable:
    """A callable named in a configuration (``password-function``):
    called as it is, shown and compared by the dotted name written.
    ``function`` is None in an offline review, which imports nothing."""

    __slots__ = ('name', 'function')

    def __init__(self, name, function):
        self.name, self.function = name, function

    def __call__(self):
        return self.function()

    def __eq__(self, other):
        return (isinstance(other, NamedCallable) and other.name == self.name
                and other.function is self.function)

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return self.name

    __str__ = __repr__
