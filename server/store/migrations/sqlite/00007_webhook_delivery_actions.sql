-- What staff do with a webhook's deliveries: a pending delivery is
-- cancelled when an edit of its webhook stops subscribing to its event
-- (state 'cancelled'), a failed or delivered one is redelivered as a new
-- row that names it (redelivery_of), and each attempt keeps the receiver's
-- HTTP status (response_status).
--
-- SQLite cannot change a CHECK constraint in place, so the table is
-- rebuilt with its rows, ids and AUTOINCREMENT sequence: receivers
-- deduplicate on the delivery id, so an id is never handed out twice,
-- even one whose row housekeeping pruned.

-- +goose Up
ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_old;
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    partner_id      TEXT,  -- the event's partner (NULL: none)
    event           TEXT NOT NULL,
    payload         BLOB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    -- The receiver's HTTP status on the latest attempt (NULL: no attempt
    -- yet, or no answer: refused, reset, timed out).
    response_status INTEGER,
    -- The delivery this one redelivers (staff's Redeliver). No foreign
    -- key: housekeeping may prune the original first.
    redelivery_of   BIGINT
);
INSERT INTO webhook_deliveries (id, webhook_id, partner_id, event, payload, state, attempts, next_attempt_at,
    last_error, created_at, delivered_at)
SELECT id, webhook_id, partner_id, event, payload, state, attempts, next_attempt_at, last_error, created_at,
    delivered_at FROM webhook_deliveries_old;
DELETE FROM sqlite_sequence WHERE name = 'webhook_deliveries';
INSERT INTO sqlite_sequence (name, seq) SELECT 'webhook_deliveries', seq FROM sqlite_sequence
    WHERE name = 'webhook_deliveries_old';
DROP TABLE webhook_deliveries_old;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- +goose Down
ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_new;
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    partner_id      TEXT,
    event           TEXT NOT NULL,
    payload         BLOB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
INSERT INTO webhook_deliveries (id, webhook_id, partner_id, event, payload, state, attempts, next_attempt_at,
    last_error, created_at, delivered_at)
SELECT id, webhook_id, partner_id, event, payload, CASE state WHEN 'cancelled' THEN 'failed' ELSE state END,
    attempts, next_attempt_at, last_error, created_at, delivered_at FROM webhook_deliveries_new;
DELETE FROM sqlite_sequence WHERE name = 'webhook_deliveries';
INSERT INTO sqlite_sequence (name, seq) SELECT 'webhook_deliveries', seq FROM sqlite_sequence
    WHERE name = 'webhook_deliveries_new';
DROP TABLE webhook_deliveries_new;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
