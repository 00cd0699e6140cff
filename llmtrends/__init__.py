"""llmtrends: track open-source AI progress on the Hugging Face Open LLM Leaderboard.

The library is importable without Shiny: sources -> prepare -> (hub) -> store feed the
processed snapshots; ``llmtrends.views`` turns a snapshot into plotted tables and figures.
"""

__version__ = "0.1.0"
