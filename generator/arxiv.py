"""Fill a paper's fields from the arXiv API (the only network access, and only when asked)."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

API = "https://export.arxiv.org/api/query?id_list={}"
TIMEOUT = 15
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


class FetchError(Exception):
    """arXiv could not be reached or did not know the id; the message says which."""


def fetch_xml(arxiv_id: str) -> bytes:
    """Ask the arXiv API for one record."""
    url = API.format(urllib.parse.quote(arxiv_id))
    request = urllib.request.Request(url, headers={"User-Agent": "survey-generator (https://pypi.org/project/survey-generator/)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - fixed https host
            return bytes(response.read())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FetchError(f"cannot reach the arXiv API ({reason}); without a network, give the fields with --title, --authors, --year ...") from None


def _text(node: ET.Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def parse_record(data: bytes, arxiv_id: str) -> dict[str, Any]:
    """Turn an arXiv API answer into paper fields."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise FetchError(f"the arXiv API answered with something that is not XML ({error})") from None
    entry = root.find(f"{ATOM}entry")
    if entry is None or entry.find(f"{ATOM}title") is None or _text(entry.find(f"{ATOM}title")) == "Error":
        raise FetchError(f"arXiv has no paper with the id {arxiv_id}")
    published = _text(entry.find(f"{ATOM}published"))
    fields: dict[str, Any] = {
        "title": _text(entry.find(f"{ATOM}title")),
        "authors": [_text(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")],
        "abstract": _text(entry.find(f"{ATOM}summary")),
        "arxiv": re.sub(r"v\d+$", "", arxiv_id),
    }
    if re.match(r"^\d{4}-", published):
        fields["year"] = int(published[:4])
    doi = _text(entry.find(f"{ARXIV}doi"))
    if doi:
        fields["doi"] = doi
    venue = _text(entry.find(f"{ARXIV}journal_ref"))
    if venue:
        fields["venue"] = venue
    return fields


def fetch(arxiv_id: str) -> dict[str, Any]:
    """Return the fields arXiv knows for an id."""
    return parse_record(fetch_xml(arxiv_id), arxiv_id)
