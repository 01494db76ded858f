"""Text in, `Analysis` out: the watchlist matcher, page extraction, topics, countries and
amounts. Pure: imports nothing from storage, crawl, alerts or review."""
