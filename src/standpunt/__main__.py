"""``python -m standpunt``."""

import atexit
import contextlib
import os
import signal
import sys
import threading


def _stopped_while_starting(signum: int, _frame: object) -> None:
    os.write(2, b"stopped\n")
    os._exit(128 + signum)


# A Ctrl-C while the command line is still being imported ends the command as a Ctrl-C at
# any later moment does: "stopped", exit code 130, no traceback of Python's import machinery
# (a command started with Ctrl-C ignored, as a shell starts one in the background, ignores it).
_interrupt = signal.getsignal(signal.SIGINT)
if _interrupt is signal.default_int_handler:
    signal.signal(signal.SIGINT, _stopped_while_starting)
from standpunt.cli import main  # noqa: E402

signal.signal(signal.SIGINT, _interrupt)


def _stopped(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


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
