-- followup_actions: the actions of the latest report period that ended before $period_start
-- (key: plan_id), as workplan_actions keeps them: the ones this report follows up. Periods
-- ending on the same day: the shorter (later start) one, then by label.
with

earlier as (
    select period
    from workplan_actions
    where period_end < cast($period_start as date)
    order by period_end desc, period_start desc, period desc
    limit 1
),

final as (
    select
        a.period,
        a.period_start,
        a.period_end,
        a.plan_id,
        a.touchpoint_id,
        a.reason,
        a.action_id,
        a.priority,
        a.owner,
        a.kpi,
        a.kpi_current,
        a.kpi_low,
        a.kpi_high,
        a.kpi_n,
        a.due
    from workplan_actions as a
    inner join earlier as e on e.period = a.period
)

select * from final
order by priority, due, plan_id
