"""Ctrl-C noted where it lands and acted on between steps.

Python raises KeyboardInterrupt wherever the main thread is when the signal comes. Inside
TensorFlow that can go wrong: raised in its data pipeline it comes out as another error, and
raised in a finalizer it is printed and dropped, so a style transfer once ran on after Ctrl-C
(tests/test_cli.py's Ctrl-C test, on a busy machine). Within `between_steps()` the first Ctrl-C
is only noted; the loop calls the function it yields after each step, which raises
KeyboardInterrupt there, and so does the block's end, however it ends, if the loop did not.
A second Ctrl-C interrupts at once, as before, for a step that hangs.

    with interrupts.between_steps() as check:
        for ...:
            step()
            check()
"""
import contextlib
import signal
import threading


@contextlib.contextmanager
def between_steps():
    """Yields a function that raises KeyboardInterrupt if Ctrl-C came since the block began. Outside
    the main thread (the studio's jobs), where Python cannot take signals, and where Ctrl-C is
    ignored, it is left alone."""
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous in (None, signal.SIG_IGN):  # not the main thread, a handler set outside Python, or ignored
        yield lambda: None
        return
    noted = []

    def note(number, frame):
        noted.append(number)
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C interrupts at once

    def check():
        if noted:
            noted.clear()  # raised once
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, previous)
        check()  # a Ctrl-C noted after the last check (a block ended by its loop, a stall, an error) is not dropped
