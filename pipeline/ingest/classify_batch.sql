-- batch_{target}_fate: the clean batch rows that are NOT staged, and why.
-- Grain: one row per batch row (by rowid) whose key is contested. _status: duplicate | quarantined.
-- Keep rule: for one (source, {key}) the row already in the warehouse wins, then the earliest
-- file of this run (file order, then row). An identical later row is a duplicate; a different
-- one is quarantined as duplicate_id_conflict. Only contested keys are ranked: the rest of the
-- batch is staged as it is, with no copy.
create or replace temp table batch_{target}_fate as
with clean as (
    select rowid as _rid, source, {key}, _file_seq, source_row, row_hash
    from batch_{target}
    where len(_reasons) = 0
),

repeated as (
    select source, {key} from clean group by source, {key} having count(*) > 1
),

existing as (
    select t.source, t.{key}, any_value(t.row_hash) as kept_hash
    from {target} t
    semi join clean c on c.source = t.source and c.{key} = t.{key}
    group by t.source, t.{key}
),

contested as (
    select c.*, e.kept_hash
    from clean c
    left join existing e on e.source = c.source and e.{key} = c.{key}
    where e.kept_hash is not null
       or (c.source, c.{key}) in (select (source, {key}) from repeated)
),

ranked as (
    select *,
           row_number() over w as _rank,
           first_value(row_hash) over w as _first_hash
    from contested
    window w as (partition by source, {key} order by _file_seq, source_row
                 rows between unbounded preceding and unbounded following)
),

final as (
    select _rid,
           case
               when kept_hash is not null and kept_hash = row_hash then 'duplicate'
               when kept_hash is not null then 'quarantined'
               when _rank > 1 and row_hash = _first_hash then 'duplicate'
               when _rank > 1 then 'quarantined'
               else 'staged'
           end as _status
    from ranked
)

select * from final where _status <> 'staged'
