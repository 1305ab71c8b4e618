-- Which hub replica serves a live UAT session (its worker name) and where
-- the other replicas reach it: they forward the session's traffic there,
-- and a replica starting up interrupts only the sessions it served.

-- +goose Up
ALTER TABLE uat_sessions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE uat_sessions ADD COLUMN owner_url TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE uat_sessions DROP COLUMN owner_url;
ALTER TABLE uat_sessions DROP COLUMN owner;
