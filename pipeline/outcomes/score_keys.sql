-- score_keys: the interactions an incremental score must (re)compute (key: source,
-- interaction_id; target: its outcome is recomputed and replaced, else it is read only as context).
-- Targets: new rows (not scored yet); clock-bound rows (a repeat window still open, or a deadline
-- not yet passed, at the last score's as-of time $previous_as_of: their outcome may have changed
-- since); and the contact before each of those in its thread (same customer and topic, contacts
-- that ask for a resolution, in interaction_outcomes.sql's order), whose next contact may be new.
-- Context: the contact after each target, which its outcome is judged by.
with

new_rows as (
    select source, interaction_id
    from interactions
    anti join interaction_outcomes using (source, interaction_id)
),

clock_bound as (
    select source, interaction_id
    from interactions
    where occurred_at > cast($previous_as_of as timestamp)
        - to_days(cast($repeat_window_days as integer))
    union
    select source, interaction_id
    from interaction_outcomes
    where deadline >= cast($previous_as_of as timestamp)
),

changed as (
    select * from new_rows
    union
    select * from clock_bound
),

threads as (
    select distinct i.customer_id, lower(trim(i.topic)) as topic
    from interactions as i
    semi join changed as c using (source, interaction_id)
    where i.customer_id is not null and i.topic is not null
),

-- every contact of those threads that next_contacts in interaction_outcomes.sql orders, with the
-- one before it and the one after it
thread_contacts as (
    select
        i.source,
        i.interaction_id,
        lag(i.source) over thread as previous_source,
        lag(i.interaction_id) over thread as previous_id,
        lead(i.source) over thread as next_source,
        lead(i.interaction_id) over thread as next_id
    from interactions as i
    semi join threads as t
        on t.customer_id = i.customer_id and t.topic = lower(trim(i.topic))
    where coalesce(
        list_contains(cast($resolution_kinds as varchar[]), lower(trim(i.kind))), false
    )
    window thread as (
        partition by i.customer_id, lower(trim(i.topic))
        order by i.occurred_at, i.source, i.interaction_id
    )
),

targets as (
    select source, interaction_id from changed
    union
    select t.previous_source, t.previous_id
    from thread_contacts as t
    semi join changed as c using (source, interaction_id)
    where t.previous_id is not null
),

context as (
    select t.next_source as source, t.next_id as interaction_id
    from thread_contacts as t
    semi join targets as g using (source, interaction_id)
    where t.next_id is not null
)

select source, interaction_id, true as target from targets
union all
select source, interaction_id, false as target
from context
anti join targets using (source, interaction_id)
