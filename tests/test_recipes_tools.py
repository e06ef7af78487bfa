"""Recipes for the exports of widely used tools (data/reference/sources/examples/): each loads its
hand-made fixture (tests/fixtures/tools/<tool>/) as the recipe stands, through the pipeline.
Expected values are worked out by hand from the fixture files (times: local time minus the offset
or the zone's UTC+8)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from test_ingest import Project

from pipeline import paths
from pipeline.errors import UserError
from pipeline.ingest.sources import load_mapping

EXAMPLES = paths.SOURCES / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "tools"
# Every mapping there; `<recipe>.touchpoints.yaml` beside one holds the catalog lines it needs.
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.y*ml")
                       if not p.name.endswith((".touchpoints.yaml", ".touchpoints.yml")))

INTERACTION_COLUMNS = ("interaction_id, customer_id, occurred_at, channel, kind, topic, "
                       "promised_by, resolved_at, status, rating, agent_id, text, language")


def install(project: Project, recipe: str, tool: str, folder: str) -> None:
    """The recipe as it is, and the tool's fixture files in the folder its `files:` names."""
    shutil.copy(EXAMPLES / f"{recipe}.yaml", project.sources / f"{recipe}.yaml")
    shutil.copytree(FIXTURES / tool, project.data / folder)


def counts(result) -> list[tuple]:
    return [(f.file, f.rows_read, f.staged, f.quarantined, f.duplicates)
            for f in result.ingest.files]


def interactions(project: Project) -> list[tuple]:
    return project.query(f"select {INTERACTION_COLUMNS} from interactions "
                         "order by source_file, source_row, interaction_id")


def quarantine(project: Project) -> list[tuple]:
    return project.query("select source_file, source_row, reasons from quarantine "
                         "order by source_file, source_row, reasons")


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_recipe_loads(path: Path) -> None:
    mapping = load_mapping(path)
    assert mapping.source
    assert path.read_text(encoding="utf-8").startswith("#"), "a recipe starts with its comment"


def test_example_recipes_have_distinct_source_names() -> None:
    names = [load_mapping(p).source for p in EXAMPLE_FILES]
    assert len(set(names)) == len(names)
    assert {"zendesk_tickets", "freshdesk_tickets", "google_forms_survey", "qualtrics_survey",
            "shopify_orders"} <= set(names)


def test_zendesk_ticket_pages(project: Project) -> None:
    install(project, "zendesk_tickets", "zendesk", "zendesk")
    result = project.run()
    assert counts(result) == [
        # page 1: ticket 35445 was deleted (status "deleted": no canonical status)
        ("zendesk/tickets_0001.json", 10, 9, 1, 0),
        # page 2: 35444 again, unchanged (duplicate); 35441 again, since solved (conflict)
        ("zendesk/tickets_0002.json", 4, 2, 1, 1),
    ]
    t = datetime
    assert interactions(project) == [
        ("35436", "20978392", t(2024, 3, 5, 2, 12, 45), "web", "complaint", None, None, None,
         "resolved", 5.0, "235323",
         "Parcel arrived damaged\nThe box was crushed and the mug inside is broken.", None),
        ("35437", "20978400", t(2024, 3, 5, 3, 40), "email", "inquiry", None, None, None,
         "in_progress", None, "235323",
         "Where is my order #1043?\nI ordered last week and have no tracking number yet.", None),
        ("35438", "20978411", t(2024, 3, 5, 8, 5, 10), "phone", "complaint", None, None, None,
         "unresolved", None, None,
         "Charged twice for one order\nMy card shows two payments of RM 89.00.", None),
        ("35439", "20978392", t(2024, 3, 6, 1, 15), "chat", "inquiry", None, None, None,
         "resolved", 1.0, "235400",
         "Change delivery address\nCan I still change the address for order #1050?", None),
        ("35440", "20978422", t(2024, 3, 6, 4, 20, 30), "chat", None, None, None, None,
         "unresolved", None, None,
         "Conversation with Siti\nHi, is the Mid Valley store open on Sunday?", None),
        ("35441", "20978433", t(2024, 3, 6, 10), "social", "complaint", None, None, None,
         "in_progress", None, "235400",
         "@shop your courier never showed up\nWaited all day for the delivery, nobody came.",
         None),
        ("35442", "20978444", t(2024, 3, 7, 6, 30), "other", "request", None,
         t(2024, 3, 8, 9), None, "unresolved", None, "235323",
         "Call back customer about refund\n"
         "Customer asked for a call back about the refund of order #1032.", None),
        # via.channel any_channel is in no map: default other
        ("35443", "20978455", t(2024, 3, 7, 12, 45), "other", "inquiry", None, None, None,
         "resolved", None, "235323",
         "Review reply: wrong size\nThe size chart says M fits 38 but it is tight.", None),
        ("35444", "20978466", t(2024, 3, 8, 2), "app", "complaint", None, None, None,
         "resolved", 5.0, "235400", "App crashes at checkout\nThe app closes when I tap Pay.",
         None),
        ("35446", "20978488", t(2024, 3, 9, 0, 10), "email", "complaint", None, None, None,
         "resolved", 1.0, "235323",
         "Invoice shows the wrong amount\n"
         "Invoice INV-2024-0311 says RM 1,289.00 but I paid RM 1,189.00.", None),
        ("35447", "20978499", t(2024, 3, 9, 13, 59, 59), "social", "inquiry", None, None, None,
         "resolved", 5.0, "235400",
         "Opening hours on public holidays\nWhat time do you close on Hari Raya?", None),
    ]
    assert quarantine(project) == [
        ("zendesk/tickets_0001.json", 10, ["unknown_value:status"]),
        ("zendesk/tickets_0002.json", 2, ["duplicate_id_conflict"]),
    ]


def test_freshdesk_ticket_csv(project: Project) -> None:
    install(project, "freshdesk_tickets", "freshdesk", "freshdesk")
    result = project.run()
    # ticket 1210 has a custom Type ("Delivery Issue") that is not in the map
    assert counts(result) == [("freshdesk/tickets_2024-03.csv", 12, 11, 1, 0)]
    t = datetime
    assert interactions(project) == [
        # local times (Asia/Kuala_Lumpur, UTC+8) minus 8 hours
        ("1201", "43000123456", t(2024, 3, 5, 2, 12, 45), "email", "complaint", None,
         t(2024, 3, 6, 2, 12, 45), t(2024, 3, 5, 7, 40), "resolved", 5.0, "Aisyah Rahman",
         "Parcel arrived damaged", None),
        ("1202", "43000123457", t(2024, 3, 5, 13, 3), "portal", "inquiry", None,
         t(2024, 3, 6, 13, 3), None, "unresolved", None, None, "Where is my order?", None),
        ("1203", "43000123458", t(2024, 3, 6, 1), "phone", "complaint", None,
         t(2024, 3, 6, 5), None, "in_progress", None, "Ravi Kumar",
         "Charged twice for order #1043", None),
        ("1204", "43000123456", t(2024, 3, 6, 6, 30), "chat", "inquiry", None,
         t(2024, 3, 7, 6, 30), t(2024, 3, 6, 6, 52), "resolved", 1.0, "Aisyah Rahman",
         "Change delivery address", None),
        ("1205", "43000123459", t(2024, 3, 7, 0, 15), "web", "request", None,
         t(2024, 3, 12, 0, 15), None, "in_progress", None, "Ravi Kumar",
         "Share my wishlist with family", None),
        ("1206", "43000123457", t(2024, 3, 7, 3), "email", "request", None,
         t(2024, 3, 8, 3), t(2024, 3, 8, 8, 20), "resolved", 3.0, "Ravi Kumar",
         "Refund for returned shoes, size 42", None),
        ("1207", "43000123460", t(2024, 3, 8, 11, 45, 30), "chat", "complaint", None,
         t(2024, 3, 9, 11, 45, 30), t(2024, 3, 9, 1, 10), "resolved", 5.0, "Aisyah Rahman",
         "Courier left parcel at wrong house", None),
        # Source "Ecommerce" is in no map: default other
        ("1208", "43000123461", t(2024, 3, 9), "other", "complaint", None,
         t(2024, 3, 10), None, "unresolved", None, None,
         "Order from our Lazada shop not received", None),
        ("1209", "43000123462", t(2024, 3, 9, 4, 5), "phone", None, None,
         t(2024, 3, 10, 4, 5), t(2024, 3, 9, 4, 9), "resolved", None, "Ravi Kumar",
         "Is the Mid Valley store open on Sunday?", None),
        ("1211", "43000123458", t(2024, 3, 11, 2), "email", "inquiry", None,
         t(2024, 3, 12, 2), None, "in_progress", None, "Ravi Kumar",
         "Invoice for company purchase", None),
        # custom status "Escalated to L2": default in_progress
        ("1212", "43000123459", t(2024, 3, 11, 15, 50), "chat", "complaint", None,
         t(2024, 3, 11, 19, 50), None, "in_progress", None, "Aisyah Rahman",
         "App login keeps failing", None),
    ]
    assert quarantine(project) == [
        ("freshdesk/tickets_2024-03.csv", 10, ["unknown_value:kind"]),
    ]


def test_google_forms_responses(project: Project) -> None:
    install(project, "google_forms_survey", "google_forms", "google_forms")
    result = project.run()
    assert counts(result) == [
        # a Sheet download: 2 + 3 + 2 answers
        ("google_forms/Customer feedback (Responses) - Form Responses 1.csv", 7, 7, 0, 0),
        # the Forms download: 3+2+1+3+3+3+3 answers, and response 5 answered nothing
        ("google_forms/Customer feedback.csv", 19, 18, 1, 0),
    ]
    rows = project.query("""
        select interaction_id, customer_id, occurred_at, topic, rating, customer_text, channel, kind
        from interactions order by source_file, source_row, topic""")
    t = datetime
    sheet = [  # no offset in the Sheet's "M/D/YYYY H:MM:SS": the mapping's zone, UTC+8
        ("3/10/2024 9:05:00", "nurul@example.com", t(2024, 3, 10, 1, 5),
         {"delivery": 4, "website": 5}, "Nice packaging"),
        ("3/11/2024 18:30:15", "meiling.tan@example.com", t(2024, 3, 11, 10, 30, 15),
         {"checkout": 3, "delivery": 2, "website": 3}, None),
        ("3/12/2024 0:00:30", "faiz@example.com", t(2024, 3, 11, 16, 0, 30),
         {"checkout": 5, "delivery": 5}, None),
    ]
    form = [  # "GMT+8" in the stamp; 12 AM is midnight, 12 PM noon
        ("2024/03/05 10:12:45 AM GMT+8", "meiling.tan@example.com", t(2024, 3, 5, 2, 12, 45),
         {"checkout": 4, "delivery": 5, "website": 4}, "Fast delivery, thank you!"),
        ("2024/03/05 2:03:09 PM GMT+8", "faiz@example.com", t(2024, 3, 5, 6, 3, 9),
         {"delivery": 2, "website": 3}, "Courier came two days late"),
        ("2024/03/06 12:05:10 AM GMT+8", "lim.kh@example.com", t(2024, 3, 5, 16, 5, 10),
         {"checkout": 5}, None),
        ("2024/03/06 12:30:00 PM GMT+8", "siti.aminah@example.com", t(2024, 3, 6, 4, 30),
         {"checkout": 1, "delivery": 1, "website": 2},
         "Payment page froze twice.\nHad to use another card."),
        ("2024/03/07 6:15:55 PM GMT+8", "hafiz@example.com", t(2024, 3, 7, 10, 15, 55),
         {"checkout": 4, "delivery": 4, "website": 5}, None),
        ("2024/03/08 11:59:59 PM GMT+8", "jiahui@example.com", t(2024, 3, 8, 15, 59, 59),
         {"checkout": 5, "delivery": 3, "website": 4}, "Website is easy to use"),
        ("2024/03/09 8:00:01 AM GMT+8", "meiling.tan@example.com", t(2024, 3, 9, 0, 0, 1),
         {"checkout": 5, "delivery": 5, "website": 5}, None),
    ]
    assert rows == [(f"{stamp}/{topic}", email, at, topic, float(rating), text, "web", "feedback")
                    for stamp, email, at, answers, text in sheet + form
                    for topic, rating in sorted(answers.items())]
    assert quarantine(project) == [("google_forms/Customer feedback.csv", 5, ["no_answers"])]


def test_qualtrics_responses_with_three_header_rows(project: Project) -> None:
    install(project, "qualtrics_survey", "qualtrics", "qualtrics")
    result = project.run()
    name = "qualtrics/Post-purchase survey_March 12, 2024_09.30.csv"
    # 3 (the preview) + 3 + 2 + 1 + 3 + 1 (no answer) + 3 + 2
    assert counts(result) == [(name, 18, 14, 4, 0)]
    rows = project.query("""
        select interaction_id, customer_id, occurred_at, channel, topic, rating, customer_text,
               language, kind
        from interactions order by source_row, topic""")
    t = datetime
    responses = [  # RecordedDate in Asia/Kuala_Lumpur (UTC+8)
        ("R_1a2B3c4D5e6F7g8", "C000123", t(2024, 3, 5, 2, 12, 46), "email",
         {"checkout": 4, "delivery": 5, "website": 4}, "Fast delivery, thank you!", "en"),
        ("R_2bC3d4E5f6G7h8I", None, t(2024, 3, 5, 13, 44, 31), "web",
         {"delivery": 2, "website": 3}, "Kurier lambat dua hari", "ms"),
        # partial response (Finished False), recorded when closed the next day
        ("R_3cD4e5F6g7H8i9J", "C000124", t(2024, 3, 7, 0, 3, 5), "email",
         {"delivery": 4}, None, "en"),
        ("R_4dE5f6G7h8I9j0K", "C000125", t(2024, 3, 6, 16, 1, 3), "web",
         {"checkout": 1, "delivery": 1, "website": 2},
         "Payment page froze twice.\nHad to use another card.", "en"),
        ("R_6fG7h8I9j0K1l2M", "C000126", t(2024, 3, 8, 1, 17, 13), "sms",
         {"checkout": 5, "delivery": 5, "website": 4}, None, "ms"),
        ("R_7gH8i9J0k1L2m3N", None, t(2024, 3, 9, 6, 22, 1), "web",
         {"checkout": 3, "delivery": 4}, None, "zh"),
    ]
    assert rows == [(f"{rid}/{topic}", customer, at, channel, topic, float(rating), text, lang,
                     "feedback")
                    for rid, customer, at, channel, answers, text, lang in responses
                    for topic, rating in sorted(answers.items())]
    # record 1 is the survey preview (3 answers), record 6 answered nothing
    assert quarantine(project) == [(name, 1, ["unknown_value:channel"])] * 3 + [
        (name, 6, ["no_answers"])]


def test_shopify_orders_one_row_per_line_item(project: Project) -> None:
    install(project, "shopify_orders", "shopify", "shopify")
    result = project.run()
    # 13 line-item rows: 8 orders, of which #1004 (point of sale, no e-mail) is quarantined;
    # the 5 further line items of #1001, #1003 (2), #1006 and #1008 count as duplicates
    assert counts(result) == [("shopify/orders_export_1.csv", 13, 7, 1, 5)]
    t = datetime
    assert project.query("""
        select order_id, customer_id, ordered_at, amount, currency, source_row
        from orders order by source_row""") == [
        ("#1001", "meiling.tan@example.com", t(2024, 3, 5, 2, 12, 45), 137.0, "MYR", 1),
        ("#1002", "faiz@example.com", t(2024, 3, 5, 13, 39, 58), 1289.0, "MYR", 3),
        ("#1003", "lim.kh@example.com", t(2024, 3, 6, 0, 2, 33), 245.5, "MYR", 4),
        ("#1005", "siti.aminah@example.com", t(2024, 3, 8, 1, 29, 41), 67.0, "MYR", 8),
        ("#1006", "meiling.tan@example.com", t(2024, 3, 9, 15, 59, 59), 102.0, "MYR", 9),
        ("#1007", "jiahui@example.com", t(2024, 3, 10, 6, 4, 50), 96.0, "MYR", 11),
        ("#1008", "hafiz@example.com", t(2024, 3, 10, 23, 45, 2), 208.0, "MYR", 12),
    ]
    assert quarantine(project) == [
        ("shopify/orders_export_1.csv", 7, ["missing_required:customer_id"])]


def test_shopify_orders_split_over_two_files(project: Project) -> None:
    """An order's further line items at the top of a later file have no order row to take
    their values from: quarantined, never merged into another order or dropped."""
    install(project, "shopify_orders", "shopify", "shopify")
    lines = (project.data / "shopify" / "orders_export_1.csv").read_text().splitlines()
    header, first, rest = lines[0], lines[1:5], lines[5:]  # the cut falls inside #1003
    (project.data / "shopify" / "orders_export_1.csv").write_text("\n".join([header, *first]))
    (project.data / "shopify" / "orders_export_2.csv").write_text("\n".join([header, *rest]))
    result = project.run()
    assert counts(result) == [
        ("shopify/orders_export_1.csv", 4, 3, 0, 1),
        # #1003's two further items (no order row here), #1004 (no e-mail); #1006, #1008 items
        ("shopify/orders_export_2.csv", 9, 4, 3, 2),
    ]
    assert quarantine(project) == [
        ("shopify/orders_export_2.csv", 1, ["missing_required:ordered_at"]),
        ("shopify/orders_export_2.csv", 2, ["missing_required:ordered_at"]),
        ("shopify/orders_export_2.csv", 3, ["missing_required:customer_id"]),
    ]


RATINGS = """
    id,opened,csat
    A1,2024-03-05 10:00:00,good
    A2,2024-03-05 11:00:00, Bad
    A3,2024-03-05 12:00:00,offered
    A4,2024-03-05 13:00:00,4
    A5,2024-03-05 14:00:00,meh
    A6,2024-03-05 15:00:00,
"""


def test_rating_words_are_mapped_to_numbers(project: Project) -> None:
    project.mapping("csat", """
        files: csat/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: email}
          rating: {column: csat, map: {good: 5, bad: 1}, not_applicable: [offered]}
    """)
    project.file("csat/a.csv", RATINGS)
    result = project.run()
    assert counts(result) == [("csat/a.csv", 6, 5, 1, 0)]
    assert project.query("select interaction_id, rating from interactions order by 1") == [
        ("A1", 5.0), ("A2", 1.0), ("A3", None), ("A4", 4.0), ("A6", None)]
    assert quarantine(project) == [("csat/a.csv", 5, ["bad_number:rating"])]


def test_rating_words_map_with_a_scale(project: Project) -> None:
    project.mapping("csat", """
        files: csat/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: email}
          rating: {column: csat, map: {good: 10, bad: 0}, scale: [0, 10],
                   not_applicable: [offered, meh]}
    """)
    project.file("csat/a.csv", RATINGS)
    project.run()
    assert project.query("select interaction_id, rating from interactions order by 1") == [
        ("A1", 5.0), ("A2", 1.0), ("A3", None), ("A4", 3.0), ("A5", None), ("A6", None)]


def test_a_rating_map_to_words_is_refused(project: Project) -> None:
    path = project.mapping("csat", """
        files: csat/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: email}
          rating: {column: csat, map: {good: great}}
    """)
    with pytest.raises(UserError, match=r"fields\.rating\.map: 'great' is not a number") as exc:
        load_mapping(path)
    assert str(exc.value).startswith(f"{path}: ")
