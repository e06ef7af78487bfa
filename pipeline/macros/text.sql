-- Text normalisation shared by keyword rules and the discouraged-phrase lexicon, so that a phrase
-- and a text are compared the same way: lower case, HTML tags and apostrophes removed (’ ' ` alike,
-- so "don’t" = "dont"), every other run of non-letters a single space, one space padding each side.
-- Then contains(tp_norm(text), ' ' || tp_norm_word(phrase) || ' ') matches whole words only.
-- Markup is rare: the tag and entity passes run only on texts holding '<' or '&'.
create or replace temp macro tp_unmark(t) as
    case
        when contains(t, '<') or contains(t, '&') then regexp_replace(
            regexp_replace(
                regexp_replace(t, '</?[a-z!][^>]*>', ' ', 'g'),
                '&(#0*39|#x0*27|#8216|#8217|apos|lsquo|rsquo);', '''', 'g'
            ),
            '&[a-z0-9#]+;', ' ', 'g'
        )
        else t
    end;

create or replace temp macro tp_norm(t) as
    ' ' || trim(regexp_replace(
        regexp_replace(tp_unmark(lower(coalesce(t, ''))), '[''`´‘’ʼ]', '', 'g'),
        '[^\p{L}\p{N}]+', ' ', 'g'
    )) || ' ';

-- A phrase or keyword in the same form, without the padding.
create or replace temp macro tp_norm_word(t) as trim(tp_norm(t));

-- What contains(tp_norm(text), pattern) looks for: the normalised keyword after a space, and
-- before a space unless it is a prefix keyword (written with a trailing *).
create or replace temp macro tp_keyword_pattern(keyword, prefix) as
    ' ' || tp_norm_word(keyword) || case when prefix then '' else ' ' end;

-- One rule condition: no list means no condition; values compare trimmed and case-insensitively.
create or replace temp macro tp_cond(rule_values, v) as
    rule_values is null or list_contains(rule_values, lower(trim(v)));

-- A letter written three or more times in a row, written once ("mantappp" = "mantap"), as
-- customers stretch words; the sentiment lexicons and the texts are squeezed alike. RE2 has no
-- back-references, so letter by letter, and only words that hold such a run.
create or replace temp macro tp_squeeze(w) as
    case
        when regexp_matches(w, 'aaa|bbb|ccc|ddd|eee|fff|ggg|hhh|iii|jjj|kkk|lll|mmm'
            || '|nnn|ooo|ppp|qqq|rrr|sss|ttt|uuu|vvv|www|xxx|yyy|zzz')
        then list_reduce(
            ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm',
             'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z'],
            lambda acc, ch: regexp_replace(acc, ch || '{3,}', ch, 'g'), w)
        else w
    end;
