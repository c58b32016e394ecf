"""File downloads: bytes as an attachment with a file name."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response


def attachment(
    content: bytes, media_type: str, filename: str, headers: dict[str, str] | None = None
) -> Response:
    """`content` as a download named `filename` (`Content-Disposition: attachment`; a name
    that is not plain printable ASCII also gets an ASCII fallback and its UTF-8 form, RFC 6266),
    of `media_type`, with `headers`."""
    plain = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    disposition = f'attachment; filename="{plain}"'
    if plain != filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": disposition, **(headers or {})},
    )
