"""`GET /v1/research/search` and `POST /v1/research/reindex` end to end on the SQLite store and
the local research index: passages with citations and snippets, each mode, filters, owners kept
apart, deletion taking the vectors, and the refusals naming their parameter."""

from __future__ import annotations

from typing import Any

from devtools.document_files import pdf_bytes, xlsx_bytes
from tests.api.conftest import Api, assert_error


def upload(api: Api, filename: str, data: bytes, headers: dict[str, str]) -> str:
    response = api.client.post(
        "/v1/documents", files={"file": (filename, data, "application/octet-stream")},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def search(api: Api, headers: dict[str, str], **params: Any) -> Any:
    return api.client.get("/v1/research/search", params=params, headers=headers)


def test_search_cites_pages_and_sheets_and_keeps_owners_apart(api: Api) -> None:
    outlook = pdf_bytes(
        [
            ["Outlook for 2027.", "Rates stay restrictive."],
            ["Energy stocks: we expect OPEC cuts to lift crude to 90 dollars."],
        ]
    )
    pdf_id = upload(api, "outlook.pdf", outlook, api.alice)
    xlsx_id = upload(
        api, "forecasts.xlsx",
        xlsx_bytes({"Energy": [["ticker", "expected return"], ["XOM", 0.08], ["CVX", 0.07]]}),
        api.alice,
    )  # fmt: skip
    upload(api, "bob.md", b"# Energy\n\nBob's private energy view.\n", api.bob)

    response = search(api, api.alice, q="energy stocks crude")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "hybrid" and body["embedding_model"].startswith("offline-hashing")
    first = body["hits"][0]
    assert (first["document_id"], first["reference"]) == (pdf_id, {"page": 2})
    assert first["citation"] == "(outlook.pdf, p. 2)"
    assert "crude" in first["snippet"] and first["bm25_rank"] == 1
    assert body["unindexed"] == []
    assert all(hit["document_name"] != "bob.md" for hit in body["hits"])

    sheet = search(api, api.alice, q="XOM expected return", mode="bm25").json()["hits"][0]
    assert sheet["document_id"] == xlsx_id
    assert sheet["citation"] == "(forecasts.xlsx, sheet Energy, rows 2-3)"
    assert (
        search(api, api.alice, q="OPEC", mode="vector").json()["hits"][0]["document_id"] == pdf_id
    )

    only = search(api, api.alice, q="expected return", document_id=[xlsx_id], k=10).json()["hits"]
    assert only and {hit["document_id"] for hit in only} == {xlsx_id}
    future = search(api, api.alice, q="energy", uploaded_from="2100-01-01T00:00:00Z").json()
    assert future["hits"] == []
    bob = search(api, api.bob, q="energy crude", k=10).json()["hits"]
    assert [hit["document_name"] for hit in bob] == ["bob.md"]


def test_deleting_a_document_takes_its_passages_out_of_search(api: Api) -> None:
    doc_id = upload(api, "tobacco.md", b"# Tobacco\n\nCigarette volumes declined.\n", api.alice)
    assert search(api, api.alice, q="cigarette volumes").json()["hits"][0]["document_id"] == doc_id
    assert api.client.delete(f"/v1/documents/{doc_id}", headers=api.alice).status_code == 204
    hits = search(api, api.alice, q="cigarette volumes", k=10).json()["hits"]
    assert doc_id not in {hit["document_id"] for hit in hits}


def test_reindex_rebuilds_the_caller_s_index(api: Api) -> None:
    upload(api, "energy.md", b"# Energy\n\nEnergy margins widened.\n", api.alice)
    before = search(api, api.alice, q="energy", k=10).json()["hits"]
    response = api.client.post("/v1/research/reindex", headers=api.alice)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["documents"] == len(api.store.list_documents("alice")) and report["chunks"] > 0
    after = search(api, api.alice, q="energy", k=10).json()["hits"]
    assert [(h["document_id"], h["ordinal"]) for h in after] == [
        (h["document_id"], h["ordinal"]) for h in before
    ]


def test_bad_parameters_are_refused_naming_them(api: Api) -> None:
    assert_error(search(api, api.alice, q=""), 422, "VALIDATION_ERROR", "q")
    assert_error(search(api, api.alice, q="   "), 422, "VALIDATION_ERROR", "q")
    assert_error(search(api, api.alice, q="x", k=0), 422, "VALIDATION_ERROR", "k")
    assert_error(search(api, api.alice, q="x", mode="fuzzy"), 422, "VALIDATION_ERROR", "mode")
    assert_error(search(api, api.alice, q="x", fusion="max"), 422, "VALIDATION_ERROR", "fusion")
    naive = search(api, api.alice, q="x", uploaded_from="2026-01-01T00:00:00")
    assert_error(naive, 422, "VALIDATION_ERROR", "uploaded_from")
    backwards = search(
        api, api.alice, q="x", uploaded_from="2026-02-01T00:00:00Z",
        uploaded_to="2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert_error(backwards, 422, "VALIDATION_ERROR", "uploaded_to")
    bob_doc = upload(api, "bob-notes.md", b"# Notes\n\nBob only.\n", api.bob)
    stranger = search(api, api.alice, q="energy", document_id=[bob_doc])
    assert_error(stranger, 422, "VALIDATION_ERROR", "document_id")
