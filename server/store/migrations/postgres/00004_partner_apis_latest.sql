-- The overview's "latest run" and "latest finished run" of each registered
-- API, kept on partner_apis by the run transactions (insertRun, finishRun,
-- SetPartnerAPIs) instead of two MAX probes of run_apis per row at read
-- time: the overview then reads 2,000 rows and joins runs by primary key.

-- +goose Up
ALTER TABLE partner_apis ADD COLUMN latest_run_id BIGINT;
ALTER TABLE partner_apis ADD COLUMN done_run_id BIGINT;
UPDATE partner_apis SET
    latest_run_id = (SELECT MAX(x.run_id) FROM run_apis x
                     WHERE x.partner_id = partner_apis.partner_id AND x.api = partner_apis.api),
    done_run_id = (SELECT MAX(x.run_id) FROM run_apis x
                   WHERE x.partner_id = partner_apis.partner_id AND x.api = partner_apis.api AND x.state = 'done');

-- +goose Down
ALTER TABLE partner_apis DROP COLUMN done_run_id;
ALTER TABLE partner_apis DROP COLUMN latest_run_id;
