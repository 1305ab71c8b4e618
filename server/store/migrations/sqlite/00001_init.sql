-- The hub's first schema. Times are Unix microseconds (BIGINT); ids are
-- random hex TEXT except runs and audit entries, which are sequential so that
-- "latest" is an index lookup and history pages by keyset.
-- Partners are never deleted (their runs and sign-offs are evidence): a
-- partner is archived through its status instead, so foreign keys restrict.

-- +goose Up
CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE, -- lower(trim(name)): "Acme" and "acme " are one partner
    contacts   TEXT NOT NULL DEFAULT '[]', -- JSON array of {name,email,phone,role}
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE, -- stored lower-case
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'bau', 'partner')),
    partner_id    TEXT REFERENCES partners (id),
    password_hash TEXT NOT NULL DEFAULT '', -- argon2id PHC string; '' = no password login
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    CHECK ((role = 'partner' AND partner_id IS NOT NULL) OR (role <> 'partner' AND partner_id IS NULL))
);
CREATE INDEX users_partner ON users (partner_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE, -- sha256 of the token; the token is shown once
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY, -- sha256 of the cookie value
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE environments (
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    name            TEXT NOT NULL CHECK (name IN ('staging', 'production')),
    base_url        TEXT NOT NULL,
    tls_ca_pem      TEXT NOT NULL DEFAULT '',
    tls_server_name TEXT NOT NULL DEFAULT '',
    tls_insecure    BOOLEAN NOT NULL DEFAULT FALSE,
    credentials     BLOB,  -- AES-256-GCM nonce || ciphertext of a JSON object
    credentials_key TEXT,  -- id of the key that sealed it
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (partner_id, name)
);

CREATE TABLE partner_apis (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    api        TEXT NOT NULL,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (partner_id, api)
);

CREATE TABLE runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id     TEXT NOT NULL REFERENCES partners (id),
    apis           TEXT NOT NULL, -- comma-separated, for display; run_apis indexes them
    environment    TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('web', 'api', 'cli-publish', 'schedule', 'telegram')),
    state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'interrupted', 'failed')),
    requested_by   TEXT NOT NULL DEFAULT '',
    allow_writes   BOOLEAN NOT NULL DEFAULT FALSE,
    verdict        TEXT NOT NULL DEFAULT '',
    exit_code      INTEGER,
    total          INTEGER NOT NULL DEFAULT 0,
    passed         INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    errored        INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,
    failure        TEXT NOT NULL DEFAULT '', -- why a run failed (state failed)
    results_run_id TEXT NOT NULL DEFAULT '', -- runId inside results.json
    created_at     BIGINT NOT NULL,
    started_at     BIGINT,
    finished_at    BIGINT
);
CREATE INDEX runs_partner ON runs (partner_id, id);
CREATE INDEX runs_state ON runs (state);

-- One row per (run, API): "latest run of partner P for API A" and "latest
-- finished run" are both index lookups. state mirrors runs.state.
CREATE TABLE run_apis (
    run_id     BIGINT NOT NULL REFERENCES runs (id),
    partner_id TEXT NOT NULL,
    api        TEXT NOT NULL,
    state      TEXT NOT NULL,
    PRIMARY KEY (run_id, api)
);
CREATE INDEX run_apis_latest ON run_apis (partner_id, api, run_id);
CREATE INDEX run_apis_latest_state ON run_apis (partner_id, api, state, run_id);

-- results.json exactly as produced, kept apart from runs so that history
-- and overview scans never read documents.
CREATE TABLE run_results (
    run_id   BIGINT PRIMARY KEY REFERENCES runs (id),
    document BLOB NOT NULL,
    sha256   TEXT NOT NULL
);

CREATE TABLE run_artifacts (
    run_id       BIGINT NOT NULL REFERENCES runs (id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB, -- NULL once pruned by retention; sha256 stays
    PRIMARY KEY (run_id, name)
);

-- Per-run item outcomes, filled from results.json at run insert: checklist
-- progress and diffs read these instead of parsing documents. partner_id and
-- api are copied here so "ever passed" is one index range.
CREATE TABLE item_results (
    run_id     BIGINT NOT NULL REFERENCES runs (id),
    partner_id TEXT NOT NULL,
    api        TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    severity   TEXT NOT NULL,
    category   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX item_results_run ON item_results (run_id);
CREATE INDEX item_results_progress ON item_results (partner_id, api, item_id, status);

-- The run queue: one row per run started on the hub (published runs never
-- queue). Claimed rows carry the worker that took them.
CREATE TABLE jobs (
    run_id     BIGINT PRIMARY KEY REFERENCES runs (id),
    state      TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'finished')),
    payload    BLOB NOT NULL,
    worker     TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    claimed_at BIGINT
);
CREATE INDEX jobs_queue ON jobs (state, run_id);

CREATE TABLE uat_sessions (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    apis       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'closed', 'interrupted')),
    created_by TEXT NOT NULL DEFAULT '',
    verdict    TEXT NOT NULL DEFAULT '',
    results    BLOB,
    started_at BIGINT NOT NULL,
    ended_at   BIGINT
);
CREATE INDEX uat_sessions_partner ON uat_sessions (partner_id, started_at);

CREATE TABLE signoffs (
    id              TEXT PRIMARY KEY,
    run_id          BIGINT NOT NULL REFERENCES runs (id),
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    user_id         TEXT NOT NULL, -- no foreign key: the record outlives the account
    user_email      TEXT NOT NULL, -- who, as they were at the time
    decision        TEXT NOT NULL CHECK (decision IN ('go', 'no-go')),
    note            TEXT NOT NULL DEFAULT '',
    evidence_sha256 TEXT NOT NULL,
    decided_at      BIGINT NOT NULL
);
CREATE INDEX signoffs_partner ON signoffs (partner_id, decided_at);

CREATE TABLE schedules (
    id           TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    cron         TEXT NOT NULL,
    api          TEXT NOT NULL,
    environment  TEXT NOT NULL,
    allow_writes BOOLEAN NOT NULL DEFAULT FALSE,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    last_run_id  BIGINT REFERENCES runs (id),
    last_run_at  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX schedules_partner ON schedules (partner_id);

CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    partner_id TEXT REFERENCES partners (id), -- NULL: team-wide
    url        TEXT NOT NULL,
    events     TEXT NOT NULL, -- comma-separated event names
    secret     BLOB,          -- sealed like environment credentials
    secret_key TEXT,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL, -- user id, or "system"
    role       TEXT NOT NULL,
    partner_id TEXT,          -- no foreign key: the log outlives what it names
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    params     TEXT NOT NULL DEFAULT '{}', -- JSON, secrets masked before storing
    outcome    TEXT NOT NULL
);
CREATE INDEX audit_log_partner ON audit_log (partner_id, id);

CREATE TABLE telegram_links (
    chat_id   BIGINT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at BIGINT NOT NULL
);

CREATE TABLE telegram_link_codes (
    code_hash  TEXT PRIMARY KEY, -- sha256 of the code shown to the user
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- +goose Down
DROP TABLE telegram_link_codes;
DROP TABLE telegram_links;
DROP TABLE audit_log;
DROP TABLE webhooks;
DROP TABLE schedules;
DROP TABLE signoffs;
DROP TABLE uat_sessions;
DROP TABLE jobs;
DROP TABLE item_results;
DROP TABLE run_artifacts;
DROP TABLE run_results;
DROP TABLE run_apis;
DROP TABLE runs;
DROP TABLE partner_apis;
DROP TABLE environments;
DROP TABLE web_sessions;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE partners;
