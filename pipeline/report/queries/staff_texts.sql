-- Interactions in the report period (both ends inclusive, whole days) with a staff text, where
-- discouraged phrases are looked for: agent_text, or text of unknown author (the scoring skips
-- some kinds' text; counted here all the same: "no text at all" is what this tells apart).
select count(*) as interactions
from interactions
where occurred_at >= cast($period_from as date)
    and occurred_at < cast($period_to as date) + interval 1 day
    and (nullif(trim(agent_text), '') is not null or nullif(trim(text), '') is not null)
