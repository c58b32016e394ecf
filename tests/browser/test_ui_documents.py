"""The Documents page in Chromium: files dropped on the page (a DataTransfer dispatched in the
page) and chosen with the file picker upload one by one with their progress (XMLHttpRequest
upload events); the search box lists the passages the API finds with their citations; a
refused file (415 unsupported, 413 above the module server's 800 KB limit,
422 corrupt) shows the server's message on its own line and nothing is listed for it; the list
matches the API; a document's passages show their references, the original downloads byte for
byte; delete asks first and removes it (also by keyboard)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tests.browser.conftest import screenshot
from tests.support.browser import Server, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
MAX_BYTES = 800_000
MAX_BODY = 1_000_000
SERVER_SETTINGS = {"documents": {"max_bytes": MAX_BYTES}, "api": {"max_upload_bytes": MAX_BODY}}
"""This module's server refuses documents above 800 KB and upload bodies above 1 MB (413)."""


def research_markdown() -> bytes:
    """About 600 KB of Markdown in ten sections (several hundred passages)."""
    sections = []
    for s in range(10):
        paragraphs = [
            f"Paragraph {p} of sector {s}: energy stocks trade at {10 + p % 7} times earnings; "
            + "the outlook depends on oil prices and refining margins. " * 9
            for p in range(100)
        ]
        sections.append(f"# Sector {s}\n\n" + "\n\n".join(paragraphs))
    return "\n\n".join(sections).encode()


DROP = """([files]) => {
    // record every value each progress bar takes, then drop the files on the page
    window.progressValues = {};
    new MutationObserver((records) => {
        for (const r of records) {
            const name = r.target.closest("li").dataset.name;
            (window.progressValues[name] ||= []).push(Number(r.target.getAttribute("value")));
        }
    }).observe(document.getElementById("upload-list"), {
        subtree: true, attributes: true, attributeFilter: ["value"],
    });
    const transfer = new DataTransfer();
    for (const [name, type, b64] of files) {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], name, { type }));
    }
    const zone = document.getElementById("documents-drop");
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
}"""


def listed(server: Server) -> dict[str, dict[str, Any]]:
    with server.client() as client:
        return {d["name"]: d for d in client.get("/v1/documents").json()["items"]}


def row_texts(page: Any) -> list[list[str]]:
    rows = page.locator("#documents-table tbody tr")
    return [rows.nth(i).locator("th, td").all_inner_texts() for i in range(rows.count())]


def test_drop_pick_read_download_and_delete_documents(
    page: Any, server: Server, tmp_path: Path, artifacts: Path
) -> None:
    sign_in(page, server, "#/documents")
    page.wait_for_selector("#documents-status:has-text('No documents yet.')")
    assert page.locator("#documents-search").is_visible()

    research = research_markdown()
    too_big = b"Too long.\n\n" * (MAX_BYTES // 10)
    files = [
        ["research.md", "text/markdown", base64.b64encode(research).decode()],
        ["chart.png", "image/png", base64.b64encode(PNG).decode()],
        ["huge.txt", "text/plain", base64.b64encode(too_big).decode()],
    ]
    page.evaluate(DROP, [files])
    page.wait_for_selector("#upload-list li.done[data-name='research.md']")
    failed = page.locator("#upload-list li.failed[data-name='chart.png']")
    failed.wait_for()
    refusal = failed.locator(".upload-status").inner_text()
    assert refusal.startswith("'chart.png': unsupported type; supported are PDF")
    assert refusal.count("unsupported") == 1  # the message once, no raw JSON
    huge = page.locator("#upload-list li.failed[data-name='huge.txt']")
    huge.wait_for()
    assert huge.locator(".upload-status").inner_text() == (
        f"'huge.txt' is larger than the limit of {MAX_BYTES} bytes"
    )

    # progress: at least one upload progress event, the bar only grows and ends full
    done = page.locator("#upload-list li[data-name='research.md']")
    assert int(done.get_attribute("data-progress-events")) >= 1
    values = page.evaluate("window.progressValues['research.md']")
    assert values and values == sorted(values) and values[-1] == 100

    documents = listed(server)
    assert sorted(documents) == ["research.md"]  # the refused files left nothing
    md = documents["research.md"]
    assert md["chunk_count"] > 50
    page.wait_for_selector("#documents-table tbody tr >> nth=0")
    (row,) = row_texts(page)
    size = f"{len(research) / 1024:.0f} KB"  # 500-odd KB
    assert row[:4] == ["research.md", "Markdown", f"{md['chunk_count']} chunks", size]
    assert md["size_bytes"] == len(research)

    # the file picker: a text file and a broken JSON file, uploaded one after the other
    notes = tmp_path / "notes.txt"
    notes.write_text("Hold energy at market weight.\n\nReview in March.\n")
    broken = tmp_path / "cut.json"
    broken.write_text('{"a": ')
    page.set_input_files("#documents-file", [str(notes), str(broken)])
    page.wait_for_selector("#upload-list li.done[data-name='notes.txt']")
    bad = page.locator("#upload-list li.failed[data-name='cut.json']")
    bad.wait_for()
    assert bad.locator(".upload-status").inner_text().startswith("'cut.json' is not valid JSON")
    page.wait_for_selector("#documents-table tbody tr >> nth=1")
    assert [r[0] for r in row_texts(page)] == ["notes.txt", "research.md"]  # newest first
    page.wait_for_selector("#documents-status:has-text('2 documents.')")
    assert sorted(listed(server)) == ["notes.txt", "research.md"]
    screenshot(page, artifacts / "documents.png", full_page=True)

    # search: the passages the API finds, best first, each with its citation and snippet
    page.fill("#documents-query", "hold energy at market weight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#documents-results li >> nth=0")
    with server.client() as client:
        found = client.get(
            "/v1/research/search", params={"q": "hold energy at market weight", "k": 10}
        ).json()
    shown = page.locator("#documents-results li .citation").all_inner_texts()
    assert shown == [hit["citation"] for hit in found["hits"]]
    assert shown[0].startswith("(notes.txt, line")
    first_snippet = page.locator("#documents-results li blockquote").first.inner_text()
    assert "Hold energy at market weight" in first_snippet
    page.select_option("#documents-mode", "bm25")
    page.fill("#documents-query", "zebra giraffe")
    page.click("#documents-search button[type=submit]")
    page.wait_for_selector("#documents-search-status:has-text('No passage matches')")
    assert page.locator("#documents-results li").count() == 0

    # a document's passages with their references, a page at a time
    page.click("#documents-table a:has-text('research.md')")
    page.wait_for_selector("#document-title:has-text('research.md')")
    page.wait_for_selector("#chunk-list li >> nth=49")
    assert page.locator("#chunk-list li").count() == 50
    assert page.locator("#chunk-list li .chunk-ref").first.inner_text() == "#0 section Sector 0"
    with server.client() as client:
        chunks = client.get(f"/v1/documents/{md['id']}/chunks", params={"limit": 100}).json()
    assert (
        page.locator("#chunk-list li .chunk-text").nth(49).inner_text()
        == (chunks["items"][49]["text"])
    )
    screenshot(page, artifacts / "document.png")
    page.click("#chunks-more")
    page.wait_for_selector("#chunk-list li >> nth=99")
    assert f"100 of {md['chunk_count']} passage(s) shown." == page.inner_text("#chunk-status")

    with page.expect_download() as download:
        page.click("#document-download")
    assert download.value.suggested_filename == "research.md"
    assert Path(download.value.path()).read_bytes() == research

    # delete from the document's page: asked first, then back to the list without it
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#document-delete")
    assert "research.md" in listed(server)  # dismissed: nothing deleted
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#document-delete")
    page.wait_for_selector("#documents-table")
    page.wait_for_function(
        "() => document.querySelectorAll('#documents-table tbody tr').length === 1"
    )
    assert sorted(listed(server)) == ["notes.txt"]

    # and from the list, with the keyboard
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete notes.txt").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#documents-status:has-text('Deleted notes.txt. No documents yet.')")
    assert page.locator("#documents-table tbody tr").count() == 0
    assert listed(server) == {}
    assert page.problems == []


def test_a_body_above_the_upload_limit_shows_the_413_on_its_line(page: Any, server: Server) -> None:
    # refused by the body-size middleware from Content-Length, before the route reads it
    sign_in(page, server, "#/documents")
    page.wait_for_selector("#documents-status")
    giant = base64.b64encode(b"x" * (MAX_BODY + 500_000)).decode()
    page.evaluate(DROP, [[["giant.txt", "text/plain", giant]]])
    line = page.locator("#upload-list li.failed[data-name='giant.txt']")
    line.wait_for()
    text = line.locator(".upload-status").inner_text()
    assert f"is larger than the limit of {MAX_BODY} bytes" in text, text
    assert "giant.txt" not in listed(server)
    assert page.problems == []
