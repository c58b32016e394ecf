"""The offline model's answers to questions about the market data itself ("which stocks are in
the data?", "which banks do you have?", "is AAPL in the data?"), from `market_data_coverage`."""

from __future__ import annotations

from typing import Any

from agents.offline.intent.analysis import AnalysisAsk

__all__ = ["coverage_answer"]


def _stocks_asked_answer(data: dict[str, Any], names: tuple[str, ...]) -> str:
    """Whether each stock asked of is in the data, and its name, sector and returns' span."""
    held = {stock["ticker"]: stock for stock in data["stocks"]}
    lines = []
    for ticker in data.get("tickers", names):
        stock = held.get(ticker)
        if stock is None:
            lines.append(f"{ticker} is not in the market data.")
            continue
        about = ", ".join(part for part in (stock["name"], stock["sector"]) if part)
        label = f"{ticker} ({about})" if about else ticker
        if not stock["sessions"]:
            lines.append(f"{label} is in the market data with no returns.")
            continue
        lines.append(
            f"{label} is in the market data, with daily returns from {stock['first']} to "
            f"{stock['last']} ({stock['sessions']:,} sessions)."
        )
    span = data["data_range"]
    return (
        " ".join(lines) + f" The market data holds {data['of_all']} stocks, with daily returns "
        f'from {span["start"]} to {span["end"]}; ask "which stocks are in the data?" for the '
        "full list."
    )


def coverage_answer(data: dict[str, Any], ask: AnalysisAsk) -> str:
    """The stocks of the market data by sector, with their names and any that start or end
    apart from the data, its range and the window a question naming none uses; each stock
    asked of alone when the question names stocks ("is AAPL in the data?")."""
    if ask.names:
        return _stocks_asked_answer(data, ask.names)
    span, window = data["data_range"], data["default_window"]
    by_sector: dict[str, list[str]] = {}
    for stock in data["stocks"]:
        apart = [f"from {stock['first']}"] if stock["first"] != span["start"] else []
        apart += [f"to {stock['last']}"] if stock["last"] != span["end"] else []
        apart = apart if stock["sessions"] else ["no returns"]
        name = ", ".join([stock["name"], *apart] if stock["name"] else apart)
        label = f"{stock['ticker']} ({name})" if name else stock["ticker"]
        by_sector.setdefault(stock["sector"] or "Unclassified", []).append(label)
    sectors = "; ".join(
        f"{sector}: {', '.join(names)}" for sector, names in sorted(by_sector.items())
    )
    count = data["count"]
    opening = (
        f"Of the {data['of_all']} stocks of the market data, {count} "
        f"{'are' if count != 1 else 'is'} classified in {data['sector']!r}"
        if "sector" in data
        else f"The market data holds {count} stock{'s' if count != 1 else ''}"
    )
    index = data.get("index")
    indexed = (
        f" The S&P 500 index has returns from {index['first']} to {index['last']}."
        if index
        else " There is no index in the data (measures against the market use the stocks' equal-weight average)."
    )
    return (
        f"{opening}, with daily returns from {span['start']} to {span['end']} "
        f"({span['sessions']:,} sessions): {sectors}.{indexed} A question that names no window "
        f"uses {window['start']} to {window['end']}; name the years or dates for another."
    )
