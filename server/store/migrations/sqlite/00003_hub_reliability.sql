-- Replicas sharing one database: periodic work claimed once, and outgoing
-- webhooks delivered from a durable outbox with retries.

-- +goose Up
-- One row per periodic job (a schedule, the hourly housekeeping): the latest
-- tick a replica claimed. A conditional upsert moves it forward; only the
-- replica whose statement changed the row carries the tick out.
CREATE TABLE hub_ticks (
    name    TEXT PRIMARY KEY,
    last_at BIGINT NOT NULL
);

-- The webhook outbox: one row per (webhook, event), written when the event
-- happens, delivered and retried by every replica's delivery loop (claimed
-- with SKIP LOCKED on PostgreSQL). next_attempt_at doubles as the claim's
-- lease: a claimed row is pushed into the future until its attempt ends.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    partner_id      TEXT,  -- the event's partner (NULL: none)
    event           TEXT NOT NULL,
    payload         BLOB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE hub_ticks;
