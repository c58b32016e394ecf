"""What a research answer quotes: the passages that speak to the question, and in each the
sentence or rows that do, verbatim and grounded."""

from __future__ import annotations

from agents.grounding import citation_problems
from agents.research_quotes import best_sentence, quoted_answer

OUTLOOK = {
    "citation": "(outlook.pdf, p. 1)",
    "text": "House outlook for 2023 (an example).\nMacro. We expect rates to stay restrictive\n"
    "into 2023 and growth to slow.\nDefensives. Consumer staples and health care remain our\n"
    "preferred shelters.",
}
ENERGY = {
    "citation": "(outlook.pdf, p. 2)",
    "text": "Energy stocks.\nOPEC supply cuts should hold Brent crude near 85 dollars a barrel,\n"
    "which supports energy stocks through 2023. We prefer the integrated majors XOM and CVX\n"
    "over gas producers.\nRRC is the most exposed to US natural gas prices, which fell 40% from"
    " their peak.",
}
ENERGY_SHEET = {
    "citation": "(views.xlsx, sheet Energy, rows 2-4)",
    "text": "ticker: XOM; view: overweight; expected return 12m: 0.09\n"
    "ticker: CVX; view: overweight; expected return 12m: 0.08\n"
    "ticker: RRC; view: underweight; expected return 12m: -0.03",
}
DEFENSIVE_SHEET = {
    "citation": "(views.xlsx, sheet Defensives, rows 2-4)",
    "text": "ticker: KO; view: overweight; expected return 12m: 0.06\n"
    "ticker: PG; view: neutral; expected return 12m: 0.05\n"
    "ticker: JNJ; view: overweight; expected return 12m: 0.07",
}
LIBRARY = [OUTLOOK, ENERGY, ENERGY_SHEET, DEFENSIVE_SHEET]


def test_a_ticker_asked_about_quotes_its_row_and_the_sentence_naming_it() -> None:
    answer = quoted_answer(LIBRARY, "what do we think about XOM?")
    assert '"ticker: XOM; view: overweight; expected return 12m: 0.09" (views.xlsx' in answer
    assert "We prefer the integrated majors XOM and CVX over gas producers." in answer
    assert "CVX; view" not in answer and "KO" not in answer and "House outlook" not in answer
    assert citation_problems(answer, LIBRARY) == []


def test_a_forecast_asked_of_one_stock_quotes_that_row_only() -> None:
    answer = quoted_answer(LIBRARY, "what's the expected return for JNJ in our forecasts?")
    assert answer == (
        'Your research says: "ticker: JNJ; view: overweight; expected return 12m: 0.07" '
        "(views.xlsx, sheet Defensives, rows 2-4)."
    )


def test_a_commodity_is_found_by_what_the_passage_calls_it_and_a_figure_is_preferred() -> None:
    answer = quoted_answer(LIBRARY, "what is the oil price forecast?")
    assert "Brent crude near 85 dollars a barrel" in answer
    assert "sheet Defensives" not in answer and "House outlook" not in answer
    assert citation_problems(answer, LIBRARY) == []


def test_a_heading_is_quoted_with_the_sentence_it_introduces() -> None:
    answer = quoted_answer(LIBRARY, "what does our research say about defensive stocks?")
    assert answer.startswith(
        'Your research says: "Defensives. Consumer staples and health care remain our preferred'
        ' shelters." (outlook.pdf, p. 1)'
    )
    assert "sheet Defensives" in answer  # the sheet's name speaks to the question
    assert "Brent" not in answer  # "stocks" alone is not enough


def test_without_words_to_weigh_by_the_search_order_is_kept() -> None:
    answer = quoted_answer(LIBRARY, "what does my research say?", count=2)
    assert answer == (
        'Your research says: "House outlook for 2023 (an example). Macro. We expect rates to stay '
        'restrictive into 2023 and growth to slow." (outlook.pdf, p. 1); "Energy stocks. OPEC '
        "supply cuts should hold Brent crude near 85 dollars a barrel, which supports energy "
        'stocks through 2023. We prefer the integrated majors XOM and CVX over gas producers." '
        "(outlook.pdf, p. 2)."
    )


def test_when_nothing_speaks_to_the_question_the_answer_says_so() -> None:
    answer = quoted_answer(LIBRARY, "what about semiconductors?", count=1)
    assert answer.startswith("Nothing in your documents speaks to that directly")
    assert citation_problems(answer, LIBRARY) == []


def test_best_sentence_is_verbatim_with_whitespace_collapsed() -> None:
    quote = best_sentence(ENERGY["text"], "natural gas prices")
    assert (
        quote == "RRC is the most exposed to US natural gas prices, which fell 40% from their peak."
    )
    assert best_sentence("Short.", "anything") == "Short."
