-- Two regular expressions that find any lexicon variant, so that texts holding none are skipped
-- before the variant-by-variant comparison:
-- phrase_pattern, on a normalised text tp_norm(text): any variant as whole words;
-- text_pattern, on lower(text) itself, a cheap pre-filter (tp_norm costs far more than a scan):
-- it matches every text whose normalised form can hold a variant. tp_norm drops apostrophes, so
-- any may sit between the letters of a word ("don't" = "dont"); words are parted by any run of
-- characters other than a-z and 0-9 (a superset of non-letters and apostrophes that keeps the
-- regex small: Unicode classes repeated per word make RE2 give up its fast DFA). Markup is not
-- modelled: texts with '<' or '&' are always normalised. The apostrophe class is the one tp_norm
-- removes (pipeline/macros/text.sql).
-- A normalised variant holds only letters, digits and single spaces: no regex metacharacters.
with

variants as (
    select distinct trim(pattern) as variant
    from ref_phrases
),

raw_variants as (
    select
        variant,
        replace(
            regexp_replace(variant, '([^ ])', '\1[''`´‘’ʼ]*', 'g'),
            ' ',
            '[^a-z0-9]+'
        ) as raw_variant
    from variants
),

final as (
    select
        ' (' || string_agg(regexp_escape(variant), '|' order by variant) || ') ' as phrase_pattern,
        string_agg(raw_variant, '|' order by variant) as text_pattern
    from raw_variants
)

select * from final
