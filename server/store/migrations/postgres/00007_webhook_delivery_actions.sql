-- What staff do with a webhook's deliveries: a pending delivery is
-- cancelled when an edit of its webhook stops subscribing to its event
-- (state 'cancelled'), a failed or delivered one is redelivered as a new
-- row that names it (redelivery_of), and each attempt keeps the receiver's
-- HTTP status (response_status).

-- +goose Up
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_state_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_state_check
    CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled'));
-- The receiver's HTTP status on the latest attempt (NULL: no attempt yet,
-- or no answer: refused, reset, timed out).
ALTER TABLE webhook_deliveries ADD COLUMN response_status INTEGER;
-- The delivery this one redelivers (staff's Redeliver). No foreign key:
-- housekeeping may prune the original first.
ALTER TABLE webhook_deliveries ADD COLUMN redelivery_of BIGINT;

-- +goose Down
ALTER TABLE webhook_deliveries DROP COLUMN redelivery_of;
ALTER TABLE webhook_deliveries DROP COLUMN response_status;
UPDATE webhook_deliveries SET state = 'failed' WHERE state = 'cancelled';
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_state_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_state_check
    CHECK (state IN ('pending', 'delivered', 'failed'));
