-- Example notes, only with --examples: up to $per_touchpoint dissatisfied contacts with a note
-- per touchpoint in the report period (int_interaction_facts), newest first. Masked by the caller.
with

ranked as (
    select
        f.touchpoint_id,
        f.outcome,
        -- the customer's words first, then text of unknown author (agent replies are not examples
        -- of what the customer said)
        coalesce(nullif(trim(i.customer_text), ''), i.text) as text,
        row_number() over (
            partition by f.touchpoint_id
            order by i.occurred_at desc, f.source, f.interaction_id
        ) as n
    from int_interaction_facts as f
    inner join interactions as i using (source, interaction_id)
    where f.in_period and f.outcome = 'dissatisfied'
        and coalesce(nullif(trim(i.customer_text), ''), nullif(trim(i.text), '')) is not null
),

final as (
    select
        r.touchpoint_id,
        coalesce(nm.name, r.touchpoint_id) as touchpoint,
        r.outcome,
        r.text
    from ranked as r
    left join ref_touchpoints as t using (touchpoint_id)
    left join ref_touchpoint_names as nm
        on nm.touchpoint_id = r.touchpoint_id and nm.language = $lang
    where r.n <= $per_touchpoint
    order by t.position nulls last, r.touchpoint_id, r.n
)

select * from final
