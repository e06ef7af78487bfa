-- batch_{target}_classified: one row per input record of this run, with its fate.
-- Grain: (source, source_file, source_row[, unpivoted key]). _status: staged | duplicate | quarantined.
-- Keep rule: for one (source, {key}) the row already in the warehouse wins, then the earliest
-- file of this run (file order, then row). An identical later row is a duplicate; a different
-- one is quarantined as duplicate_id_conflict.
create or replace temp table batch_{target}_classified as
with batch as (
    select *, md5_number(to_json(struct_pack({cols}))) as row_hash
    from batch_{target}
),

clean as (
    select * from batch where len(_reasons) = 0
),

ranked as (
    select *,
           row_number() over w as _rank,
           first_value(row_hash) over w as _first_hash
    from clean
    window w as (partition by source, {key} order by _file_seq, source_row
                 rows between unbounded preceding and unbounded following)
),

existing as (
    select t.source, t.{key}, any_value(t.row_hash) as _kept_hash
    from {target} t
    semi join clean c on c.source = t.source and c.{key} = t.{key}
    group by t.source, t.{key}
),

decided as (
    select r.* exclude (_rank, _first_hash),
           case
               when e._kept_hash is not null and e._kept_hash = r.row_hash then 'duplicate'
               when e._kept_hash is not null then 'quarantined'
               when r._rank > 1 and r.row_hash = r._first_hash then 'duplicate'
               when r._rank > 1 then 'quarantined'
               else 'staged'
           end as _status
    from ranked r
    left join existing e on e.source = r.source and e.{key} = r.{key}
),

final as (
    select * exclude (_reasons, _status),
           case when _status = 'quarantined' then ['duplicate_id_conflict'] else _reasons end
               as _reasons,
           _status
    from decided
    union all by name
    select *, 'quarantined' as _status from batch where len(_reasons) > 0
)

select * from final
