"""Bylines become person names only: prefixes, roles, dates, e-mails and organisations removed."""

import pytest

from pipelines.extract.document import parse_html
from pipelines.extract.metadata.authors import find_authors
from pipelines.extract.metadata.bylines import dedupe, split_byline
from pipelines.extract.metadata.fields import extract_metadata
from pipelines.extract.metadata.jsonld import JsonLd
from pipelines.extract.metadata.metatags import MetaTags


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("By JANE DOE and John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe, John Roe & Ana Lima", ["Jane Doe", "John Roe", "Ana Lima"]),
        ("Par Sébastien Farcis", ["Sébastien Farcis"]),
        (
            "Martin Untersinger (avec Damien Leloup et Morgane Tual)",
            ["Martin Untersinger", "Damien Leloup", "Morgane Tual"],
        ),
        ("Bruno (Henrique Zecchin) Rodrigues", ["Bruno Henrique Zecchin Rodrigues"]),
        ("By Brenda  Goodman, MA\n   WebMD Health News", ["Brenda Goodman"]),
        ("By GILLIAN MOHNEY\n   March 11, 2015 3:46 PM", ["Gillian Mohney"]),
        ("by Lucas Nolan22 Dec 2016651", ["Lucas Nolan"]),
        ("Joe Wee Monday, February 29, 2016 @ 11:10 PM UTC", ["Joe Wee"]),
        ("Ben Silverman Games Editor", ["Ben Silverman"]),
        ("Jane Doe, Senior Correspondent", ["Jane Doe"]),
        ("Jane Doe jane.doe@example.com @janedoe", ["Jane Doe"]),
        ("Reporting by Jane Doe; Editing by John Roe", ["Jane Doe"]),  # editors are not authors
        ("Von Anna Schmidt und Peter Müller", ["Anna Schmidt", "Peter Müller"]),
        ("Dr. Jane Doe", ["Jane Doe"]),
        ("責任編集：肖春芳", ["肖春芳"]),
        ("BBC News", []),
        ("Associated Press", []),
        ("Our Foreign Staff", []),
        ("April 28, 2019 at 6:01 am Updated April 29, 2019 at 3:33 pm", []),
        ("https://www.facebook.com/janedoe", []),
        ("", []),
    ],
)
def test_split_byline(byline: str, names: list[str]) -> None:
    assert split_byline(byline) == names


def test_publisher_names_are_not_people() -> None:
    assert split_byline("Herald Tribune", organisations=["The Herald Tribune"]) == []


def test_dedupe_ignores_case_and_punctuation() -> None:
    assert dedupe(["Jane Doe", "JANE DOE", "Jane  Doe.", "John Roe"]) == ["Jane Doe", "John Roe"]


def metadata_of(html: str, url: str) -> dict:
    return extract_metadata(parse_html(html), url)


def authors_of(html: str) -> list[str]:
    tree = parse_html(html).tree
    return find_authors(tree, JsonLd.from_tree(tree), MetaTags(tree), organisations=["The Herald"])


def test_teaser_bylines_elsewhere_on_the_page_are_ignored() -> None:
    html = """<html><body><article><div class="byline"><span class="byline__name">Jane Doe</span>
    <span class="byline__name">John Roe</span></div><p>Story</p></article>
    <aside><div class="byline">Other Writer</div></aside></body></html>"""
    assert authors_of(html) == ["Jane Doe", "John Roe"]


def test_organisation_byline_falls_through_to_markup() -> None:
    html = """<html><head><meta name="author" content="The Herald"></head>
    <body><span itemprop="author">By Ana Lima</span></body></html>"""
    assert authors_of(html) == ["Ana Lima"]


@pytest.mark.parametrize(
    ("byline", "names"),
    [("The Investopedia Team", []), ("Help Desk Staff", []), ("Full Bio", []), ("Written By", []),
     ("Terms Conditions Privacy Policy", [])],
)
def test_teams_labels_and_furniture_are_not_people(byline: str, names: list[str]) -> None:
    assert split_byline(byline) == names


@pytest.mark.parametrize(
    "markup",
    [
        '<head><meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Ana Lima">'
        "</head><body><p>Story</p></body>",
        "<body><article><p>By Ana Lima</p><p>The story, sentence after sentence.</p></article></body>",
        '<body><article><div><p class="label">Written by</p><p class="name">Ana Lima</p></div><p>Story</p>'
        "</article></body>",
        '<body><article><p><a href="/team/ana-lima">Ana Lima</a> · 4 min</p><p>Story</p></article>'
        '<footer><a href="/author/other-writer">Other Writer</a></footer></body>',
        '<body><nav><p>By Our Desk</p></nav><article><span>Von Ana Lima</span><p>Story</p></article></body>',
    ],
)
def test_bylines_no_class_name_gives_away(markup: str) -> None:
    """Labelled twitter metas, a "By"/"Written by" text line, links to author pages: in any language."""
    assert authors_of(f"<html>{markup}</html>") == ["Ana Lima"]


def test_a_person_node_is_a_person_even_on_a_site_named_after_them() -> None:
    tree = parse_html("""<html><head><script type="application/ld+json">{"@type": "BlogPosting", "headline": "h",
      "author": {"@type": "Person", "name": "Kristian Larsen"}}</script></head><body><p>x</p></body></html>""").tree
    organisations = ["Kristian Larsen", "kristian-larsen.com"]
    assert find_authors(tree, JsonLd.from_tree(tree), MetaTags(tree), organisations=organisations) == [
        "Kristian Larsen"
    ]
    assert split_byline("Kristian Larsen", organisations=organisations) == []


@pytest.mark.parametrize(
    ("markup", "names"),
    [
        # German blog: the author box's first element holds only the photo, the name comes after it.
        ('<html lang="de"><body><article><div class="hero"><h1>Warum Brot teurer wird</h1>'
         '<div class="author-box__photo"><img src="/jm.jpg" alt=""></div></div><p>Die Preise steigen.</p>'
         '<div class="post-meta">'
         '<div class="author-box__text">Jörg Müller</div></div></article></body></html>', ["Jörg Müller"]),
        # Japanese page: the first author element names the publisher, the next the writer.
        ('<html lang="ja"><body><header><div class="author">The Herald</div></header><article><h1>物価の話</h1>'
         '<span class="author">佐藤健</span><p>物価が上がっている。</p></article></body></html>', ["佐藤健"]),
        # Arabic page: an empty byline element before the filled one.
        ('<html lang="ar" dir="rtl"><body><article><header><h1>عنوان الخبر</h1><div class="byline"></div>'
         '</header><div class="meta"><div class="byline">بقلم محمد علي</div></div><p>نص الخبر.</p>'
         "</article></body></html>", ["محمد علي"]),
    ],
)
def test_the_first_byline_that_names_a_person_wins(markup: str, names: list[str]) -> None:
    """An empty author box or one naming only the publisher does not hide the byline after it."""
    assert authors_of(markup) == names


def test_only_the_first_few_bylines_are_read() -> None:
    """Bylines far down the page (teaser lists) are not the article's author."""
    empty = '<p><span class="byline">The Herald</span></p>' * 3
    html = f'<html><body><article><h1>Story</h1>{empty}<p><span class="byline">Ana Lima</span></p></article></body>'
    assert authors_of(html) == []


def test_a_desk_byline_is_not_replaced_by_a_related_story_author() -> None:
    """After a byline naming no person ("Our Foreign Staff"), authors in a related-stories list are not
    the article's (Telegraph-style "onward journey" box)."""
    html = """<html><body><article><h1>Coup in the capital</h1><div class="byline"><span class="byline__name">
    Our Foreign Staff</span></div><p>Story</p></article><div><ol><li><div class="item-byline__name">Ana Lima
    </div></li></ol></div></body></html>"""
    assert authors_of(html) == []


@pytest.mark.parametrize(
    ("url", "author"),
    [
        ("https://karl-voit.at/2021/01/18/tool-choices", "Karl Voit"),
        ("https://blog.guillaume-gomez.fr/articles/rust-gcc", "Guillaume Gomez"),
        ("https://www.pabloruiz.es/blog/pan", "Pablo Ruiz"),
    ],
)
def test_a_personal_site_spelling_its_authors_name_does_not_hide_the_author(url: str, author: str) -> None:
    """The domain is not a name the publisher declares: on a personal site it is the author's name."""
    html = f'<html><head><meta name="author" content="{author}"></head><body><p>Text</p></body></html>'
    assert metadata_of(html, url)["authors"] == [author]


@pytest.mark.parametrize(
    ("site_name", "author", "names"),
    [
        ("Ibrahim Diallo Blog", "Ibrahim Diallo", ["Ibrahim Diallo"]),
        ("Marco Rossi Fotografia", "Marco Rossi", ["Marco Rossi"]),
        ("Colin Watson's blog", "Colin Watson", ["Colin Watson"]),
        # An organisation word after the name: the publisher's short name, not a person.
        ("Alpha Apex Group", "Alpha Apex", []),
        ("Quiet Light", "Quiet Light", []),
    ],
)
def test_a_site_named_after_its_author(site_name: str, author: str, names: list[str]) -> None:
    html = f"""<html><head><meta property="og:site_name" content="{site_name}">
    <meta name="author" content="{author}"></head><body><p>Text</p></body></html>"""
    assert metadata_of(html, "https://example.net/post")["authors"] == names
