-- batch_{target}_fate: the clean batch rows that are NOT staged, and why.
-- Grain: one row per batch row (by rowid) whose key is contested. _status: duplicate | quarantined.
-- Keep rule: for one (source, {key}) the row already in the warehouse wins, then the earliest
-- file of this run (file order, then row). An identical later row (every canonical value equal)
-- is a duplicate; a different one is quarantined as duplicate_id_conflict. Only contested keys
-- are ranked and compared: the rest of the batch is staged as it is, with no copy.
create or replace temp table batch_{target}_fate as
with clean as (
    select rowid as _rid, source, {key}, _file_seq, source_row
    from stage.batch_{target}
    where len(_reasons) = 0
),

-- keys seen twice in the batch: first by a 64-bit hash (an integer group-by, fast over
-- millions of rows), then exactly among the few rows whose hash repeats
repeated_hash as (
    select hash(source, {key}) as h from clean group by h having count(*) > 1
),

repeated as (
    select source, {key} from clean
    where hash(source, {key}) in (select h from repeated_hash)
    group by source, {key} having count(*) > 1
),

existing as (
    select t.source, t.{key}, any_value(row({t_cols})) as kept_values
    from {existing} t  -- the table, without the rows of sources being reloaded
    semi join clean c on c.source = t.source and c.{key} = t.{key}
    group by t.source, t.{key}
),

contested as (
    select c.*, e.source is not null as in_warehouse, e.kept_values
    from clean c
    left join existing e on e.source = c.source and e.{key} = c.{key}
    where e.source is not null
       or (c.source, c.{key}) in (select (source, {key}) from repeated)
),

valued as (
    select c.*, row({b_cols}) as row_values
    from contested c
    join stage.batch_{target} b on b.rowid = c._rid
),

ranked as (
    select *,
           row_number() over w as _rank,
           first_value(row_values) over w as _first_values
    from valued
    window w as (partition by source, {key} order by _file_seq, source_row
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
