-- UAT sessions served by the hub: where the partner's client points, the
-- deadline, why a session ended, whether it was live or a graded HAR, its
-- files and its item outcomes (which count in checklist progress).

-- +goose Up
ALTER TABLE uat_sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'live' CHECK (source IN ('live', 'har'));
ALTER TABLE uat_sessions ADD COLUMN base_url TEXT NOT NULL DEFAULT '';
ALTER TABLE uat_sessions ADD COLUMN deadline BIGINT;
ALTER TABLE uat_sessions ADD COLUMN end_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX uat_sessions_state ON uat_sessions (state, partner_id);

CREATE TABLE uat_artifacts (
    session_id   TEXT NOT NULL REFERENCES uat_sessions (id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB,
    PRIMARY KEY (session_id, name)
);

-- Like item_results, for the client checklist items of closed sessions.
CREATE TABLE uat_item_results (
    session_id TEXT NOT NULL REFERENCES uat_sessions (id),
    partner_id TEXT NOT NULL,
    api        TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    severity   TEXT NOT NULL,
    category   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX uat_item_results_session ON uat_item_results (session_id);
CREATE INDEX uat_item_results_progress ON uat_item_results (partner_id, api, item_id, status);

-- +goose Down
DROP TABLE uat_item_results;
DROP TABLE uat_artifacts;
DROP INDEX uat_sessions_state;
ALTER TABLE uat_sessions DROP COLUMN end_reason;
ALTER TABLE uat_sessions DROP COLUMN deadline;
ALTER TABLE uat_sessions DROP COLUMN base_url;
ALTER TABLE uat_sessions DROP COLUMN source;
