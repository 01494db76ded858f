"""The database: engine and sessions (db), typed models, the one writer of articles (store) and
of seen URLs (seen), finding a text's original (originals, dedup), developments and grouping,
the alert outbox rows (outbox), the daemon lock (locking) and migrations."""
