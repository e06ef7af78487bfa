-- mart_customer_reorders: one row per customer with an index interaction and reorder window
-- (key: customer_id, window_days). `followed`: the window had elapsed by the data's end;
-- `reordered`: an order within window_days after the index, null when not followed (censored:
-- an early reorder of a customer still inside the window is not counted either, so that every
-- rate is over customers who all had the full window to reorder).
-- Not sorted (millions of rows, and a table has no order): read it with an order by.
with

customers as (
    select customer_id, experience, index_at, followup_days, days_to_reorder
    from mart_customer_retention
    where index_at is not null
),

windows as (
    select window_days from ref_retention_windows
),

final as (
    select
        c.customer_id,
        w.window_days,
        c.experience,
        c.followup_days >= w.window_days as followed,
        case
            when c.followup_days >= w.window_days
                then coalesce(c.days_to_reorder <= w.window_days, false)
        end as reordered
    from customers as c
    cross join windows as w
)

select * from final
