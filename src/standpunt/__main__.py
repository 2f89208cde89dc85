"""``python -m standpunt``."""

import atexit
import contextlib
import os
import signal
import sys
import threading

from standpunt.cli import main


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
