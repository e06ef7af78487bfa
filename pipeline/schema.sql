-- Warehouse tables written by ingest. Time stamps are naive UTC.

-- interactions: one row per customer interaction (key: source, interaction_id)
create table if not exists interactions (
    interaction_id varchar not null,
    source         varchar not null,
    customer_id    varchar,
    occurred_at    timestamp not null,
    channel        varchar not null,  -- phone|email|sms|chat|web|social|in_person|letter|fax|app|
                                      -- referral|portal|other
    kind           varchar,           -- complaint|inquiry|compliment|feedback|request
    topic          varchar,
    promised_by    timestamp,
    promise_kept   boolean,
    resolved_at    timestamp,
    status         varchar,           -- resolved|unresolved|escalated|reopened|in_progress
    rating         double,            -- 1–5 after the source's scale conversion
    agent_id       varchar,
    text           varchar,
    language       varchar,
    source_file    varchar not null,
    source_row     bigint not null,
    file_hash      varchar not null,
    run_id         varchar not null
);

-- whose words (issue 14): `text` is of unknown author; staff's own words and the customer's own
-- are kept apart where the export tells them apart (discouraged phrases are looked for in staff's)
alter table interactions add column if not exists agent_text varchar;
alter table interactions add column if not exists customer_text varchar;
-- declared signals (a source mapping's `signals:`): one entry per signal with a value, its effect
-- (exceeds | meets | falls_short) and whether it is the customer's own verdict; NULL: none
alter table interactions add column if not exists signals
    struct(name varchar, effect varchar, customer boolean)[];

-- orders: one row per order (key: source, order_id)
create table if not exists orders (
    order_id    varchar not null,
    source      varchar not null,
    customer_id varchar not null,
    ordered_at  timestamp not null,
    amount      double,
    currency    varchar,
    source_file varchar not null,
    source_row  bigint not null,
    file_hash   varchar not null,
    run_id      varchar not null
);

-- Warehouses built before 2026-11-23 kept a hash of each row; duplicates are now told from
-- conflicts by comparing the values of the few contested rows.
alter table interactions drop column if exists row_hash;
alter table orders drop column if exists row_hash;

-- quarantine: one row per rejected input row, with its raw content and why
create table if not exists quarantine (
    run_id      varchar not null,
    source      varchar not null,
    target      varchar not null,    -- interactions | orders
    source_file varchar not null,
    source_row  bigint,
    file_hash   varchar not null,
    reason      varchar not null,    -- first reason, machine-readable (e.g. missing_required:customer_id)
    reasons     varchar[] not null,  -- every reason found
    raw         varchar              -- the row as read (JSON object of its columns, or the raw line)
);

-- runs: one row per pipeline run
create table if not exists runs (
    run_id       varchar primary key,
    started_at   timestamp not null,
    finished_at  timestamp,
    clock        timestamp not null,
    files_loaded integer,
    files_skipped integer,
    rows_read    bigint,
    staged       bigint,
    quarantined  bigint,
    duplicates   bigint
);
-- Warehouses built before 2026-12-06 kept a status that was always 'committed' (a run that did
-- not commit leaves no row); nothing read it.
alter table runs drop column if exists status;

-- run_files: one row per file a run looked at (grain: run, file)
create table if not exists run_files (
    run_id      varchar not null,
    source      varchar not null,
    target      varchar not null,
    source_file varchar not null,
    file_hash   varchar not null,
    status      varchar not null,    -- loaded | already_loaded
    rows_read   bigint not null,
    staged      bigint not null,
    quarantined bigint not null,
    duplicates  bigint not null,
    file_size   bigint,              -- bytes, and the modification time (ns) the run saw:
    file_mtime_ns bigint             -- the same path, size and time are not read again
);
alter table run_files add column if not exists file_size bigint;
alter table run_files add column if not exists file_mtime_ns bigint;
-- true when the source's mapping declares the time stamps (a constant, or the file's name)
alter table run_files add column if not exists dates_declared boolean;
-- a hash of the source's mapping the file was read with (loaded files only; see
-- ingest.mapping_hash): another mapping now means the file's rows are out of date
alter table run_files add column if not exists mapping_hash varchar;

-- validations: one row per expectation evaluated on a run's staged batch
create table if not exists validations (
    run_id      varchar not null,
    suite       varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity    varchar not null,    -- critical | warning | info
    success     boolean not null,
    unexpected_count bigint,
    observed    varchar
);
-- a batch-share expectation (`mostly`): the rows it judged and its `mostly`, so the report can
-- judge the sum over runs as one batch (NULL for other expectations and older runs)
alter table validations add column if not exists evaluated bigint;
alter table validations add column if not exists mostly double;

-- model_fingerprints: what each model's table was last built from (pipeline/models.py: a hash of
-- its SQL, parameters and inputs' fingerprints), or what an input the Python code provides held.
-- The same fingerprint: an incremental stage adds only what changed; another: a full rebuild.
create table if not exists model_fingerprints (
    model       varchar primary key,
    fingerprint varchar not null,
    as_of       timestamp,           -- the clock or data end it was built to (score, retention)
    run_id      varchar              -- the run that built it
);
-- replaced by model_fingerprints (one per model, not per stage): everything rebuilds once
drop table if exists stage_fingerprints;

-- workplan_actions: every action a report issued, one row per report period and action (key:
-- period, plan_id). plan_id names what the action is about, touchpoint and cause
-- (delivery/speed_missed), so the same problem next period continues the same action. A report
-- run again for a period replaces that period's rows.
create table if not exists workplan_actions (
    period         varchar not null,   -- the report period's label: 2026-Q3, 2026-07, ...
    period_start   date not null,
    period_end     date not null,
    plan_id        varchar not null,
    touchpoint_id  varchar not null,
    reason         varchar not null,
    action_id      varchar not null,   -- the playbook action answering it
    priority       varchar not null,
    owner          varchar,
    kpi            varchar,
    kpi_current    double,
    kpi_target     double,
    kpi_n          bigint,
    due            date,
    run_id         varchar not null,
    primary key (period, plan_id)
);
-- the KPI's 95% interval when the action was set (same unit as kpi_current), so a later report
-- can tell a moved KPI from chance (pipeline.report.followup)
alter table workplan_actions add column if not exists kpi_low double;
alter table workplan_actions add column if not exists kpi_high double;
