"""No test writes a quote by hand where a family would have had to get it through the product.

A price reaches a server only through its provider chain (Yahoo when live, else what it stored, the
bundled history, the labelled simulation): the pricer's first quote, the refresher's pass, the rate's
refresh. A test that writes quote rows itself trades at prices no family could ever have met, and
hides every bug on the way there. Tests that need "a price for X" script Yahoo with
``tests.support.market`` (``ScriptedMarket.trades``, ``refreshed_in``) and let the server fetch it.

This guard reads every test module for the ways a quote can be written directly and fails on any
outside the allow-list below, whose entries each say why that file may.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# the ways a test can write a quote (or a device's record of one) without the product
DIRECT_WRITES = {
    "record_quote()": re.compile(r"\brecord_quote\s*\("),
    "record_answers()": re.compile(r"\brecord_answers\s*\("),
    "mark_served()": re.compile(r"\bmark_served\s*\("),
    "QuoteRow(...)": re.compile(r"\b(QuoteRow|DeviceQuote)\s*\("),
    "insert/update of QuoteRow": re.compile(
        r"\b(insert|update)\s*\(\s*(QuoteRow|DeviceQuote)\b|\b(QuoteRow|DeviceQuote)\.__table__\.(insert|update)"
    ),
    "a client's quote by hand": re.compile(r"\badd_quote\s*\("),
}
# SQL lives in strings, which the patterns above never see (prose may name what it warns about)
SQL_WRITE = re.compile(r"(?i)\b(insert\s+into|update)\s+(device_)?quotes\b")

# file (relative to tests/) → why it may write quotes directly
ALLOWED = {
    "server/test_migrations.py": "its subject is the schema: a quote row written under an old revision "
    "must survive the upgrade, and no product code of that revision runs in the test",
    "faults/test_quote_writers.py": "its subject is the quote store's recorders: two processes' refresh "
    "passes recording at one moment, which one test server's own refresh pass cannot make happen; it "
    "calls the refresher's own recording function (record_answers) with what Yahoo would have answered",
    "faults/test_replay.py": "its subject is tampering: a recorded price rewritten behind the server's back "
    "must make the mutation log's replay disagree",
    "client/ui/fakes.py": "the client view tests run on a fake profile with no server behind it: "
    "``add_quote`` is the quote a device already holds, and the subject is how it is shown",
    "client/ui/test_viewmodels.py": "view models over the fake profile (see client/ui/fakes.py)",
    "client/ui/test_views.py": "views over the fake profile (see client/ui/fakes.py)",
    "client/ui/test_learn_words.py": "the glossary's and the market line's words over the fake profile "
    "(see client/ui/fakes.py)",
    "client/ui/test_connection_and_charts.py": "view models over the fake profile (see client/ui/fakes.py): "
    "the subject is how a held quote and its source are shown",
    "client/browser/fake_app.py": "the browser smoke app runs on the fake profile (see client/ui/fakes.py)",
    "sync/factory.py": "the pure rules (sync/) are tested on an in-memory book with no server: a quote is "
    "their input, exactly as the server hands it to them",
}


def code_of(source: str) -> str:
    """``source`` without comments and strings: prose may name the functions it warns about."""
    kept = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            continue
        kept.append((token.type, token.string))
    return tokenize.untokenize(kept)


def direct_writes(source: str) -> list[str]:
    code = code_of(source)
    found = [name for name, pattern in DIRECT_WRITES.items() if pattern.search(code)]
    return found + (["SQL on the quotes tables"] if SQL_WRITE.search(source) else [])


def test_no_test_writes_quotes_by_hand() -> None:
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        name = path.relative_to(TESTS).as_posix()
        if path == Path(__file__).resolve() or name in ALLOWED:
            continue
        writes = direct_writes(path.read_text(encoding="utf-8"))
        if writes:
            found[name] = writes
    assert found == {}, (
        "these tests write quotes by hand; script Yahoo with tests.support.market and let the server fetch "
        f"the price (or add the file to ALLOWED with why its subject is the quote store): {found}"
    )


def test_every_allowed_file_still_needs_its_exception() -> None:
    listed = ALLOWED
    stale = [name for name in listed if not direct_writes((TESTS / name).read_text(encoding="utf-8"))]
    assert stale == [], f"these files no longer write quotes by hand: remove them from ALLOWED: {stale}"


def test_the_guard_sees_each_way_of_writing_a_quote() -> None:
    samples = {
        "record_quote()": "record_quote(s, 'AAPL', 1, now, source='test')",
        "record_answers()": "record_answers(s, answers, now)",
        "mark_served()": "mark_served(s, client_id, quotes)",
        "QuoteRow(...)": "s.add(QuoteRow(quote_id='q', symbol='AAPL'))",
        "insert/update of QuoteRow": "s.execute(update(QuoteRow).values(price=1))",
        "SQL on the quotes tables": "s.execute(text('INSERT INTO quotes (quote_id) VALUES (1)'))",
        "a client's quote by hand": "profile.add_quote(q)",
    }
    for name, line in samples.items():
        assert direct_writes(line) == [name], name
    # prose is not code: a comment or a docstring may name what it warns about
    assert direct_writes('"""never call record_quote( by hand"""\n# nor QuoteRow(\n') == []
    assert direct_writes("self.prices.trades('AAPL', 190_000_000)\nrecord_quotes(db, chain, s, now)\n") == []
