"""``python -m standpunt``."""

import atexit
import contextlib
import os
import sys
import threading

from standpunt.cli import main


def run() -> None:
    """The command line, then the end of the process without the interpreter's teardown of
    everything it loaded (about a tenth of a second after a build, longer than some commands).

    The end is otherwise that of a normal exit: the exit handlers run (temporary folders
    removed, logs flushed), the output is flushed, and the exit code is the command's. When
    another thread still runs, the process ends the normal way, which waits for it.
    """
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
