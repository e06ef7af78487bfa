"""Deterministic sample exports: what six source systems would hand the pipeline.

`python -m pipeline.sample --out data/sample` writes, per calendar month (local time), the files a
call-centre system, a helpdesk, the store tills, the letters register, a survey tool and the order
system export, then an empty `.complete` marker. Same arguments, same bytes: one
`numpy.random.default_rng(seed)` drives everything and nothing reads the clock.

Each month is generated with numpy in one go and streamed to disk (every file is written under a
temporary name and renamed), so memory is bounded by one month and 10 million interactions take
minutes.

The hidden truth the analysis should recover:
- customer types: 2% active haters (complain again and again, rate low even when the promise was
  kept fast), 5% extreme critics (complain often, about many different topics), 8% once loyal now
  upset (happy contacts early, complaints and low ratings in the last 2-3 months), 60% loyal and
  happy, the rest ordinary;
- every interaction has a promise (channel standard when the export shows none: see
  `DEFAULT_PROMISE_HOURS`) and an outcome: resolved well inside the promise (at most half of it),
  inside it, late, reopened, or unresolved at export time;
- orders: each customer has a base order rate; from a complaint on, the rate is multiplied by
  `ORDER_EFFECT` of that complaint's outcome (the latest complaint wins): fast x1.4, kept x1.1,
  late or reopened x0.7, unresolved x0.4; customers who never complained stay at x1.0.

The package, by concern:
- `parameters`: calendar, shared vocabulary, the hidden truth's shares and effects, export codes;
- `texts`: free text in four languages, discouraged phrases, near misses, dirt, the text banks;
- `population`: draw helpers, the customers, the calendar of months and the volume plan;
- `contacts`: one month's contacts per source, outcomes and ratings, orders and surveys;
- `exports`: rows to lines per export format (CSV, JSON lines, parquet table);
- `write`: the file writer and `write_sample`;
- `cli`: `python -m pipeline.sample` (see `__main__`).
"""

from pipeline.sample.cli import main
from pipeline.sample.exports import CALL_HEADER, LETTER_HEADER, STORE_HEADER, SURVEY_HEADER
from pipeline.sample.parameters import (
    CALL_RESULTS,
    CHANNELS,
    DEFAULT_PROMISE_HOURS,
    DESK_STATUSES,
    DESK_TYPES,
    FAST_SHARE_OF_PROMISE,
    LANGS,
    PURPOSES,
    QUEUE_CHANNEL,
    QUEUES,
    SURVEY_COLUMNS,
    VIA_CHANNEL,
    VIAS,
)
from pipeline.sample.texts import DISCOURAGED_PHRASES, NEAR_MISSES
from pipeline.sample.write import SampleSummary, default_customers, write_sample

__all__ = [
    "CALL_HEADER",
    "CALL_RESULTS",
    "CHANNELS",
    "DEFAULT_PROMISE_HOURS",
    "DESK_STATUSES",
    "DESK_TYPES",
    "DISCOURAGED_PHRASES",
    "FAST_SHARE_OF_PROMISE",
    "LANGS",
    "LETTER_HEADER",
    "NEAR_MISSES",
    "PURPOSES",
    "QUEUE_CHANNEL",
    "QUEUES",
    "STORE_HEADER",
    "SURVEY_COLUMNS",
    "SURVEY_HEADER",
    "SampleSummary",
    "VIA_CHANNEL",
    "VIAS",
    "default_customers",
    "main",
    "write_sample",
]
