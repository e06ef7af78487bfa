-- interaction_touchpoints: one row per interaction (key: source, interaction_id).
-- The touchpoint of the first rule (lowest position) whose conditions all hold; 'unmapped' with a
-- null rule_id when none does. Field conditions are evaluated once per distinct combination of
-- source, channel, kind and topic (a few hundred, however many rows); texts are normalised and
-- searched only where a keyword rule comes before the combination's first field-only match.
-- Reads `map_input`: every interaction, or on an incremental run only those not mapped yet (a
-- row's touchpoint depends on the row and the catalog alone). The caller creates or inserts.
with

interactions as (
    select
        source,
        interaction_id,
        lower(trim(source)) as source_key,
        lower(trim(channel)) as channel_key,
        lower(trim(kind)) as kind_key,
        lower(trim(topic)) as topic_key,
        -- what the contact is about, in the words of unknown author and the customer's own;
        -- not staff's (a reply's boilerplate, "please DM us", would steer the keyword rules)
        case
            when customer_text is null then text
            when text is null then customer_text
            else text || ' . ' || customer_text
        end as text
    from map_input
),

rules as (
    select * from ref_touchpoint_rules
),

keywords as (
    select rule_id, pattern from ref_touchpoint_keywords
),

combos as (
    select distinct source_key, channel_key, kind_key, topic_key
    from interactions
),

field_matches as (
    select c.*, r.rule_id, r.position, r.has_keywords
    from combos as c
    inner join rules as r
        on tp_cond(r.sources, c.source_key)
        and tp_cond(r.channels, c.channel_key)
        and tp_cond(r.kinds, c.kind_key)
        and tp_cond(r.topics, c.topic_key)
),

first_plain as (
    select source_key, channel_key, kind_key, topic_key, min(position) as position
    from field_matches
    where not has_keywords
    group by source_key, channel_key, kind_key, topic_key
),

-- keyword rules that could still win: they come before the first rule without keywords
keyword_candidates as (
    select f.source_key, f.channel_key, f.kind_key, f.topic_key, f.rule_id, f.position
    from field_matches as f
    left join first_plain as p
        on p.source_key is not distinct from f.source_key
        and p.channel_key is not distinct from f.channel_key
        and p.kind_key is not distinct from f.kind_key
        and p.topic_key is not distinct from f.topic_key
    where f.has_keywords and (p.position is null or f.position < p.position)
),

texts as (
    select
        i.source,
        i.interaction_id,
        i.source_key,
        i.channel_key,
        i.kind_key,
        i.topic_key,
        tp_norm(i.text) as norm
    from interactions as i
    semi join (
        select distinct source_key, channel_key, kind_key, topic_key from keyword_candidates
    ) as c
        on c.source_key is not distinct from i.source_key
        and c.channel_key is not distinct from i.channel_key
        and c.kind_key is not distinct from i.kind_key
        and c.topic_key is not distinct from i.topic_key
    where i.text is not null
),

keyword_matches as (
    select t.source, t.interaction_id, min(c.position) as position
    from texts as t
    inner join keyword_candidates as c
        on c.source_key is not distinct from t.source_key
        and c.channel_key is not distinct from t.channel_key
        and c.kind_key is not distinct from t.kind_key
        and c.topic_key is not distinct from t.topic_key
    inner join keywords as k
        on k.rule_id = c.rule_id and contains(t.norm, k.pattern)
    group by t.source, t.interaction_id
),

first_match as (
    select
        i.source,
        i.interaction_id,
        case
            when k.position is not null and (p.position is null or k.position < p.position)
                then k.position
            else p.position
        end as position
    from interactions as i
    left join first_plain as p
        on p.source_key is not distinct from i.source_key
        and p.channel_key is not distinct from i.channel_key
        and p.kind_key is not distinct from i.kind_key
        and p.topic_key is not distinct from i.topic_key
    left join keyword_matches as k
        on k.source = i.source and k.interaction_id = i.interaction_id
),

final as (
    select
        m.source,
        m.interaction_id,
        coalesce(r.touchpoint_id, 'unmapped') as touchpoint_id,
        r.rule_id
    from first_match as m
    left join rules as r
        on r.position = m.position
)

-- no order by: the rows are a set, and sorting a million of them costs more than building them;
-- mapped_run: the run that mapped the row (later stages revisit what a run changed)
select *, cast($run_id as varchar) as mapped_run from final
