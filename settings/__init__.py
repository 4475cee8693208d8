"""Scrapy settings for newsarchive: `base` values, then overrides from the environment.

Every upper-case setting can be overridden with an environment variable `NEWSARCHIVE_<NAME>`
(JSON values are parsed, so `NEWSARCHIVE_DEPTH_LIMIT=3` is an int). `ARCHIVE_URI` and
`REDIS_URL` are read under their own names because operators and containers expect them.
"""

from settings.base import *  # noqa: F403
from settings.env import apply_env_overrides

apply_env_overrides(globals())
