"""The read side: queries, full-text search, status, and the read-only web page."""
