"""The read side, which never writes: queries and filters (`queries`), full-text search
(`search`), the health report (`status`), and the read-only web page (`web`)."""
