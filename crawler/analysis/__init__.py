"""Text in, `Analysis` out: the watchlist matcher (`matcher`), page extraction (`extract`),
topics, countries and amounts (`classify`, rules in `lexicons/`), and both together
(`analyzer`); `cues` are the context words the matcher weighs; `prefilter` tells which of many regexes can match a text. Pure: imports nothing
from storage, crawl, alerts or review."""
