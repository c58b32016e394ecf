"""`/v1/documents` end to end on the SQLite store: upload of each kind (201, metadata, links,
chunks with their references, the original back byte for byte), listing newest first, paging,
deletion of everything, owner isolation, and the refusals (415, 413, 422 naming `file`) that
leave nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.document_files import encrypted_pdf_bytes, pdf_bytes, xlsx_bytes
from store import ArchivedError, NotFoundError
from tests.api.conftest import Api, assert_error, make_settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(api: Api, filename: str, data: bytes, headers: dict[str, str] | None = None) -> Any:
    return api.client.post(
        "/v1/documents",
        files={"file": (filename, data, "application/octet-stream")},
        headers=headers or api.alice,
    )


def names(api: Api, headers: dict[str, str]) -> list[str]:
    response = api.client.get("/v1/documents", headers=headers)
    assert response.status_code == 200
    return [d["name"] for d in response.json()["items"]]


def test_a_pdf_is_added_with_its_pages_chunks_and_original(api: Api) -> None:
    data = pdf_bytes([["Allocation policy."], ["Equities at most 60 percent."]])
    response = upload(api, "policy.pdf", data)
    assert response.status_code == 201, response.text
    body = response.json()
    did = body["id"]
    assert did.startswith("doc_") and response.headers["location"] == f"/v1/documents/{did}"
    assert (body["name"], body["media_type"], body["pages"], body["chunk_count"]) == (
        "policy.pdf", "application/pdf", 2, 2,
    )  # fmt: skip
    assert body["size_bytes"] == len(data)
    assert body["links"] == {
        "self": f"/v1/documents/{did}",
        "chunks": f"/v1/documents/{did}/chunks",
        "original": f"/v1/documents/{did}/original",
    }
    detail = api.client.get(f"/v1/documents/{did}", headers=api.alice).json()
    assert detail["first_chunks"] == [
        {"ordinal": 0, "reference": {"page": 1}},
        {"ordinal": 1, "reference": {"page": 2}},
    ]
    chunks = api.client.get(f"/v1/documents/{did}/chunks", headers=api.alice).json()
    assert chunks == {
        "items": [
            {"ordinal": 0, "text": "Allocation policy.", "reference": {"page": 1}},
            {"ordinal": 1, "text": "Equities at most 60 percent.", "reference": {"page": 2}},
        ],
        "next_cursor": None,
    }
    original = api.client.get(f"/v1/documents/{did}/original", headers=api.alice)
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-type"] == "application/pdf"
    assert original.headers["content-disposition"] == 'attachment; filename="policy.pdf"'
    assert original.headers["etag"] == f'"{body["sha256"]}"'


def test_an_xlsx_keeps_its_sheet_and_rows(api: Api) -> None:
    data = xlsx_bytes({"Weights": [["asset", "weight"], ["AAPL", 0.6], ["BND", 0.4]]})
    body = upload(api, "C:\\Users\\al\\book.xlsx", data).json()
    assert (body["name"], body["media_type"], body["pages"]) == ("book.xlsx", XLSX, None)
    chunks = api.client.get(f"/v1/documents/{body['id']}/chunks", headers=api.alice).json()
    assert chunks["items"] == [
        {
            "ordinal": 0,
            "text": "asset: AAPL; weight: 0.6\nasset: BND; weight: 0.4",
            "reference": {"sheet": "Weights", "rows": "2-3"},
        }
    ]


def test_chunks_page_with_a_cursor(api: Api) -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "x" * 700 for i in range(5)).encode()
    did = upload(api, "long.txt", text).json()["id"]
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.client.get(f"/v1/documents/{did}/chunks", params=params, headers=api.alice)
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert [c["ordinal"] for c in seen] == [0, 1, 2, 3, 4]
    assert [c["reference"] for c in seen] == [
        {"lines": f"{2 * i + 1}-{2 * i + 1}"} for i in range(5)
    ]
    bad = api.client.get(f"/v1/documents/{did}/chunks?cursor=zzz", headers=api.alice)
    assert_error(bad, 400, "BAD_REQUEST", "cursor")


def test_documents_are_listed_newest_first_and_only_the_owner_s(api: Api) -> None:
    assert names(api, api.alice)[:3] == ["long.txt", "book.xlsx", "policy.pdf"]
    assert "policy.pdf" not in names(api, api.bob)
    did = api.client.get("/v1/documents", headers=api.alice).json()["items"][0]["id"]
    for path in ("", "/chunks", "/original"):
        assert_error(
            api.client.get(f"/v1/documents/{did}{path}", headers=api.bob), 404, "NOT_FOUND"
        )
    assert_error(api.client.delete(f"/v1/documents/{did}", headers=api.bob), 404, "NOT_FOUND")
    assert api.client.get(f"/v1/documents/{did}", headers=api.alice).status_code == 200


def test_delete_takes_the_chunks_and_the_original(api: Api) -> None:
    did = upload(api, "gone.md", b"# Gone\n\nSoon.\n").json()["id"]
    assert api.client.delete(f"/v1/documents/{did}", headers=api.alice).status_code == 204
    for path in ("", "/chunks", "/original"):
        assert_error(
            api.client.get(f"/v1/documents/{did}{path}", headers=api.alice), 404, "NOT_FOUND"
        )
    assert "gone.md" not in names(api, api.alice)
    with pytest.raises(NotFoundError):
        api.store.document_bytes("alice", did)


@pytest.mark.parametrize(
    ("filename", "data", "status", "code", "says"),
    [
        ("chart.png", b"\x89PNG\r\n\x1a\n0000", 415, "UNSUPPORTED_MEDIA_TYPE", "unsupported"),
        ("secret.pdf", encrypted_pdf_bytes(), 422, "VALIDATION_ERROR", "encrypted"),
        ("broken.pdf", b"%PDF-1.4\ngarbage", 422, "VALIDATION_ERROR", "damaged"),
        ("empty.txt", b"", 422, "VALIDATION_ERROR", "empty"),
        ("cut.json", b'{"a": ', 422, "VALIDATION_ERROR", "JSON"),
    ],
)
def test_refused_files_name_the_field_and_leave_nothing(
    api: Api, filename: str, data: bytes, status: int, code: str, says: str
) -> None:
    before = api.store.list_documents("alice")
    error = assert_error(upload(api, filename, data), status, code, "file")
    assert says in error["message"]
    assert api.store.list_documents("alice") == before


def test_limits_on_bytes_and_pages(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = make_settings(tmp_path, documents={"max_bytes": 2048, "max_pages": 2})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        store = client.app.state.context.store  # type: ignore[attr-defined]
        key, _ = store.create_api_key("carol", "tests")
        headers = {"x-api-key": key}

        def post(filename: str, data: bytes) -> Any:
            files = {"file": (filename, data, "application/octet-stream")}
            return client.post("/v1/documents", files=files, headers=headers)

        error = assert_error(post("big.txt", b"x" * 4096), 413, "PAYLOAD_TOO_LARGE", "file")
        assert "2048 bytes" in error["message"]
        pages = pdf_bytes([["a."], ["b."], ["c."]])
        error = assert_error(post("long.pdf", pages), 422, "VALIDATION_ERROR", "file")
        assert "3 pages; the limit is 2 pages" in error["message"]
        assert store.list_documents("carol") == []
        assert post("ok.txt", b"x" * 2048).status_code == 201


def test_a_document_above_the_json_body_limit_is_an_upload(api: Api) -> None:
    # the body limit of upload routes (api_max_upload_bytes) applies, not api_max_body_bytes
    paragraph = "Rebalance quarterly within the drift bands. " * 20
    data = "\n\n".join(f"{i}. {paragraph}" for i in range(2000)).encode()
    assert len(data) > api.settings.api.max_body_bytes
    response = upload(api, "big.txt", data)
    assert response.status_code == 201, response.text
    assert response.json()["chunk_count"] == 4000  # two chunks per ~900-character paragraph


def test_an_archived_original_answers_503_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the AWS store raises ArchivedError for an original in Glacier (tests/store/
    # test_aws_documents.py); here the route's answer to it
    did = upload(api, "a.md", b"# A\n\nText.\n").json()["id"]

    def archived(owner: str, document_id: str) -> bytes:
        raise ArchivedError(f"the original of document {document_id} is archived", 5)

    monkeypatch.setattr(api.store, "document_bytes", archived)
    response = api.client.get(f"/v1/documents/{did}/original", headers=api.alice)
    error = assert_error(response, 503, "ARCHIVED")
    assert did in error["message"] and response.headers["retry-after"] == "18000"
