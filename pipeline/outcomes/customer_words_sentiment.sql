-- customer_words_sentiment: one row per row of `sentiment_input(source, interaction_id, language,
-- text)` (key: source, interaction_id), every input row kept. `sentiment`: a compound score in -1..1,
-- VADER's normalisation s / sqrt(s^2 + 15) of the summed valence s; `sentiment_terms`: how many
-- lexicon terms matched. A text with no term in its language's lexicon (or no language) has
-- sentiment 0 and 0 terms.
-- Reads ref_sentiment_terms and ref_sentiment_modifiers (sentiment.py, modifiers.yaml).
-- A simplified VADER, by word position:
--   1. words: a letter written 3+ times in a row made one ("mantappp" = "mantap", "sooo" = "so"),
--      the text split into clauses at punctuation (. , ; : ! ? parentheses, new line), each
--      clause tp_norm'ed and split on spaces; words numbered within their clause;
--   2. terms: at each position the longest lexicon term (1-3 words) starting there; a position
--      inside a longer term matched earlier is not matched again; a modifier word is no term;
--   3. intensifiers within the 3 words before a term, in its clause (intensifier_after: the 3
--      after it) add their increment x 0.95 per word between to the term's absolute valence;
--   4. each negator within the 3 words before a term, in its clause, multiplies its valence by
--      its factor (-0.74);
--   5. with a contrast word in the text, terms before its first one weigh contrast_before (0.5),
--      terms after it contrast_after (1.5);
--   6. a positive term in a sentence that ends in one question mark weighs question_positive (0):
--      asking about something good is no praise ("what's the free game?", "little help?"), while
--      a negative one still counts ("why is it not working?"). Sentences end at . ! ? new line.
-- The loaders of the ref tables make terms and modifiers the same way as words (step 1).
with
lowered as (
    select source, interaction_id, language, tp_unmark(lower(coalesce(text, ''))) as t
    from sentiment_input
),
-- negators and intensifiers do not reach across punctuation ("tidak keluar. kecewa"); a
-- sentence knows whether the mark that ends it holds a "?"
squeezed as (
    select
        source, interaction_id, language,
        tp_squeeze(t) as t
    from lowered
),
sentences as (
    select
        source, interaction_id, language,
        unnest(range(0, len(regexp_split_to_array(t, '[.!?\n]+')))) as sentence,
        unnest(regexp_split_to_array(t, '[.!?\n]+')) as s,
        -- the marks after each sentence, one shorter when the text ends without one; a run of
        -- "??" is emphasis (or emoji lost to a wrong encoding, as in PRDECT-ID), not a question
        unnest(list_transform(
            regexp_extract_all(t, '[.!?\n]+'), lambda m: contains(m, '?') and not contains(m, '??')
        )) as is_question
    from squeezed
),
split_texts as (
    select
        source, interaction_id, language, sentence, coalesce(is_question, false) as is_question,
        regexp_split_to_array(s, '[,;:()]+') as clauses
    from sentences
),
texts as (
    select
        source, interaction_id, language, is_question,
        sentence * 1000 + unnest(range(0, len(clauses))) as clause,
        string_split(trim(tp_norm(unnest(clauses))), ' ') as w
    from split_texts
),
-- only positions whose word starts a term or a modifier of the text's language are kept
vocabulary as (
    select distinct language, split_part(term, ' ', 1) as w1 from ref_sentiment_terms
    union
    select distinct language, split_part(word, ' ', 1) from ref_sentiment_modifiers
    where role <> 'question_positive'
),
positions as (
    select
        source, interaction_id, language, is_question,
        unnest(w) as w1,
        unnest(w[2:]) as w2,
        unnest(w[3:]) as w3,
        -- a position: clause * 1,000,000 + word number, so "within 3 words" stays in the clause
        clause * 1000000 + unnest(range(1, len(w) + 1)) as p
    from texts
),
hits as (
    select p.* from positions p semi join vocabulary v using (language, w1)
),
modifier_words as (
    select *, len(string_split(word, ' ')) as n_words from ref_sentiment_modifiers
    where role <> 'question_positive'
),
term_candidates as (
    select h.source, h.interaction_id, h.language, h.is_question, h.p, t.n_words, t.valence
    from hits h
    join ref_sentiment_terms t
        on t.language = h.language and t.n_words = 1 and t.term = h.w1
    where not exists (
        select 1 from modifier_words m
        where m.language = h.language and m.n_words = 1 and m.word = h.w1
    )
    union all
    select h.source, h.interaction_id, h.language, h.is_question, h.p, t.n_words, t.valence
    from hits h
    join ref_sentiment_terms t
        on t.language = h.language and t.n_words = 2 and t.term = h.w1 || ' ' || h.w2
    union all
    select h.source, h.interaction_id, h.language, h.is_question, h.p, t.n_words, t.valence
    from hits h
    join ref_sentiment_terms t
        on t.language = h.language and t.n_words = 3
        and t.term = h.w1 || ' ' || h.w2 || ' ' || h.w3
),
longest_terms as (
    select * from term_candidates
    qualify row_number() over (
        partition by source, interaction_id, p order by n_words desc
    ) = 1
),
-- step 6: a term that reads positive (after negation) in a question weighs question_positive
-- (none given: 1)
question_weights as (
    select language, max(factor) as factor from ref_sentiment_modifiers
    where role = 'question_positive' group by language
),
terms as (
    select
        source, interaction_id, p as p_start, p + n_words - 1 as p_end, valence,
        case when is_question then coalesce(q.factor, 1) else 1 end as question_weight
    from longest_terms
    left join question_weights q using (language)
    qualify coalesce(max(p + n_words - 1) over (
        partition by source, interaction_id order by p
        rows between unbounded preceding and 1 preceding
    ), 0) < p
),
modifier_candidates as (
    select h.source, h.interaction_id, h.p, m.n_words, m.role, m.factor
    from hits h
    join modifier_words m on m.language = h.language and m.n_words = 1 and m.word = h.w1
    union all
    select h.source, h.interaction_id, h.p, m.n_words, m.role, m.factor
    from hits h
    join modifier_words m
        on m.language = h.language and m.n_words = 2 and m.word = h.w1 || ' ' || h.w2
),
-- a two-word modifier ("een beetje") hides a one-word one of the same role inside it ("beetje");
-- a word inside a matched term is part of it ("not" in "not working" negates nothing after it)
modifiers as (
    select source, interaction_id, p as p_start, p + n_words - 1 as p_end, role, factor
    from modifier_candidates c
    where not exists (
        select 1 from terms t
        where t.source = c.source and t.interaction_id = c.interaction_id
            and c.p between t.p_start and t.p_end
    )
    qualify coalesce(max(p + n_words - 1) over (
        partition by source, interaction_id, role order by p, n_words desc
        rows between unbounded preceding and 1 preceding
    ), 0) < p
),
first_contrast as (
    select
        source, interaction_id, p_start as contrast_at,
        max(factor) filter (where role = 'contrast') as weight_after,
        max(factor) filter (where role = 'contrast_before') as weight_before
    from modifiers
    where role in ('contrast', 'contrast_before')
    group by source, interaction_id, p_start
    qualify row_number() over (partition by source, interaction_id order by p_start) = 1
),
modified as (
    select
        t.source, t.interaction_id, t.p_start, any_value(t.valence) as valence,
        any_value(t.question_weight) as question_weight,
        coalesce(product(m.factor) filter (where m.role = 'negator'), 1) as negation,
        coalesce(sum(m.factor * pow(0.95, t.p_start - m.p_end - 1))
            filter (where m.role = 'intensifier'), 0)
        + coalesce(sum(m.factor * pow(0.95, m.p_start - t.p_end - 1))
            filter (where m.role = 'intensifier_after'), 0) as boost
    from terms t
    left join modifiers m
        on m.source = t.source and m.interaction_id = t.interaction_id
        and (
            (m.role in ('negator', 'intensifier') and m.p_end between t.p_start - 3 and t.p_start - 1)
            or (m.role = 'intensifier_after' and m.p_start between t.p_end + 1 and t.p_end + 3)
        )
    group by t.source, t.interaction_id, t.p_start
),
per_text as (
    select
        m.source, m.interaction_id,
        sum(
            sign(m.valence) * greatest(abs(m.valence) + m.boost, 0) * m.negation
            * case
                when c.contrast_at is null then 1
                when m.p_start < c.contrast_at then c.weight_before
                else c.weight_after
            end
            * case when m.valence * m.negation > 0 then m.question_weight else 1 end
        ) as total,
        count(*) as n_terms
    from modified m
    left join first_contrast c using (source, interaction_id)
    group by m.source, m.interaction_id
)
select
    i.source,
    i.interaction_id,
    i.language,
    -- rounded: the sum's order (threads) must not change the last digits between runs
    coalesce(round(s.total / sqrt(s.total * s.total + 15), 6), 0) as sentiment,
    coalesce(s.n_terms, 0) as sentiment_terms
from sentiment_input i
left join per_text s using (source, interaction_id)
