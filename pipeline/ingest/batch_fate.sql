-- batch_fate: one row per clean batch row whose key is contested, and why it is not staged
-- (key: _rid, the row's rowid in the target's batch). _status: duplicate | quarantined.
-- Reads `batch_records` (the target's batch: _rid, source, record_id = its key field, _file_seq,
-- source_row, _reasons, record_values = a row of its canonical fields) and `warehouse_records`
-- (the target's table: source, record_id, record_values), temp views the caller sets up per
-- target; $reloaded: sources being reloaded, whose warehouse rows the run replaces.
-- Keep rule: for one (source, record_id) the row already in the warehouse wins, then the
-- earliest file of this run (file order, then row). An identical later row (every canonical value
-- equal) is a duplicate; a different one is quarantined as duplicate_id_conflict. Only contested
-- keys are ranked and compared: the rest of the batch is staged as it is, with no copy.
with clean as (
    select _rid, source, record_id, _file_seq, source_row
    from batch_records
    where len(_reasons) = 0
),

-- keys seen twice in the batch: first by a 64-bit hash (an integer group-by, fast over
-- millions of rows), then exactly among the few rows whose hash repeats
repeated_hash as (
    select hash(source, record_id) as h from clean group by h having count(*) > 1
),

repeated as (
    select source, record_id from clean
    where hash(source, record_id) in (select h from repeated_hash)
    group by source, record_id having count(*) > 1
),

existing as (
    select t.source, t.record_id, any_value(t.record_values) as kept_values
    from warehouse_records t
    semi join clean c on c.source = t.source and c.record_id = t.record_id
    where not list_contains(cast($reloaded as varchar[]), t.source)
    group by t.source, t.record_id
),

contested as (
    select c.*, e.source is not null as in_warehouse, e.kept_values
    from clean c
    left join existing e on e.source = c.source and e.record_id = c.record_id
    where e.source is not null
       or (c.source, c.record_id) in (select (source, record_id) from repeated)
),

valued as (
    select c.*, b.record_values as row_values
    from contested c
    join batch_records b on b._rid = c._rid
),

ranked as (
    select *,
           row_number() over w as _rank,
           first_value(row_values) over w as _first_values
    from valued
    window w as (partition by source, record_id order by _file_seq, source_row
                 rows between unbounded preceding and unbounded following)
),

final as (
    select _rid,
           case
               when in_warehouse and row_values is not distinct from kept_values then 'duplicate'
               when in_warehouse then 'quarantined'
               when _rank > 1 and row_values is not distinct from _first_values then 'duplicate'
               when _rank > 1 then 'quarantined'
               else 'staged'
           end as _status
    from ranked
)

select * from final where _status <> 'staged'
