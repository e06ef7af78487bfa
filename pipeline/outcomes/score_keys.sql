-- score_keys: the interactions an incremental score must (re)compute (key: source,
-- interaction_id). New: not scored yet. Clock-bound: a repeat window still open, or a deadline
-- not yet passed, at the last score's as-of time ($previous_as_of) — their outcome may have
-- changed since. Neighbours: every contact of the same customer on the same topic as one of
-- those, as a new contact can be the next contact of an older one.
create or replace temp table score_keys as
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

neighbours as (
    select i.source, i.interaction_id
    from interactions as i
    semi join threads as t
        on t.customer_id = i.customer_id and t.topic = lower(trim(i.topic))
)

select * from changed
union
select * from neighbours
