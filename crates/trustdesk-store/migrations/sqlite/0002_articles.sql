-- Knowledge-base articles. (locale, slug) identifies an article for
-- imports; tags are a JSON array.
CREATE TABLE articles (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL,
    locale      TEXT NOT NULL,
    category    TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    tags        TEXT NOT NULL,
    published   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (locale, slug)
);
