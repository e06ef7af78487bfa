-- One regular expression that finds any lexicon variant in a normalised text (whole words), so the
-- texts that hold none are skipped before the variant-by-variant comparison.
select ' (' || string_agg(distinct regexp_escape(trim(pattern)), '|') || ') ' as phrase_pattern
from ref_phrases
