"""The build, in the order it runs.

``build.py`` is the entry point: a workspace folder and the options in, a :class:`BuildReport`
out; it owns the shortcut for a workspace where nothing changed and starts the render workers
early. ``run.py`` then runs the steps on the opened workspace: ``plan.py`` decides which outputs to
make, each with the hash of its inputs; ``cite.py`` resolves each position's citations with
pandoc; ``render.py`` hands the pages to the render workers (``pages.py`` says what each page
shows, ``attachments.py`` what its PDF carries); ``commit.py`` writes each finished output and
records it in the build state. ``report.py`` says what became of each position. ``diff.py`` makes
the redline of two versions, a page of its own.
"""
