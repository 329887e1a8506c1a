/**
 * Format version 3: the investigation's state, stored in the same file as the data so one file is
 * the whole case. Everything here may come from someone else's machine: readers validate it.
 * (Version 2 is the analysis tables; the runner applies migrations in list order and tolerates gaps.)
 */
export const caseSchema = /* sql */ `
-- Notes and bookmarks. target holds the AnnotationTarget as JSON; target_type/target_key are
-- denormalised from it so a finding's or tunnel's notes can be found without parsing JSON.
CREATE TABLE annotations (
  id          VARCHAR PRIMARY KEY,
  kind        VARCHAR NOT NULL,        -- note | bookmark
  at_ts       TIMESTAMPTZ NOT NULL,    -- where the timeline jumps to
  target_type VARCHAR NOT NULL,        -- range | tunnel | finding | conversation | record
  target_key  VARCHAR,                 -- finding id, conversation id, 'vpn/ip', 'table:source:line'
  target      JSON NOT NULL,
  text        VARCHAR NOT NULL,
  tags        VARCHAR[] NOT NULL DEFAULT [],
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Queries the user saved from the SQL console. Listed when the file is opened, never run by it.
CREATE TABLE saved_queries (
  id         VARCHAR PRIMARY KEY,
  name       VARCHAR NOT NULL,
  sql        VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The analyst's verdict on a finding, keyed by the finding's deterministic id so it survives re-analysis.
CREATE TABLE finding_reviews (
  finding_id VARCHAR PRIMARY KEY,
  status     VARCHAR NOT NULL,         -- open | confirmed | dismissed
  note       VARCHAR NOT NULL DEFAULT '',
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row: the view to restore (time window, filters, replay position, selected finding, time zone).
CREATE TABLE view_state (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  state      JSON NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`;
