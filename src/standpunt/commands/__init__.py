"""The commands: one function per command, plain arguments in, a result out.

The command line (:mod:`standpunt.cli`) parses the options, calls one function here and prints
the result it gets back; its exit table turns that result (or the exception raised instead) into
the exit code. Nothing here prints or exits, so each command can be called and tested alone.
"""
