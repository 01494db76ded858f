"""full-text search: search forms on articles, articles_fts kept in step by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00

SQLite gets a contentless FTS5 table, PostgreSQL a side table with a weighted tsvector and a
GIN index. Either way ``articles_fts`` is filled by triggers on ``articles``, so every writer
(crawl children, the daemon, a script) keeps the index in step without knowing about it.

The triggers index ``search_title`` / ``search_body`` (crawler.review.search.search_form, computed in
Python when an article is stored) and fall back to the raw title and ``normalized_text`` for a
row written without them, so such a row is still findable. The fallback turns '-' into a space:
PostgreSQL's parser would read "اس-400" as "اس" and the signed number "-400".

Never rebuild ``articles`` in batch mode after this revision: a batch rebuild drops triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _title(row: str) -> str:
    return (
        f"CASE WHEN {row}.search_title <> '' THEN {row}.search_title "
        f"ELSE replace({row}.title, '-', ' ') END"
    )


def _body(row: str) -> str:
    return (
        f"CASE WHEN {row}.search_body <> '' THEN {row}.search_body "
        f"ELSE replace({row}.normalized_text, '-', ' ') END"
    )


SQLITE_UP = [
    # Contentless: the article row already holds the text; snippets are made in Python.
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title, body, content='', tokenize='unicode61 remove_diacritics 2')",
    f"INSERT INTO articles_fts (rowid, title, body) "
    f"SELECT a.id, {_title('a')}, {_body('a')} FROM articles a",
    f"""CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, title, body)
        VALUES (new.id, {_title("new")}, {_body("new")});
    END""",
    # A contentless table forgets a row only when given the exact values it indexed.
    f"""CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, body)
        VALUES ('delete', old.id, {_title("old")}, {_body("old")});
    END""",
    f"""CREATE TRIGGER articles_fts_au
    AFTER UPDATE OF id, title, normalized_text, search_title, search_body ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, body)
        VALUES ('delete', old.id, {_title("old")}, {_body("old")});
        INSERT INTO articles_fts (rowid, title, body)
        VALUES (new.id, {_title("new")}, {_body("new")});
    END""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]

# tsvector has a 1 MB limit; an article body is far below it, but a pathological page must
# not make the insert (and so the whole store transaction) fail.
_PG_DOCUMENT = (
    "setweight(to_tsvector('simple', left({t}, 20000)), 'A') || "
    "setweight(to_tsvector('simple', left({b}, 400000)), 'B')"
)

PG_UP = [
    """CREATE TABLE articles_fts (
        article_id integer PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
        document tsvector NOT NULL
    )""",
    "INSERT INTO articles_fts (article_id, document) SELECT a.id, "
    + _PG_DOCUMENT.format(t=_title("a"), b=_body("a"))
    + " FROM articles a",
    "CREATE INDEX ix_articles_fts_document ON articles_fts USING gin (document)",
    """CREATE FUNCTION articles_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO articles_fts (article_id, document)
        VALUES (NEW.id, """
    + _PG_DOCUMENT.format(t=_title("NEW"), b=_body("NEW"))
    + """)
        ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER articles_fts_sync
    AFTER INSERT OR UPDATE OF title, normalized_text, search_title, search_body ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_fts_sync()""",
]

PG_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_sync ON articles",
    "DROP FUNCTION IF EXISTS articles_fts_sync()",
    "DROP TABLE IF EXISTS articles_fts",
]


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: a batch rebuild of articles would drop triggers.
    op.add_column(
        "articles", sa.Column("search_title", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "articles", sa.Column("search_body", sa.Text(), nullable=False, server_default="")
    )
    from crawler.storage.reindex import recompute_search_forms

    conn = op.get_bind()
    # Before the triggers exist: a contentless FTS5 table must never be asked to delete a row
    # it did not index.
    recompute_search_forms(conn)
    for statement in SQLITE_UP if conn.dialect.name == "sqlite" else PG_UP:
        op.execute(statement)


def downgrade() -> None:
    conn = op.get_bind()
    for statement in SQLITE_DOWN if conn.dialect.name == "sqlite" else PG_DOWN:
        op.execute(statement)
    op.drop_column("articles", "search_body")
    op.drop_column("articles", "search_title")
