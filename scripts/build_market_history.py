"""Build ``assets/market/history/`` from the price tables two packages ship (a developer runs it).

    python3 -m venv /tmp/histvenv
    /tmp/histvenv/bin/pip install bokeh_sampledata
    /tmp/histvenv/bin/pip install --no-deps skfolio   # only its bundled CSV is read: no scikit-learn needed
    /tmp/histvenv/bin/python scripts/build_market_history.py

The script reads the packages' own gzip'd CSV files with the standard library, so the runtime (and this
repository's venv) never needs either package. Output, one file per symbol plus an index:

- ``<SYMBOL>.csv.gz``: ``date,open,high,low,close,volume``; prices are integer micro-dollars, adjusted
  for splits and dividends (a replayed split must not look like a crash to a child); ``open``/``high``/
  ``low``/``volume`` are empty where the source has only closes.
- ``index.json``: per symbol its first and last date, row count, source and licence.

The S&P 500 index itself (``^GSPC``, skfolio's ``sp500_index``) is filed beside the companies: it is the
benchmark a child holding US stocks is compared with offline. No package ships KOSPI (``^KS11``), so
offline a child holding Korean stocks sees that line labelled missing, never a made-up one.

Where both packages cover a symbol (AAPL, MSFT) the longer skfolio close series wins, so one symbol has
one consistent adjustment.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import sys
from datetime import date
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "assets" / "market" / "history"

BOKEH = {
    "source": "bokeh_sampledata (stocks: Quandl WIKI Prices, archived copy)",
    "licence": "Public Domain (Quandl WIKI); bokeh_sampledata is BSD-3-Clause",
    "adjusted": "OHLC scaled by the source's adj_close/close; volume as traded",
}
SKFOLIO = {
    "source": "skfolio datasets (sp500_dataset: 20 S&P 500 constituents)",
    "licence": "BSD-3-Clause (skfolio); daily adjusted closes, marked by skfolio for testing and examples",
    "adjusted": "adjusted close only",
}
SKFOLIO_INDEX = {
    "source": "skfolio datasets (sp500_index: the S&P 500 index)",
    "licence": "BSD-3-Clause (skfolio); daily index closes, marked by skfolio for testing and examples",
    "adjusted": "index close only",
}
# the tickers these companies trade under today, so a replayed bar matches the symbol directory
RENAMES = {"FB": "META", "GOOG": "GOOGL"}  # bokeh's GOOG is Google's pre-2014 (class A) history


def _micro(value: str) -> int:
    return round(float(value) * 1_000_000)


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{package} is not installed in this interpreter (see the module docstring)")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def bokeh_rows() -> dict[str, list[tuple[str, int | None, int | None, int | None, int, int | None]]]:
    path = _package_file("bokeh_sampledata", "_data", "stocks.csv.gz")
    series: dict[str, list[tuple[str, int | None, int | None, int | None, int, int | None]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            factor = float(row["Adj Close"]) / float(row["Close"])
            symbol = RENAMES.get(row["Ticker"], row["Ticker"])
            series.setdefault(symbol, []).append(
                (
                    date.fromisoformat(row["Date"]).isoformat(),
                    round(float(row["Open"]) * factor * 1e6),
                    round(float(row["High"]) * factor * 1e6),
                    round(float(row["Low"]) * factor * 1e6),
                    _micro(row["Adj Close"]),
                    int(float(row["Volume"])),
                )
            )
    return series


def skfolio_rows() -> dict[str, list[tuple[str, int | None, int | None, int | None, int, int | None]]]:
    path = _package_file("skfolio", "datasets", "data", "sp500_dataset.csv.gz")
    series: dict[str, list[tuple[str, int | None, int | None, int | None, int, int | None]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        symbols = next(reader)[1:]
        for row in reader:
            day = date.fromisoformat(row[0]).isoformat()
            for symbol, close in zip(symbols, row[1:], strict=True):
                if close:
                    series.setdefault(symbol, []).append((day, None, None, None, _micro(close), None))
    return series


def skfolio_index_rows() -> dict[str, list[tuple[str, int | None, int | None, int | None, int, int | None]]]:
    """The S&P 500 index, filed under its Yahoo ticker ``^GSPC`` (index points in micro-units)."""
    path = _package_file("skfolio", "datasets", "data", "sp500_index.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [(date.fromisoformat(d).isoformat(), None, None, None, _micro(v), None) for d, v in reader]
    return {"^GSPC": rows}


def write(symbol: str, rows: list[tuple[str, int | None, int | None, int | None, int, int | None]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["date", "open", "high", "low", "close", "volume"])
    for row in sorted(rows):
        writer.writerow(["" if value is None else value for value in row])
    # mtime=0: rebuilding from the same packages gives byte-identical files (no noise in git)
    with open(OUT / f"{symbol}.csv.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, object]] = {}
    sources = ((bokeh_rows(), BOKEH), (skfolio_rows(), SKFOLIO), (skfolio_index_rows(), SKFOLIO_INDEX))
    for series, meta in sources:
        for symbol, rows in series.items():  # skfolio second: it replaces bokeh's AAPL and MSFT
            rows.sort()
            write(symbol, rows)
            index[symbol] = {"first": rows[0][0], "last": rows[-1][0], "rows": len(rows), **meta}
    (OUT / "index.json").write_text(
        json.dumps(dict(sorted(index.items())), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(index)} symbols, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
