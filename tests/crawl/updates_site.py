"""A small local news site whose articles can be edited, with links that redirect.

Served on loopback by the demo web's server (:class:`monitor.demo.site.NewsWeb`, custom hosts):
an Atom feed with ``<updated>``, a sitemap with ``<lastmod>``, article pages with ETag and
Last-Modified (304 on a matching validator), a listing that links articles through a short link
(301) and a tracking redirect (302 → 302), and a news-search host whose RSS items are
Google-News-style links: one that encodes its target (old-format ``CBMi…`` id), one that answers
with an HTTP redirect and one that answers with the engine's own JavaScript page.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from monitor.demo.site import Call, Host, NewsWeb, Reply, conditional, not_found

TOPICS = {
    "tanker": (
        "Russian tanker reaches Cuban port with fuel",
        [
            "A tanker carrying Russian diesel docked in the Cuban port of Matanzas on Monday, "
            "the third delivery this autumn, as the island struggles with power cuts that leave "
            "whole districts of Havana in the dark for hours every evening.",
            "Officials in Havana said the shipment would go first to power plants and to the "
            "transport system. Moscow has promised further cargoes before the end of the year, "
            "although neither side published the price or the terms of payment.",
            "Economists on the island warn that one cargo covers only a few days of demand and "
            "that the grid needs spare parts more than fuel to keep the lights on this winter.",
        ],
    ),
    "flights": (
        "Moscow and Havana restore direct flights",
        [
            "Direct flights between Moscow and Havana resumed this week after a pause of several "
            "months, with two weekly departures planned for the winter season, the Russian "
            "carrier said in a statement published on its website on Tuesday.",
            "Tourism officials in Cuba expect Russian visitors to fill hotels in Varadero, where "
            "occupancy fell sharply last year, and hope the route will attract travellers from "
            "other cities in Russia through connections in the Russian capital.",
            "Travel agents said bookings for the first weeks were strong and that prices had "
            "fallen compared with routes that change planes in a third country on the way.",
        ],
    ),
    "grain": (
        "Russia ships wheat to Cuba under new credit line",
        [
            "Russia has shipped forty thousand tonnes of wheat to Cuba under a credit line signed "
            "in the spring, the Cuban ministry of foreign trade said, as bread rations on the "
            "island were cut for the second time this year because of a shortage of flour.",
            "The grain arrived at the port of Havana aboard a bulk carrier that left the Black "
            "Sea a month ago. Officials said mills would work around the clock to restore the "
            "usual ration in the eastern provinces before the end of the month.",
            "Russian diplomats in Havana described the shipment as part of a long-term plan of "
            "food supplies and said more deliveries of grain and cooking oil would follow.",
        ],
    ),
    "metro": (
        "Cuban engineers study the Moscow metro",
        [
            "A group of Cuban engineers spent two weeks in Moscow studying how the city runs its "
            "metro, as Havana considers a light rail line to relieve its crowded bus routes, "
            "the transport ministry in Cuba said after the delegation returned home.",
            "Russian specialists showed the visitors signalling systems and depots, and both "
            "sides discussed training programmes for Cuban technicians in Russia next year, "
            "although no contract for the construction of a line has been signed so far.",
            "City planners in Havana said any project would take years and depend on financing "
            "that the island cannot provide on its own in the current economic situation.",
        ],
    ),
}
EDIT = (
    "Update: the ministry later said a second tanker was expected within ten days and that "
    "rolling blackouts in the capital would be shortened to three hours while it unloads."
)


@dataclass
class Story:
    """One article of the site: its text, when it was published and last modified."""

    key: str
    title: str
    paragraphs: list[str]
    published: datetime
    modified: datetime
    signal: set[str] = field(default_factory=set)  # where an edit shows: "feed", "sitemap"

    @property
    def path(self) -> str:
        return f"/news/{self.key}/"


def _gn_token(url: str) -> str:
    """An old-format Google News article id: base64url of a protobuf holding the URL."""
    raw = url.encode()
    payload = b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


class UpdatesSite:
    """The site (``site`` host) and a news-search host (``search``) on the given addresses."""

    def __init__(self, site_address: str = "127.0.0.6", search_address: str = "127.0.0.7") -> None:
        self.web = NewsWeb(articles=(), hosts={}).start()
        self.site = self.web.add_host("updates", site_address, "Updates Daily")
        self.search = self.web.add_host("search", search_address, "Search")
        now = datetime.now(UTC).replace(microsecond=0)
        earlier = now - timedelta(hours=2)
        self.stories = {
            key: Story(key, title, list(paragraphs), earlier, earlier)
            for key, (title, paragraphs) in TOPICS.items()
        }
        site = self.site
        site.route(
            "/robots.txt", lambda c: Reply(200, b"User-agent: *\n", {"Content-Type": "text/plain"})
        )
        site.route("/feed.xml", self._feed)
        site.route("/sitemap.xml", self._sitemap)
        site.route("/links/", self._links)
        site.route("/s/", self._short, prefix=True)
        site.route("/track/click-through-link", self._track)
        site.route("/r/", self._track_hop, prefix=True)
        site.route("/news/", self._article, prefix=True)
        search = self.search
        search.route(
            "/robots.txt", lambda c: Reply(200, b"User-agent: *\n", {"Content-Type": "text/plain"})
        )
        search.route("/rss/search", self._search_feed)
        search.route("/rss/articles/", self._search_link, prefix=True)

    def stop(self) -> None:
        self.web.stop()

    def url(self, story: str) -> str:
        return self.site.url(self.stories[story].path)

    def edit(self, key: str, *, signal: set[str]) -> None:
        """Add a paragraph; the feed and/or sitemap show the new date (``signal``), or neither."""
        story = self.stories[key]
        story.paragraphs.append(EDIT)
        story.modified = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        story.signal = set(signal)

    def requests(self, host: Host, path: str) -> list[dict[str, str]]:
        """The headers of every request ``host`` received for ``path`` (query ignored)."""
        return [hit.headers for hit in host.hits if hit.path.split("?", 1)[0] == path]

    # --- routes -------------------------------------------------------------------------------

    def _listed_date(self, story: Story, where: str) -> datetime:
        return story.modified if where in story.signal else story.published

    def _feed(self, call: Call) -> Reply:
        entries = "".join(
            f"<entry><title>{html.escape(s.title)}</title>"
            f'<link href="{self.site.url(s.path)}"/><id>{self.site.url(s.path)}</id>'
            f"<published>{s.published.isoformat()}</published>"
            f"<updated>{self._listed_date(s, 'feed').isoformat()}</updated></entry>"
            for s in self.stories.values()
        )
        newest = max(self._listed_date(s, "feed") for s in self.stories.values())
        body = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Updates Daily</title><updated>{newest.isoformat()}</updated>{entries}</feed>"
        )
        return conditional(call, body.encode(), "application/atom+xml", newest)

    def _sitemap(self, call: Call) -> Reply:
        urls = "".join(
            f"<url><loc>{self.site.url(s.path)}</loc>"
            f"<lastmod>{self._listed_date(s, 'sitemap').isoformat()}</lastmod></url>"
            for s in self.stories.values()
        )
        newest = max(self._listed_date(s, "sitemap") for s in self.stories.values())
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        )
        return conditional(call, body.encode(), "application/xml", newest)

    def _links(self, call: Call) -> Reply:
        tanker, flights = self.stories["tanker"], self.stories["flights"]
        track = self.site.url("/track/click-through-link?u=" + flights.path)
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Links</title></head><body>"
            "<h1>Latest</h1><ul>"
            f"<li><a href='{self.site.url('/s/1234567')}'>{html.escape(tanker.title)}</a></li>"
            f"<li><a href='{track}'>{html.escape(flights.title)}</a></li>"
            "</ul></body></html>"
        )  # fmt: skip
        return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _short(self, call: Call) -> Reply:
        if call.path == "/s/1234567":
            return Reply(301, b"", {"Location": self.url("tanker")})
        return not_found()

    def _track(self, call: Call) -> Reply:
        target = (call.query.get("u") or [""])[0]
        return (
            Reply(302, b"", {"Location": self.site.url("/r" + target)}) if target else not_found()
        )

    def _track_hop(self, call: Call) -> Reply:
        return Reply(302, b"", {"Location": self.site.url(call.path[len("/r") :])})

    def _article(self, call: Call) -> Reply:
        for story in self.stories.values():
            if story.path == call.path:
                paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
                page = (
                    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                    f"<title>{html.escape(story.title)}</title>"
                    "<meta property='article:published_time' "
                    f"content='{story.published.isoformat()}'>"
                    "</head><body><nav><a href='/'>Home</a></nav><article>"
                    f"<h1>{html.escape(story.title)}</h1>{paragraphs}</article>"
                    "<footer>Updates Daily</footer></body></html>"
                )  # fmt: skip
                reply = conditional(call, page.encode(), "text/html; charset=utf-8", story.modified)
                reply.headers["Last-Modified"] = format_datetime(story.modified, usegmt=True)
                return reply
        return not_found()

    def _search_feed(self, call: Call) -> Reply:
        links = [
            ("grain", self.search.url("/rss/articles/" + _gn_token(self.url("grain")) + "?oc=5")),
            ("metro", self.search.url("/rss/articles/AU_yqLRedirects?oc=5")),
            ("tanker", self.search.url("/rss/articles/AU_yqLJavaScript?oc=5")),
        ]
        items = "".join(
            f"<item><title>{html.escape(self.stories[key].title)} - Updates Daily</title>"
            f"<link>{html.escape(link)}</link>"
            f"<pubDate>{format_datetime(self.stories[key].published, usegmt=True)}</pubDate></item>"
            for key, link in links
        )
        body = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Search</title>'
            f"{items}</channel></rss>"
        )
        return Reply(200, body.encode(), {"Content-Type": "application/rss+xml"})

    def _search_link(self, call: Call) -> Reply:
        if call.path.endswith("AU_yqLRedirects"):
            return Reply(302, b"", {"Location": self.url("metro")})
        if call.path.endswith("AU_yqLJavaScript"):  # what news.google.com answers today
            page = (
                "<!doctype html><html><head><title>Google News</title></head><body>"
                "<script>window.location.replace(decode(data))</script>"
                "<p>Opening the article about Russia and Cuba…</p></body></html>"
            )
            return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Reply(302, b"", {"Location": self.url("grain")})  # a decodable id, if requested
