"""``python -m standpunt``."""

import atexit
import contextlib
import os
import signal
import sys
import threading
from types import FrameType


def _stopped_while_starting(signum: int, _frame: object) -> None:
    os.write(2, b"stopped\n")
    os._exit(128 + signum)


# A Ctrl-C while the command line is still being imported ends the command as a Ctrl-C at
# any later moment does: "stopped", exit code 130, no traceback of Python's import machinery
# (a command started with Ctrl-C ignored, as a shell starts one in the background, ignores it).
_interrupt = signal.getsignal(signal.SIGINT)
if _interrupt is signal.default_int_handler:
    signal.signal(signal.SIGINT, _stopped_while_starting)
from standpunt.cli import STOPS, main  # noqa: E402

signal.signal(signal.SIGINT, _interrupt)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """A stop (Ctrl-C, SIGTERM, a closed terminal) ends the command where it is: as
    KeyboardInterrupt or SystemExit, which the command line turns into "stopped"; not while
    Python imports a module, though, but a moment later."""
    if _importing(frame):
        # Raised inside the import system, the exception can be swallowed there ("Exception
        # ignored in ... _get_module_lock") and leave a module's lock held: every thread that
        # then imports that module, this one too, waits for ever. So the stop waits for the
        # import, asked again every hundredth of a second.
        _deferred[:] = [signum]
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    _deferred.clear()
    STOPS.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


#: A stop that came during an import, delivered when it is done (:func:`_stopped`).
_deferred: list[int] = []


def _ask_again(_signum: int, frame: FrameType | None) -> None:
    if _deferred:
        _stopped(_deferred[0], frame)


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` (the main thread's, where a signal's handler runs) is inside Python's
    import system, in the locks a fork takes and gives back (logging's, threading's), or in a
    finaliser, where an exception is swallowed the same way."""
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith("<frozen importlib") or code.co_name in _FRAGILE:
            return True
        frame = frame.f_back
    return False


#: What Python runs around a fork to keep locks sound, and an object's finaliser.
_FRAGILE = frozenset({"_acquireLock", "_releaseLock", "_after_fork", "_at_fork_reinit", "__del__"})


def run() -> None:
    """The command line, then the end of the process without the interpreter's teardown of
    everything it loaded (about a tenth of a second after a build, longer than some commands).

    The end is otherwise that of a normal exit: the exit handlers run (temporary folders
    removed, logs flushed), the output is flushed, and the exit code is the command's. When
    another thread still runs, the process ends the normal way, which waits for it.
    """
    for stop in (signal.SIGTERM, signal.SIGHUP):
        # a killed command (a CI job cancelled, `timeout`, the terminal closed) ends as an
        # interrupted one does: its render workers are stopped and its temporary files removed
        signal.signal(stop, _stopped)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _stopped)
    signal.signal(signal.SIGALRM, _ask_again)
    try:
        main()
        code = 0
    except SystemExit as end:
        if end.code is None or isinstance(end.code, int):
            code = end.code or 0
        else:  # as the interpreter does with a message
            print(end.code, file=sys.stderr)
            code = 1
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
