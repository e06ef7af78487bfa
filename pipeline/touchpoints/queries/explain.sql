-- Every rule evaluated against the interactions with one id (in every source), condition by
-- condition, with the same macros as interaction_touchpoints.sql. One row per source and rule.
-- Reads the catalog as given (_in_ relations), so it also runs on a read-only warehouse.
with

interactions as (
    select source, interaction_id, channel, kind, topic, text, language, tp_norm(text) as norm
    from interactions
    where interaction_id = $interaction_id
),

rules as (
    select * from _in_ref_touchpoint_rules
),

keywords as (
    select rule_id, language, keyword, tp_keyword_pattern(keyword, prefix) as pattern
    from _in_ref_touchpoint_keywords
),

found_keywords as (
    select
        i.source,
        k.rule_id,
        list(k.keyword || ' [' || k.language || ']' order by k.keyword) as found
    from interactions as i
    inner join keywords as k
        on contains(i.norm, k.pattern)
    group by i.source, k.rule_id
)

select
    i.source,
    i.interaction_id,
    i.channel,
    i.kind,
    i.topic,
    i.language,
    i.text,
    r.position,
    r.rule_id,
    r.touchpoint_id,
    r.sources,
    r.channels,
    r.kinds,
    r.topics,
    r.has_keywords,
    tp_cond(r.sources, i.source) as source_ok,
    tp_cond(r.channels, i.channel) as channel_ok,
    tp_cond(r.kinds, i.kind) as kind_ok,
    tp_cond(r.topics, i.topic) as topic_ok,
    coalesce(f.found, []) as keywords_found,
    (not r.has_keywords or f.found is not null) as keywords_ok
from interactions as i
cross join rules as r
left join found_keywords as f
    on f.source = i.source and f.rule_id = r.rule_id
order by i.source, r.position
