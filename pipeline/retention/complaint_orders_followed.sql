-- complaint_orders_followed: on an incremental run, `followed` of the complaints kept from
-- earlier runs, for this run's $data_end (their window may have elapsed since).
update mart_complaint_orders
set followed = occurred_at + to_days(window_days) <= cast($data_end as timestamp)
where followed is distinct from (occurred_at + to_days(window_days) <= cast($data_end as timestamp))
