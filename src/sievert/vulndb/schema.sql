-- Sievert vulnerability database. Every data table has a `feed` column (the source that wrote
-- the row) so an update can keep one source's rows from the previous database.
-- Indexes are created after the bulk load (see INDEXES below, in store.py).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE source_status (
    name       TEXT PRIMARY KEY,
    status     TEXT NOT NULL,          -- ok | failed | skipped | kept
    records    INTEGER NOT NULL,       -- vulnerability facts written
    affected   INTEGER NOT NULL,       -- Affected statements written
    notices    INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    message    TEXT NOT NULL,          -- errors / skipped files, one per line
    detail     TEXT NOT NULL           -- JSON: notices (capped) and file facts
);

-- One advisory statement (model.vuln.Affected); the matcher's lookup is (namespace, package).
CREATE TABLE affected (
    vuln_id       TEXT NOT NULL,
    namespace     TEXT NOT NULL,
    package       TEXT NOT NULL,
    source        TEXT NOT NULL,
    fix_state     TEXT NOT NULL,
    fixed_version TEXT NOT NULL,
    ranges        TEXT NOT NULL,       -- JSON [[type, [[kind, version], ...]], ...]
    versions      TEXT NOT NULL,       -- JSON [version, ...]
    severity      TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    note          TEXT NOT NULL,
    feed          TEXT NOT NULL
);

-- Descriptive facts about one id, one row per feed that describes it.
CREATE TABLE vuln (
    id          TEXT NOT NULL,
    feed        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    description TEXT NOT NULL,
    published   TEXT NOT NULL,
    modified    TEXT NOT NULL,
    cwes        TEXT NOT NULL,         -- JSON list
    refs        TEXT NOT NULL,         -- JSON list
    rejected    INTEGER NOT NULL,
    PRIMARY KEY (id, feed)
) WITHOUT ROWID;

CREATE TABLE alias (
    id    TEXT NOT NULL,
    alias TEXT NOT NULL,
    feed  TEXT NOT NULL,
    PRIMARY KEY (id, alias, feed)
) WITHOUT ROWID;

CREATE TABLE cvss (
    vuln_id    TEXT NOT NULL,
    version    TEXT NOT NULL,
    vector     TEXT NOT NULL,
    base_score REAL NOT NULL,
    severity   TEXT NOT NULL,
    source     TEXT NOT NULL,
    feed       TEXT NOT NULL,
    PRIMARY KEY (vuln_id, source, version, vector)
) WITHOUT ROWID;

CREATE TABLE kev (
    cve        TEXT PRIMARY KEY,
    date_added TEXT NOT NULL,
    due_date   TEXT NOT NULL,
    ransomware INTEGER NOT NULL,
    feed       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE epss (
    cve        TEXT PRIMARY KEY,
    score      REAL NOT NULL,
    percentile REAL NOT NULL,
    feed       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE exploit (
    cve       TEXT NOT NULL,
    source    TEXT NOT NULL,
    id        TEXT NOT NULL,
    url       TEXT NOT NULL,
    title     TEXT NOT NULL,
    published TEXT NOT NULL,
    feed      TEXT NOT NULL,
    PRIMARY KEY (cve, source, id)
) WITHOUT ROWID;
