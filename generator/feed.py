"""The Atom feed's context: the newest papers by `added`, dated by their `added` day.

The XML is in `site_templates/feed.xml.j2`; Jinja2's autoescaping escapes every text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from .models import Paper, Survey
from .render import SiteSettings, page_address

FEED_SIZE = 30
# Without any `added` date the feed still needs an `updated` stamp; it must not be the clock.
UNDATED = "2000-01-01T00:00:00Z"
# XML 1.0 forbids most control characters, even escaped; C1 controls are never meant as text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def xml_text(text: str | None) -> str:
    """Return text on one line, without the characters XML cannot hold."""
    return " ".join(_NOT_XML.sub("", text or "").split())


def stamp(paper: Paper) -> str:
    """Return an RFC 3339 time for a paper: midnight UTC of the day it was added."""
    return f"{paper.added.isoformat()}T00:00:00Z" if paper.added else UNDATED


def _identity(settings: SiteSettings, title: str) -> str:
    return settings.site_url or settings.site_name or title


def entry_id(settings: SiteSettings, title: str, key: str) -> str:
    """Return a paper's permanent feed id: a name-based UUID of the site and the paper's key."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{_identity(settings, title)}#{key}')}"


def site_link(path: str, settings: SiteSettings) -> str:
    """Return a link to a file of the site: absolute with `site_url`, else relative to the feed."""
    base = settings.site_url.rstrip("/") + "/" if settings.site_url else ""
    return base + path


def feed_context(survey: Survey, papers: Mapping[str, Mapping[str, Any]], title: str, description: str, settings: SiteSettings, size: int = FEED_SIZE) -> dict[str, Any]:
    """Return the feed's title, links, stamps and its newest entries, newest first."""
    dated = sorted((p for p in survey.papers if p.added), key=lambda p: (-p.added.toordinal(), -(p.year or 0), p.title.casefold(), p.key))[:size]  # type: ignore[union-attr]
    entries = []
    for paper in dated:
        context = papers[paper.key]
        entries.append(
            {
                "id": entry_id(settings, title, paper.key),
                "title": xml_text(paper.title),
                "link": site_link(page_address(context["page"], settings.directory_urls), settings) + f"#{paper.key}",
                "updated": stamp(paper),
                "authors": [xml_text(a["name"]) for a in context["authors"]],
                "summary": xml_text(paper.abstract),
                "section": context["section"],
                "section_title": xml_text(context["section_title"]),
                "venue": xml_text(paper.venue),
                "year": paper.year,
                "links": context["links"],
            }
        )
    return {
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, _identity(settings, title))}",
        "title": xml_text(settings.site_name or title),
        "subtitle": xml_text(description.split("\n\n")[0]),
        "home": site_link(page_address("index.md", settings.directory_urls), settings) or "./",
        "self_link": site_link("feed.xml", settings),
        "updated": max((e["updated"] for e in entries), default=UNDATED),
        "entries": entries,
    }
