-- interaction_outcomes: one row per interaction (key: source, interaction_id).
-- Expectation against perception: each signal (speed, resolution, rating, kind, staff language,
-- and the signals a source mapping declares) exceeds, meets or falls short of what the customer
-- expected. With $customer_first (scoring.yaml precedence: customer_first) a rating, the
-- customer's own verdict, decides whenever there is one; without a rating, the declared signals
-- that are the customer's verdict (verdict: customer, e.g. NPS) decide, by the rule below among
-- themselves; the other signals stay on the row as reasons. Otherwise (no rating, or
-- any_shortfall): any shortfall -> dissatisfied; else any exceedance -> delighted; else any signal
-- met -> satisfied; no signal -> unscored. The customer's own words (customer_text, no rating)
-- are a signal too: `customer_words_sentiment` (built by the caller before this select)
-- clearly positive exceeds, clearly negative falls short; with $customer_first they decide after
-- a rating and a declared verdict, before the handling.
-- Time stamps are naive UTC; $as_of is the time open tickets and repeat windows are judged at.
-- Hours are rounded to 4 decimals (an end-of-day deadline is 23:59:59.999999).
-- Each step adds columns to the one before (no self-joins); only the next contact (a window over
-- a narrow projection) and the phrase hits are joined back. The text goes no further than the
-- phrase search, and only texts that can hold a phrase are normalised.
-- Reads `score_input`: every interaction, or on an incremental run the new ones, those whose
-- outcome may change with the clock, and every contact sharing a customer and topic with them
-- (their next contact may be new). The caller creates the table or replaces those rows.
with

-- the columns scoring reads, without the text. Read twice (next_contacts and flagged): not
-- materialized, as a second scan of these columns costs less than writing them out
contacts as not materialized (
    select
        source,
        interaction_id,
        customer_id,
        occurred_at,
        lower(trim(channel)) as channel,
        lower(trim(kind)) as kind,
        lower(trim(topic)) as topic,
        promised_by,
        promise_kept,
        resolved_at,
        lower(trim(status)) as status,
        round(rating) as rating,
        signals,
        -- the effects of the declared signals: the customer's own verdicts, and the others
        list_transform(list_filter(signals, lambda g: g.customer), lambda g: g.effect)
            as verdict_effects,
        list_transform(list_filter(signals, lambda g: not g.customer), lambda g: g.effect)
            as handling_effects,
        coalesce(list_contains(cast($resolution_kinds as varchar[]), lower(trim(kind))), false)
            as asks_resolution
    from score_input
),

-- resolution: the next contact by the same customer on the same topic (contacts that ask for
-- one), on a narrow projection: the sort carries the keys only
next_contacts as (
    select
        source,
        interaction_id,
        lead(occurred_at) over (
            partition by customer_id, topic
            order by occurred_at, source, interaction_id
        ) as next_contact_at
    from contacts
    where asks_resolution and customer_id is not null and topic is not null
),

-- staff's words, where a discouraged phrase counts: agent_text, and the text of unknown author
-- of kinds not in $skip_kinds; customer_text never (a customer's "I don't know" is no staff
-- fault). One row per text, so that no phrase runs across the two.
staff_words as (
    select source, interaction_id, language, agent_text as text
    from score_input
    where agent_text is not null
    union all
    select source, interaction_id, language, text
    from score_input
    where text is not null
        and not coalesce(
            list_contains(cast($skip_kinds as varchar[]), lower(trim(kind))), false
        )
),

-- the texts that can hold a discouraged phrase: $text_pattern on the raw text is a cheap superset
-- of $phrase_pattern on the normalised text (see phrase_pattern.sql), so only these are normalised
texts as (
    select
        source,
        interaction_id,
        lower(trim(language)) as language,
        text
    from staff_words
    where contains(text, '<') or contains(text, '&')
        or regexp_matches(lower(text), $text_pattern)
),

channels as (
    select * from ref_channel_expectations
),

phrases as (
    select
        *,
        -- the pattern without its leading space: a first test that skips most texts at once
        -- (contains() looks for the first character, and a space is everywhere)
        substr(pattern, 2) as pattern_tail
    from ref_phrases
),

-- which signals apply: the kind decides (a null kind: no channel time, no resolution)
flagged as (
    select
        i.*,
        c.hours as channel_hours,
        coalesce(c.same_day, false) as channel_same_day,
        c.channel is not null
        and coalesce(list_contains(cast($channel_kinds as varchar[]), i.kind), false)
            as held_to_channel,
        i.asks_resolution
        and i.customer_id is not null
        and i.topic is not null as repeat_knowable,
        n.next_contact_at
    from contacts as i
    left join channels as c
        on c.channel = i.channel
    left join next_contacts as n
        on n.source = i.source and n.interaction_id = i.interaction_id
),

-- speed: the deadline the customer was given, or the channel's expected handling time
timed as (
    select
        *,
        case
            when promised_by is not null then 'promised_by'
            when promise_kept is not null then 'promise_kept'
            when held_to_channel then 'channel'
        end as promise_source,
        case
            -- a date-only promise holds until the end of that day
            when promised_by is not null and $midnight_is_date
                and promised_by = date_trunc('day', promised_by)
                then promised_by + interval 1 day - interval 1 microsecond
            when promised_by is not null then promised_by
            when promise_kept is not null or not held_to_channel then null
            -- same day: the end of the contact's local calendar day, back in UTC
            when channel_same_day then timezone(
                'UTC',
                timezone(
                    $business_timezone,
                    date_trunc('day', timezone($business_timezone, timezone('UTC', occurred_at)))
                    + interval 1 day
                )
            ) - interval 1 microsecond
            else occurred_at + to_microseconds(cast(round(channel_hours * 3600e6) as bigint))
        end as deadline
    from flagged
),

speed as (
    select
        *,
        round(date_diff('microsecond', occurred_at, deadline) / 3600e6, 4) as expected_hours,
        case
            when resolved_at >= occurred_at
                then round(date_diff('microsecond', occurred_at, resolved_at) / 3600e6, 4)
        end as ttr_hours,
        -- the time stamps decide when they can; else the export's own promise_kept flag
        case
            when deadline is not null and resolved_at >= occurred_at then case
                when deadline > occurred_at
                    and date_diff('microsecond', occurred_at, resolved_at)
                    <= $well_inside_fraction * date_diff('microsecond', occurred_at, deadline)
                    then 'speed_exceeded'
                when resolved_at <= deadline then 'speed_met'
                else 'speed_missed'
            end
            -- still open (a reopened ticket counts as open until resolved again)
            when deadline is not null and resolved_at is null
                and coalesce(status, '') <> 'resolved'
                and cast($as_of as timestamp) > deadline
                then 'unresolved_past_promise'
            when promise_kept then 'speed_met'
            when not promise_kept then 'speed_missed'
        end as speed_code,
        (resolved_at is not null or status in ('resolved', 'reopened')) as is_resolved,
        case when status is not null then status = 'reopened' end as reopened,
        case
            when not repeat_knowable then null
            when next_contact_at <= occurred_at + to_days(cast($repeat_window_days as integer))
                then true
            -- no repeat known yet while the window is still open
            when occurred_at + to_days(cast($repeat_window_days as integer))
                <= cast($as_of as timestamp)
                then false
        end as repeat_contact
    from timed
),

-- staff language: discouraged phrases in the text, reported in the interaction's own language
-- when that language lists the variant. $phrase_pattern (any variant) skips texts with none.
phrase_texts as (
    select source, interaction_id, language, norm
    from (
        select source, interaction_id, language, tp_norm(text) as norm
        from texts
    )
    where regexp_matches(norm, $phrase_pattern)
),

phrase_hits as (
    select
        t.source,
        t.interaction_id,
        p.phrase_id,
        coalesce(min(p.language) filter (where p.language = t.language), min(p.language))
            as language
    from phrase_texts as t
    inner join phrases as p
        on contains(t.norm, p.pattern_tail) and contains(t.norm, p.pattern)
    group by t.source, t.interaction_id, p.phrase_id
),

phrases_found as (
    select
        source,
        interaction_id,
        list({'phrase_id': phrase_id, 'language': language} order by phrase_id) as phrases,
        list('discouraged_phrase:' || phrase_id order by phrase_id) as phrase_codes
    from phrase_hits
    group by source, interaction_id
),

signals as (
    select
        s.*,
        case
            when s.speed_code in ('speed_exceeded', 'speed_met') then true
            when s.speed_code in ('speed_missed', 'unresolved_past_promise') then false
        end as promise_kept_now,
        case
            when not s.asks_resolution then null
            when s.reopened or s.repeat_contact then false
            when s.repeat_contact is null then null
            else s.is_resolved
        end as first_contact_resolution,
        case
            when s.rating = 5 then 'exceeds'
            when s.rating = 4 then 'meets'
            when s.rating = 3 then $rating_three
            when s.rating in (1, 2) then 'falls_short'
        end as rating_effect,
        case
            when s.kind is null then null
            when list_contains(cast($kind_exceeds as varchar[]), s.kind) then 'exceeds'
            when list_contains(cast($kind_meets as varchar[]), s.kind) then 'meets'
            when list_contains(cast($kind_falls_short as varchar[]), s.kind) then 'falls_short'
        end as kind_effect,
        w.sentiment as words_sentiment,
        case
            when s.rating is not null or w.sentiment is null then null
            when w.sentiment >= $words_positive_at then 'exceeds'
            when w.sentiment <= $words_negative_at then 'falls_short'
        end as words_effect,
        coalesce(p.phrases, []) as phrases,
        -- null without phrases: list_concat below reads it as empty
        p.phrase_codes,
        -- declared signals: the customer's verdicts combined (any shortfall, else any
        -- exceedance, else met), and the effects of the others (handling)
        case
            when list_contains(s.verdict_effects, 'falls_short') then 'falls_short'
            when list_contains(s.verdict_effects, 'exceeds') then 'exceeds'
            when list_contains(s.verdict_effects, 'meets') then 'meets'
        end as verdict_effect,
        coalesce(list_contains(s.handling_effects, 'falls_short'), false)
            as handling_falls_short,
        coalesce(list_contains(s.handling_effects, 'exceeds'), false) as handling_exceeds,
        coalesce(list_contains(s.handling_effects, 'meets'), false) as handling_meets,
        -- their reason codes (<name>_exceeded | _met | _fell_short), with their effects
        list_transform(s.signals, lambda g: {
            'code': g.name || case g.effect when 'exceeds' then '_exceeded'
                                            when 'meets' then '_met' else '_fell_short' end,
            'effect': g.effect
        }) as declared
    from speed as s
    left join phrases_found as p
        on p.source = s.source and p.interaction_id = s.interaction_id
    left join customer_words_sentiment as w
        on w.source = s.source and w.interaction_id = s.interaction_id
),

-- every signal as a reason code and its effect: exceeds, meets or falls_short
codes as (
    select
        *,
        case
            when speed_code = 'speed_exceeded' then 'exceeds'
            when speed_code = 'speed_met' then 'meets'
            when speed_code is not null then 'falls_short'
        end as speed_effect,
        case when reopened then 'reopened' end as reopen_code,
        case when repeat_contact then 'repeat_contact' end as repeat_code,
        case when first_contact_resolution then 'first_contact_resolution' end as fcr_code,
        case when first_contact_resolution then $first_contact end as fcr_effect,
        case when kind_effect is not null then 'kind_' || kind end as kind_code,
        -- shortfalls of the service itself, not counting the customer's own rating
        speed_code in ('speed_missed', 'unresolved_past_promise')
        or coalesce(reopened, false)
        or coalesce(repeat_contact, false)
        or coalesce(kind_effect = 'falls_short', false)
        -- a declared signal of the handling (not the customer's verdict) that fell short
        or handling_falls_short as process_shortfall,
        phrase_codes is not null as phrase_shortfall
    from signals
),

rated as (
    select
        *,
        case
            when rating = 5 then 'rating_exceeded'
            when rating = 4 then 'rating_met'
            when rating = 3 then 'rating_neutral'
            -- a low rating although every promise was kept: the expectation was set wrong
            when rating_effect = 'falls_short' and not coalesce(process_shortfall, false)
                and not phrase_shortfall and promise_kept_now
                then 'rating_low_promise_kept'
            when rating in (1, 2) then 'rating_low'
        end as rating_code,
        -- the customer's words, read the same way as a rating
        case
            when words_effect = 'exceeds' then 'words_positive'
            when words_effect = 'falls_short' and not coalesce(process_shortfall, false)
                and not phrase_shortfall and promise_kept_now
                then 'words_negative_promise_kept'
            when words_effect = 'falls_short' then 'words_negative'
        end as words_code
    from codes
),

-- a low rating although every promise was kept: where it lies. The customer's words first (the
-- first cause, in scoring.yaml order, with a keyword in the text), else the topic, else
-- `expectation`. Only these few rows are looked up.
kept_low as (
    select source, interaction_id, topic
    from rated
    where rating_code = 'rating_low_promise_kept' or words_code = 'words_negative_promise_kept'
),

kept_low_words as (
    select
        k.source,
        k.interaction_id,
        arg_min(w.cause, w.position) as cause
    from (
        -- the customer's words: customer_text and the text of unknown author, never agent_text
        select k.source, k.interaction_id, tp_norm(unnest([i.customer_text, i.text])) as norm
        from kept_low as k
        inner join score_input as i
            on i.source = k.source and i.interaction_id = k.interaction_id
        -- rated 1 or 2, or negative words without a rating (simple comparisons the scan can
        -- apply before reading any text)
        where (i.rating < 2.5 or (i.rating is null and i.customer_text is not null))
            and (i.text is not null or i.customer_text is not null)
    ) as k
    inner join ref_cause_words as w
        on contains(k.norm, w.pattern)
    group by k.source, k.interaction_id
),

kept_low_causes as (
    select
        k.source,
        k.interaction_id,
        coalesce(
            w.cause,
            (select arg_min(t.cause, t.position) from ref_cause_topics as t
             where t.topic = k.topic),
            'expectation'
        ) as kept_cause
    from kept_low as k
    left join kept_low_words as w
        on w.source = k.source and w.interaction_id = k.interaction_id
),

caused as (
    select
        r.* replace (
            case
                when r.rating_code is distinct from 'rating_low_promise_kept' then r.rating_code
                when c.kept_cause = 'product' then 'rating_low_product'
                when c.kept_cause = 'policy' then 'rating_low_policy'
                else r.rating_code
            end as rating_code,
            case
                when r.words_code is distinct from 'words_negative_promise_kept' then r.words_code
                when c.kept_cause = 'product' then 'words_negative_product'
                when c.kept_cause = 'policy' then 'words_negative_policy'
                else r.words_code
            end as words_code
        ),
        c.kept_cause,
        -- the customer's own verdict decides (precedence: customer_first)
        $customer_first and r.rating_effect is not null as rating_decides,
        -- no rating: the declared signals that are the customer's verdict decide
        $customer_first and r.rating_effect is null and r.verdict_effect is not null
            as verdict_decides,
        -- neither: the customer's own words decide when they are clear
        $customer_first and r.rating_effect is null and r.verdict_effect is null
            and r.words_effect is not null as words_decide
    from rated as r
    left join kept_low_causes as c
        on c.source = r.source and c.interaction_id = r.interaction_id
),

decided as (
    select
        *,
        case
            when rating_decides then rating_effect
            when verdict_decides then verdict_effect
            when words_decide then words_effect
            when coalesce(process_shortfall, false) or phrase_shortfall
                or rating_effect = 'falls_short' or verdict_effect = 'falls_short'
                or words_effect = 'falls_short'
                then 'falls_short'
            when 'exceeds' in (speed_effect, fcr_effect, rating_effect, kind_effect, verdict_effect,
                               words_effect)
                or handling_exceeds then 'exceeds'
            when 'meets' in (speed_effect, fcr_effect, rating_effect, kind_effect, verdict_effect)
                or handling_meets then 'meets'
        end as decided_by
    from caused
),

final as (
    select
        source,
        interaction_id,
        case decided_by
            when 'falls_short' then 'dissatisfied'
            when 'exceeds' then 'delighted'
            when 'meets' then 'satisfied'
            else 'unscored'
        end as outcome,
        -- reason codes in sorted order, built so (sorting ten million small lists costs more than
        -- the rest of the row): the code families sort discouraged_phrase:<id> (already by id),
        -- first_contact_resolution, kind_<kind>, rating_*, reopened, repeat_contact, speed_* and
        -- unresolved_past_promise (at most one of the two), words_*; list_filter drops the signals an
        -- interaction does not carry. A new code goes where it sorts. Only the few rows with
        -- declared signals (<name>_exceeded | _met | _fell_short) are sorted.
        case when declared is null then list_concat(phrase_codes, list_filter(
            [fcr_code, kind_code, rating_code, reopen_code, repeat_code, speed_code, words_code],
            lambda c: c is not null
        )) else list_sort(list_concat(
            phrase_codes,
            [fcr_code, kind_code, rating_code, reopen_code, repeat_code, speed_code, words_code],
            [d.code for d in declared]
        ).list_filter(lambda c: c is not null)) end as reasons,
        -- the signals with the outcome's effect: when the rating decided, it and those agreeing
        -- with it (a late delivery behind a low rating is what the work plan acts on)
        list_concat(case when decided_by = 'falls_short' then phrase_codes end, list_filter(
            [
                case when fcr_effect = decided_by then fcr_code end,
                case when kind_effect = decided_by then kind_code end,
                case when rating_effect = decided_by then rating_code end,
                case when decided_by = 'falls_short' then reopen_code end,
                case when decided_by = 'falls_short' then repeat_code end,
                case when speed_effect = decided_by then speed_code end,
                case when words_effect = decided_by then words_code end
            ],
            lambda c: c is not null
        )) as deciding_reasons,
        -- declared signals' codes with the outcome's effect (NULL without declared signals)
        [d.code for d in declared if d.effect = decided_by] as declared_deciding,
        -- no rating, and a declared signal that is the customer's own verdict (NPS, CES) decided
        coalesce(verdict_decides, false) as decided_by_declared_verdict,
        -- no rating nor declared verdict, and the customer's own words decided
        coalesce(words_decide, false) as decided_by_words,
        case
            when decided_by <> 'falls_short' or decided_by is null then null
            when process_shortfall then 'service'
            when phrase_shortfall then 'staff_language'
            when kept_cause is not null then kept_cause
            when rating_effect is null and words_effect = 'falls_short' then 'customer_words'
            else 'rating'
        end as dissatisfied_cause,
        promise_source,
        deadline,
        expected_hours,
        ttr_hours,
        promise_kept_now as promise_kept,
        is_resolved,
        first_contact_resolution,
        repeat_contact,
        reopened,
        phrases,
        -- the customer's words' sentiment (-1..1), where it was read (customer_text, no rating)
        words_sentiment
    from decided
),

-- declared signals' codes among the deciding reasons, in sorted order (only rows that have them)
with_declared as (
    select
        * exclude (declared_deciding) replace (
            case when declared_deciding is null then deciding_reasons
                 else list_sort(list_concat(deciding_reasons, declared_deciding))
            end as deciding_reasons
        )
    from final
)

-- no order by: the rows are a set, and sorting a million of them costs more than building them;
-- scored_run: the run that wrote the row (later stages revisit what a run changed)
select *, cast($run_id as varchar) as scored_run from with_declared
