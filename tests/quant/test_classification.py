"""quant.classification: the shipped classification of the embedded tickers, a supplied file's
rows added and overriding, malformed files refused naming the file, and industry matching."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quant.classification import (
    ClassificationFileError,
    classifications,
    classify,
    embedded_classifications,
    matching,
    names_category,
)
from quant.data import sp500_prices
from tests.support.classification import write_classification

GICS_SECTORS = {
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
}


def test_the_shipped_classification_covers_exactly_the_embedded_tickers() -> None:
    shipped = embedded_classifications()
    assert sorted(shipped) == sorted(str(t) for t in sp500_prices().columns)
    for ticker, c in shipped.items():
        assert c.ticker == ticker and c.name and c.industry
        assert c.sector in GICS_SECTORS, (ticker, c.sector)
    assert classifications() == shipped


def test_terms_match_sectors_and_whole_words_of_sub_industries() -> None:
    assert [c.ticker for c in matching("banks")] == ["BAC", "JPM"]
    assert [c.ticker for c in matching("ENERGY")] == ["CVX", "RRC", "XOM"]
    assert [c.ticker for c in matching("oil & gas")] == ["CVX", "RRC", "XOM"]
    assert matching("ban") == [] and matching("tobacco") == [] and matching("oil gas") == []


def test_a_term_names_its_category_in_the_singular_or_the_plural() -> None:
    for singular, plural in (("bank", "banks"), ("financial", "financials"),
                             ("staple", "staples"), ("pharmaceutical", "pharmaceuticals")):  # fmt: skip
        assert matching(singular) == matching(plural) != []
    assert names_category("glass", "Glass") and not names_category("glas", "Glass")
    assert names_category("gas", "Oil & Gas") and not names_category("ga", "Oil & Gas")


def test_a_supplied_file_adds_rows_and_overrides_the_shipped_ones(tmp_path: Path) -> None:
    path = write_classification(
        tmp_path,
        "Ticker,Name,Sector,Industry,Country\n"
        "mo,Altria Group,Consumer Staples,Tobacco,US\n"
        "XOM,Exxon Mobil (vendor),Energy,Oil & Gas Refining & Marketing,US\n",
    )
    merged = classifications(path)
    assert set(merged) == set(embedded_classifications()) | {"MO"}
    assert classify("mo", path) == merged["MO"] and merged["MO"].industry == "Tobacco"
    assert merged["XOM"].industry == "Oil & Gas Refining & Marketing"
    assert embedded_classifications()["XOM"].industry == "Integrated Oil & Gas"
    assert classify("MO") is None and [c.ticker for c in matching("tobacco", path)] == ["MO"]
    assert [c.ticker for c in matching("refining", path)] == ["XOM"]


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = write_classification(tmp_path)
    assert classify("PM", path) is not None
    path.write_text("ticker,name,sector,industry\nMO,Altria Group,Consumer Staples,Tobacco\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert classify("PM", path) is None and classify("MO", path) is not None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ticker,name,sector\nMO,Altria,Consumer Staples\n", "missing column(s) industry"),
        ("ticker,name,sector,industry\nMO,Altria,,Tobacco\n", "line 2: empty sector"),
        (
            "ticker,name,sector,industry\nMO,Altria,Staples,Tobacco\nmo,A,S,T\n",
            "line 3: ticker MO appears twice",
        ),
        ("ticker,name,sector,industry\nB F,Brown,Staples,Distillers\n", "contains whitespace"),
        ("ticker,name,sector,industry\n", "no rows"),
        ("", "missing column(s) ticker, name, sector, industry"),
    ],
)
def test_a_malformed_file_is_refused_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    path = write_classification(tmp_path, text)
    with pytest.raises(ClassificationFileError) as err:
        classifications(path)
    assert str(err.value).startswith(f"classification file {path}: ")
    assert problem in str(err.value)


def test_a_missing_or_non_utf8_file_is_refused_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(ClassificationFileError, match=f"classification file {missing}: "):
        classify("MO", missing)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "ticker,name,sector,industry\nNSRGY,Nestl\xe9,Staples,Food\n".encode("latin-1")
    )
    with pytest.raises(ClassificationFileError, match="not a UTF-8 CSV file"):
        classifications(latin)
