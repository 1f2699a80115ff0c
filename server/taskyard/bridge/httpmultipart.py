"""Parses ``multipart/form-data`` request bodies (RFC 7578) for the bridge's HTTP server.

The body is already in memory (the server caps it at ``max_body``), so parsing is a handful of
``bytes.find`` calls over it: no per-byte Python loops, and no copies of a part until it has passed
the size cap. Errors are :class:`MultipartError` carrying the HTTP status to answer with; the
server turns them into problem responses.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import unquote

_MAX_PARTS = 1000  # a form with more parts is an attack, not an upload
_MAX_PART_HEADER = 8 * 1024  # browsers send a few hundred bytes of headers per part
_MAX_BOUNDARY = 70  # RFC 2046 §5.1.1

# One `; name=value` parameter; the value is a quoted-string or a bare token.
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass
class FormPart:
    """One field or file of a form. ``filename`` is exactly what the client sent: sanitise it
    before using it as a path."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


class MultipartError(ValueError):
    """The body is not an acceptable form; ``status`` is 400, 413 or 415."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/sub; a=1; b="x y"`` into the lower-cased first item and its parameters."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            # Browsers percent-encode quotes instead of escaping them, and send Windows paths
            # with raw backslashes, so only the two escapes RFC 7230 clients really use are undone.
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[match.group(1).lower()] = raw
    return main.strip().lower(), params


def parse_form(content_type: str, body: bytes, max_file_size: int) -> list[FormPart]:
    """Parse a ``multipart/form-data`` body; every part's data must fit in ``max_file_size``."""
    delimiter = b"\r\n--" + _boundary(content_type)
    pos = _first_part(body, delimiter)
    parts: list[FormPart] = []
    while not body.startswith(b"--", pos):  # "--" after a delimiter closes the form
        if len(parts) >= _MAX_PARTS:
            raise MultipartError(413, f"the form has more than {_MAX_PARTS} parts")
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise MultipartError(400, "malformed multipart body: bad boundary line")
        head_end = body.find(b"\r\n\r\n", line_end, line_end + _MAX_PART_HEADER)
        if head_end < 0:
            raise MultipartError(400, "malformed multipart body: part headers not terminated")
        start = head_end + 4
        end = body.find(delimiter, start)
        if end < 0:
            raise MultipartError(400, "malformed multipart body: missing closing boundary")
        name, filename, ctype = _part_headers(body[line_end + 2 : head_end])
        if end - start > max_file_size:
            raise MultipartError(413, f"form part {name!r} is larger than {max_file_size} bytes")
        parts.append(FormPart(name, filename, ctype, body[start:end]))
        pos = end + len(delimiter)
    return parts


def _boundary(content_type: str) -> bytes:
    media_type, params = parse_header_params(content_type)
    if media_type != "multipart/form-data":
        raise MultipartError(415, "expected a multipart/form-data body")
    boundary = params.get("boundary", "")
    if not 0 < len(boundary) <= _MAX_BOUNDARY or not boundary.isascii():
        raise MultipartError(400, "malformed multipart body: missing or invalid boundary")
    return boundary.encode("ascii")


def _first_part(body: bytes, delimiter: bytes) -> int:
    """Return the offset just past the first delimiter, skipping any preamble."""
    if body.startswith(delimiter[2:]):  # the usual case: the body opens with the delimiter
        return len(delimiter) - 2
    found = body.find(delimiter)
    if found < 0:
        raise MultipartError(400, "malformed multipart body: boundary not found")
    return found + len(delimiter)


def _part_headers(block: bytes) -> tuple[str, str | None, str]:
    """Return the name, filename and content type declared by one part's header block."""
    headers: dict[str, str] = {}
    for line in block.split(b"\r\n") if block else ():
        name, sep, value = line.partition(b":")
        if not sep:
            raise MultipartError(400, "malformed multipart body: bad part header")
        # Browsers send file names as raw UTF-8 (HTML spec), not RFC 2047 words.
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("utf-8", "replace")
    disposition, params = parse_header_params(headers.get("content-disposition", ""))
    if disposition != "form-data" or "name" not in params:
        raise MultipartError(400, "malformed multipart body: part without a form-data name")
    filename = _extended_value(params["filename*"]) if "filename*" in params else None
    if filename is None:
        filename = params.get("filename")
    return params["name"], filename, headers.get("content-type", "text/plain")


def _extended_value(value: str) -> str | None:
    """Decode an RFC 8187 ``charset'lang'pct-encoded`` value, or None when it is malformed."""
    charset, sep, rest = value.partition("'")
    _lang, sep2, encoded = rest.partition("'")
    if not (sep and sep2):
        return None
    try:
        codecs.lookup(charset)
    except LookupError:
        return None
    return unquote(encoded, encoding=charset, errors="replace")
