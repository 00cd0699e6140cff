#!/usr/bin/env python
"""Serve the app in production: host and port from the environment (see docs/deploy.md).

    LLMTRENDS_HOST=127.0.0.1 LLMTRENDS_PORT=8000 LLMTRENDS_DATA=/srv/llmtrends/data python scripts/serve.py

The same as ``shiny run --host HOST --port PORT app.py`` without Shiny's development mode
(no autoreload, no dev error pages); the systemd unit in deploy/ runs this.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmtrends import config  # noqa: E402


def main() -> int:
    import shiny

    level = logging.getLevelName(config.log_level()).lower()
    shiny.run_app("app:app", host=config.host(), port=config.port(), app_dir=str(ROOT),
                  log_level=level if level in {"critical", "error", "warning", "info", "debug"} else "info",
                  dev_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
