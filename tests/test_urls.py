"""URL identity: registered domains from the bundled suffix list, tracking-free normal forms."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.extract.urls import choose_canonical, normalize_url, registered_domain


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.bbc.co.uk/news/world", "bbc.co.uk"),
        ("https://edition.cnn.com/2024/01/01/x", "cnn.com"),
        ("http://user.github.io/page", "user.github.io"),  # private suffix: each user is a site
        ("http://127.0.0.1:8080/x", "127.0.0.1"),
        ("http://localhost/x", "localhost"),
        ("not a url", ""),
    ],
)
def test_registered_domain(url: str, domain: str) -> None:
    assert registered_domain(url) == domain


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTPS://News.Example.COM:443/a/b?utm_source=x&id=3&fbclid=1#frag", "https://news.example.com/a/b?id=3"),
        ("http://news.example.com:8080", "http://news.example.com:8080/"),
        ("https://news.example.com/a?gclid=1&utm_medium=email", "https://news.example.com/a"),
        ("https://news.example.com/a?b=2&a=1", "https://news.example.com/a?b=2&a=1"),  # order is kept
        ("https://news.example.com/a?q=", "https://news.example.com/a?q="),
    ],
)
def test_normalize_url(url: str, normal: str) -> None:
    assert normalize_url(url) == normal


@given(
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z]{1,8}(\.[a-z]{2,5}){1,2}", fullmatch=True),
    st.from_regex(r"(/[a-zA-Z0-9_\-]{0,8}){0,3}", fullmatch=True),
    st.lists(
        st.tuples(st.sampled_from(["id", "utm_source", "page", "fbclid"]), st.text("abc123", max_size=4)), max_size=4
    ),
)
def test_normalize_url_is_idempotent(scheme: str, host: str, path: str, params: list[tuple[str, str]]) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert "utm_source" not in once and "fbclid" not in once


def test_choose_canonical_rejects_other_sites_and_the_homepage() -> None:
    url = "https://www.news.example.com/world/story-1?utm_campaign=x"
    assert choose_canonical(url, ["/world/story-1"]) == "https://www.news.example.com/world/story-1"
    assert choose_canonical(url, ["https://amp.news.example.com/world/story-1"]) == (
        "https://amp.news.example.com/world/story-1"
    )
    assert choose_canonical(url, ["https://evil.example.org/world/story-1"]) == (
        "https://www.news.example.com/world/story-1"
    )
    assert choose_canonical(url, ["https://www.news.example.com/", ""]) == "https://www.news.example.com/world/story-1"
    assert choose_canonical(url, ["javascript:void(0)"]) == "https://www.news.example.com/world/story-1"
