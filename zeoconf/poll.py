"""Making ``disconnect-poll`` take effect on ZEO's client.

Imported by ``ClientStorageOpener.open()`` only: parsing never needs it.
"""

__all__ = ['client_factory', 'ZEOCompatibilityError']

from zeoconf.openers import ZEO_DISCONNECT_POLL


class ZEOCompatibilityError(RuntimeError):
    """The installed ZEO lacks something a configured option needs."""


def client_factory(disconnect_poll):
    """A ``_client_factory`` for ClientStorage that honours the poll.

    ``ClientStorage`` accepts ``disconnect_poll`` and drops it; the
    connection thread it creates, ``ZEO.asyncio.client.ClientThread``, does
    take ``disconnect_poll`` and waits that long (plus up to a second) after
    a failed attempt. ``ClientStorage`` lets a caller choose that thread
    class through ``_client_factory``; we pass the class with the poll
    bound. Returns ``None`` when the poll is ZEO's own default, and raises
    :class:`ZEOCompatibilityError` when the installed ZEO has no such hook.
    """
    import functools
    import inspect

    from ZEO.asyncio.client import ClientThread
    from ZEO.ClientStorage import ClientStorage
    storage_params = inspect.signature(ClientStorage.__init__).parameters
    thread_params = inspect.signature(ClientThread.__init__).parameters
    if ('_client_factory' in storage_params
            and 'disconnect_poll' in thread_params):
        return functools.partial(ClientThread,
                                 disconnect_poll=disconnect_poll)
    if disconnect_poll == ZEO_DISCONNECT_POLL:
        return None
    raise ZEOCompatibilityError(
        f'disconnect-poll {disconnect_poll:g} cannot take effect: the '
        f'installed ZEO has no ClientStorage(_client_factory=...) hook or '
        f'its ClientThread takes no disconnect_poll. Remove disconnect-poll '
        f'or install a ZEO version zeoconf supports.')
