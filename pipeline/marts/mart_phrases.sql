-- mart_phrases: one row per touchpoint, language and discouraged phrase found (key: touchpoint_id,
-- language, phrase_id). interactions: those whose text holds the phrase; agents: distinct agents
-- among them; pct_of_touchpoint: interactions / the touchpoint's volume in the period, 0-100.
with

hits as (
    select touchpoint_id, agent_id, unnest(phrases) as phrase
    from int_interaction_facts
    where in_period
),

volume as (
    select touchpoint_id, count(*) as volume
    from int_interaction_facts
    where in_period
    group by touchpoint_id
),

grouped as (
    select
        touchpoint_id,
        phrase.language as language,
        phrase.phrase_id as phrase_id,
        count(*) as interactions,
        count(distinct agent_id) as agents
    from hits
    group by touchpoint_id, phrase.language, phrase.phrase_id
),

final as (
    select
        g.touchpoint_id,
        g.language,
        g.phrase_id,
        g.interactions,
        g.agents,
        100.0 * g.interactions / v.volume as pct_of_touchpoint
    from grouped as g
    inner join volume as v
        on v.touchpoint_id = g.touchpoint_id
)

select * from final
order by touchpoint_id, language, phrase_id
