"""The database: engine and sessions, typed models, the one writer of articles and seen URLs,
dedup fingerprints, developments, the alert outbox rows, locking and migrations."""
