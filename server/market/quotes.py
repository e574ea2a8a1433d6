"""The quote table: recording immutable price observations and serving them to devices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.market import Quote, currency_of

from ..db import Database
from ..db.models import DeviceQuote, QuoteRow
from ..ids import new_id

__all__ = [
    "FX_SYMBOL",
    "latest_quotes",
    "mark_served",
    "newest_for_device",
    "newest_quote",
    "one_quote_writer",
    "quote_by_id",
    "record_quote",
    "record_served",
    "serve_quotes",
    "to_quote",
    "unserved_newest",
    "unserved_quotes",
]

FX_SYMBOL = "USDKRW=X"


def to_quote(row: Any) -> Quote:
    """A stored quote (a ``QuoteRow``, or a Core row of its columns) as the rules read it."""
    return Quote(
        quote_id=row.quote_id,
        symbol=row.symbol,
        price=row.price,
        currency=row.currency,
        as_of=row.as_of,
        source=row.source,
        seq=row.seq,
    )


_QUOTE_WRITER_KEY = 0x59_64_51_75_6F_74_65  # "YdQuote": the quote recorders' advisory-lock key


def one_quote_writer(session: Session) -> None:
    """Make this transaction the only one recording quotes (or watching symbols) until it ends.

    A quote's seq is the highest one so far plus one, read in the recording transaction. SQLite's one
    writer at a time makes that unique. On PostgreSQL several server processes write at once: two
    refreshers recording the same symbol would both take the same seq (seen when two processes
    started on a fresh database and each recorded the bundled exchange rate), and the "is this
    price news?" check inside the write would let both record it. A transaction-scoped advisory lock
    serialises the recorders and nothing else; it is released by the commit or rollback.
    Taken again by the same transaction, it is already held. Watching takes it too, before its
    insert: a recorder waiting for the lock while holding a watch row another recorder is about to
    insert would deadlock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _QUOTE_WRITER_KEY})


def record_quote(
    session: Session, symbol: str, price: int, as_of: datetime, *, source: str, currency: str | None = None
) -> Quote:
    """Store a new observation; its ``seq`` is above every earlier quote, so "newest" is well defined.

    The caller holds :func:`one_quote_writer` (both recorders take it once, before they compare)."""
    if price <= 0:
        raise ValueError("a quote has a positive price")
    seq = (session.scalar(select(func.max(QuoteRow.seq))) or 0) + 1
    row = QuoteRow(
        quote_id=new_id(),
        symbol=symbol,
        price=price,
        as_of=as_of,
        source=source,
        seq=seq,
        currency=currency or ("KRW" if symbol == FX_SYMBOL else currency_of(symbol)),
    )
    session.add(row)
    session.flush()
    return to_quote(row)


# built once, Core over the table's columns: every pull, price GET and order runs these, and building
# a statement (or loading an ORM object) costs more than SQLite takes to run it
_BY_ID = select(*QuoteRow.__table__.c).where(QuoteRow.quote_id == bindparam("quote"))
_NEWEST_OF = (
    select(*QuoteRow.__table__.c)
    .where(QuoteRow.symbol == bindparam("symbol"))
    .order_by(QuoteRow.seq.desc())
    .limit(1)
)


def quote_by_id(session: Session, quote_id: str) -> Quote | None:
    row = session.connection().execute(_BY_ID, {"quote": quote_id}).first()
    return to_quote(row) if row else None


def newest_quote(session: Session, symbol: str) -> Quote | None:
    """The newest quote of ``symbol``: one index seek on ``(symbol, seq)``."""
    row = session.connection().execute(_NEWEST_OF, {"symbol": symbol}).first()
    return to_quote(row) if row else None


_FEW = 32
# The newest quote of every symbol (a pull's), by seeks on ``(symbol, seq)``: the recursive part
# steps from one symbol to the next, then one seek per symbol finds its newest. Quotes are never
# deleted, so the table grows by every refresh of every watched symbol; a grouped MAX scanned all of
# it on every pull (200,000 quotes of 40 symbols: 31 ms against 0.3 ms this way, SQLite).
# its columns named in the table's order: :data:`_UNSERVED_OF_EVERY` matches them by position
_COLUMNS = ", ".join(f"quotes.{column.name}" for column in QuoteRow.__table__.c)
_NEWEST_OF_EVERY_SQL = f"""
        WITH RECURSIVE symbols(symbol) AS (
            SELECT MIN(symbol) FROM quotes
            UNION ALL
            SELECT (SELECT MIN(q.symbol) FROM quotes q WHERE q.symbol > symbols.symbol)
            FROM symbols WHERE symbols.symbol IS NOT NULL
        )
        SELECT {_COLUMNS} FROM symbols JOIN quotes ON quotes.symbol = symbols.symbol
        AND quotes.seq = (SELECT MAX(q.seq) FROM quotes q WHERE q.symbol = symbols.symbol)
"""  # noqa: S608 - no input: the model's column names
_NEWEST_OF_EVERY = select(QuoteRow).from_statement(text(_NEWEST_OF_EVERY_SQL))
# A pull's quotes: the newest of every symbol (as above) that this device was not served yet, in
# the same one statement as the device's records (one GIL round trip on SQLite instead of two).
# Plain typed rows, matched to the table's columns by position (named in that order above): a pull
# runs it on a Core connection, and loading ORM objects cost more than the statement.
_UNSERVED_OF_EVERY = text(
    _NEWEST_OF_EVERY_SQL
    + """
        LEFT JOIN device_quotes served
        ON served.client_id = :client AND served.symbol = quotes.symbol
        WHERE served.quote_seq IS NULL OR served.quote_seq < quotes.seq
        ORDER BY quotes.symbol
        """
).columns(*QuoteRow.__table__.c)
_SERVED_TO = select(DeviceQuote.symbol, DeviceQuote.quote_seq).where(
    DeviceQuote.client_id == bindparam("client")
)


def latest_quotes(session: Session, symbols: Iterable[str] | None = None) -> dict[str, Quote]:
    """The newest quote of each symbol (of ``symbols`` when given).

    For a few symbols (an order's, a page's) one index seek each on ``(symbol, seq)`` is several
    times cheaper than the grouped query, which scans every quote of those symbols.
    """
    wanted = None if symbols is None else sorted(set(symbols))
    if wanted is not None and len(wanted) <= _FEW:
        newest = {symbol: newest_quote(session, symbol) for symbol in wanted}
        return {symbol: quote for symbol, quote in newest.items() if quote is not None}
    if wanted is None:
        return {row.symbol: to_quote(row) for row in session.scalars(_NEWEST_OF_EVERY)}
    newest = select(QuoteRow.symbol, func.max(QuoteRow.seq).label("seq")).group_by(QuoteRow.symbol)
    newest = newest.where(QuoteRow.symbol.in_(wanted))
    sub = newest.subquery()
    rows = session.scalars(
        select(QuoteRow).join(sub, (QuoteRow.symbol == sub.c.symbol) & (QuoteRow.seq == sub.c.seq))
    )
    return {row.symbol: to_quote(row) for row in rows}


# The price GET's one statement: the symbol's newest quote (one index seek) and the quote seq this
# device was last served of it. One statement needs no snapshot (no BEGIN, no rollback, no ORM
# session): on SQLite each call saved is one release and re-acquisition of the GIL under load.
_NEWEST_WITH_SERVED = (
    select(
        *QuoteRow.__table__.c,
        select(DeviceQuote.quote_seq)
        .where(DeviceQuote.client_id == bindparam("client"), DeviceQuote.symbol == QuoteRow.symbol)
        .scalar_subquery()
        .label("served_seq"),
    )
    .where(QuoteRow.symbol == bindparam("symbol"))
    .order_by(QuoteRow.seq.desc())
    .limit(1)
)


def newest_for_device(db: Database, symbol: str, client_id: str | None) -> tuple[Quote | None, bool]:
    """The newest quote of ``symbol`` and whether it is new to the device ``client_id`` (never for
    no device), read in one statement: what :func:`latest_quotes` and :func:`unserved_quotes` read."""
    with db.one_read() as connection:
        row = connection.execute(_NEWEST_WITH_SERVED, {"symbol": symbol, "client": client_id or ""}).first()
    if row is None:
        return None, False
    quote = to_quote(row)  # a row of the same columns
    return quote, client_id is not None and quote.seq > (row.served_seq or 0)


def unserved_quotes(
    session: Session,
    client_id: str,
    symbols: Iterable[str] | None = None,
    *,
    latest: dict[str, Quote] | None = None,
) -> list[Quote]:
    """The newest quote of each symbol that this device has not been served yet.

    ``latest`` is the caller's :func:`latest_quotes` of ``symbols`` when it has read them already."""
    if symbols is None and latest is None:
        return unserved_newest(session.connection(), client_id)
    # every symbol's record of this device (one per symbol it was ever shown: a few dozen rows)
    served: dict[str, int] = {
        symbol: seq for symbol, seq in session.execute(_SERVED_TO, {"client": client_id})
    }
    wanted = None if symbols is None else sorted(set(symbols))
    newest = latest if latest is not None else latest_quotes(session, wanted)
    return [q for q in newest.values() if q.seq > served.get(q.symbol, 0)]


def unserved_newest(connection: Connection, client_id: str) -> list[Quote]:
    """The newest quote of every symbol that this device has not been served yet (a pull's), read
    on ``connection`` in its transaction: :func:`unserved_quotes` of every symbol."""
    rows = connection.execute(_UNSERVED_OF_EVERY, {"client": client_id})
    # one per symbol: two server processes starting on one fresh database may each record the same
    # symbol's first quote under the same seq, and a device's record takes one quote a symbol
    return list({row.symbol: to_quote(row) for row in rows}.values())


def mark_served(session: Session, client_id: str, quotes: list[Quote]) -> None:
    """Record quotes as served to the device; a record never moves back to an older quote.

    The fill rule's "newest quote served to that device" reads these records, so they are written
    before the device can see the quotes.
    """
    if not quotes:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = [
        {"client_id": client_id, "symbol": q.symbol, "quote_id": q.quote_id, "quote_seq": q.seq}
        for q in quotes
    ]
    stmt = dialect.insert(DeviceQuote).values(values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["client_id", "symbol"],
            set_={"quote_id": stmt.excluded.quote_id, "quote_seq": stmt.excluded.quote_seq},
            where=DeviceQuote.quote_seq < stmt.excluded.quote_seq,
        )
    )


def record_served(db: Database, served: Mapping[str, list[Quote]]) -> None:
    """:func:`mark_served` for each device (``client_id`` → its new quotes) in one short write of its
    own, and no write at all when there is nothing new.

    A read finds what a device has not been served in its read snapshot (:func:`unserved_quotes`);
    most reads within a quote's life find nothing, so they never wait for the write lock. The record
    is committed before the caller answers, so the device never cites a quote the fill rule does not
    know it was shown, whichever process takes its push. No family's change log is touched: the
    write does not lock a family (PostgreSQL), and concurrent writers of one device's record agree,
    as a record only ever moves to a newer quote.
    """
    if not any(served.values()):
        return

    def write(session: Session) -> None:
        for client_id, quotes in served.items():
            mark_served(session, client_id, quotes)

    db.grouped.run(write)  # with the other reads' records that arrive meanwhile (server.db.group)


def serve_quotes(db: Database, client_id: str, symbols: Iterable[str] | None = None) -> list[Quote]:
    """The newest quotes this device has not been served yet, recorded as served (see
    :func:`record_served`: read in a snapshot, written only when there are some)."""
    with db.read() as session:
        fresh = unserved_quotes(session, client_id, symbols)
    record_served(db, {client_id: fresh})
    return fresh
