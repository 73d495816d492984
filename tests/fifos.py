"""Running code that must not block on a FIFO, for the tests."""

import os
import threading

import pytest


def without_blocking(fifo, function):
    """function(), run in a thread. Should it block reading the FIFO
    (opening one for reading waits for a writer), the FIFO is opened for
    writing and closed until it is released, and the test fails."""
    outcome = {}

    def run():
        try:
            outcome['value'] = function()
        except BaseException as e:
            outcome['error'] = e
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)     # a guard against hanging the run, not a timing
    if thread.is_alive():
        while thread.is_alive():        # it may open the FIFO again
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:             # no reader at this moment
                pass
            thread.join(0.1)
        pytest.fail(f'{function} blocked on the FIFO {fifo}')
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']
