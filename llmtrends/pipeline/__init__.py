"""The pipeline: from a leaderboard or the Hub to a processed snapshot on disk.

``sources`` reads a leaderboard, ``prepare`` cleans it, ``hub`` enriches each model through
the Hub API, ``hubboard`` builds the live board from the Hub itself, ``lineage`` and
``providers`` classify, ``releases`` and ``benchmarks`` read the reference tables of
important releases and of the Hub's benchmarks, ``store`` writes and reads the dated
snapshots, ``history`` builds a board's past, and ``runner`` chains the steps for the
command line.
"""
