-- The Telegram outbox: one row per (chat, message) of a hub event, written
-- by the replica where the event happened, in the transaction that writes
-- its webhook deliveries; sent, and retried, by the replica that runs the
-- bot (claimed with SKIP LOCKED on PostgreSQL). next_attempt_at doubles as
-- the claim's lease, as in webhook_deliveries. A sent row is deleted; a
-- failed one stays for staff until housekeeping prunes it.

-- +goose Up
CREATE TABLE telegram_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id         BIGINT NOT NULL,
    partner_id      TEXT,  -- the event's partner (NULL: none)
    event           TEXT NOT NULL,
    -- The message (at most 4096 UTF-16 units: longer notifications are
    -- split into rows), or the caption of a document.
    text            TEXT NOT NULL,
    -- A document (doc_name set) is a reference to a report the store
    -- already keeps, never its bytes: the run's artifact (doc_run_id) or
    -- the UAT session's (doc_uat_session) named doc_file, read when sent.
    -- So a row stays a few hundred bytes whatever the report's size, and
    -- the partner's five chats do not keep five copies of it.
    doc_name        TEXT NOT NULL DEFAULT '',
    doc_run_id      BIGINT,
    doc_uat_session TEXT,
    doc_file        TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);
CREATE INDEX telegram_outbox_due ON telegram_outbox (state, next_attempt_at);
CREATE INDEX telegram_outbox_chat ON telegram_outbox (chat_id, id);
CREATE INDEX telegram_outbox_created ON telegram_outbox (created_at);

-- +goose Down
DROP TABLE telegram_outbox;
