"""Serving: what turns a view's figure into bytes a browser gets, fast, for many sessions.

``render`` draws a figure, ``workers`` draw them in a process pool (started by
``_forkserver``), ``cache`` keeps tables and PNGs, ``figure_urls``
serves PNGs by content key, ``default_figures`` stores each board's default figures beside
its snapshot, ``speedups`` are same-result patches of pandas and matplotlib, ``sendqueue`` bounds what a
slow client holds, and ``live`` follows new snapshots.
"""
