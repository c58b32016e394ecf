"""`GET /v1/vocabulary`: the words and number formats of every page, report and reply
(`services.formatting`), without authentication and cacheable: the web UI writes parameters,
metrics, limits and numbers from it, as the report and the command line do in Python."""

from __future__ import annotations

from functools import cache

from fastapi import Response

from api.route_defaults import api_router
from api.schemas.vocabulary import VocabularyOut
from services.formatting import vocabulary

router = api_router(prefix="/v1", tags=["vocabulary"])

VOCABULARY_CACHE = "public, max-age=3600"
"""The vocabulary changes only with a release: shared caches may keep it an hour."""


@cache
def _document() -> VocabularyOut:
    return VocabularyOut.model_validate(vocabulary())


@router.get("/vocabulary", response_model=VocabularyOut, summary="Words and number formats")
def get_vocabulary(response: Response) -> VocabularyOut:
    """Every strategy parameter, metric, statistic of the simulated paths, scenario,
    benchmark and agent in words, with the rules of each number format."""
    response.headers["Cache-Control"] = VOCABULARY_CACHE
    return _document()
