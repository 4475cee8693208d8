"""Body extraction: article paragraphs in, page furniture and boilerplate lines out."""

import gzip
import json
from pathlib import Path

import lxml.html
import pytest

from bench.aeb_metric import score_page, summarize
from pipelines.extract.body import text as body_module
from pipelines.extract.body.boilerplate import is_boilerplate, is_dateline
from pipelines.extract.body.nodes import prune_boilerplate
from pipelines.extract.body.paragraphs import Paragraph, html_paragraphs
from pipelines.extract.body.readability import Pick
from pipelines.extract.body.second_opinion import headlined_story, reconcile
from pipelines.extract.body.structured import next_data_paragraphs, prefer_structured
from pipelines.extract.body.summary import drop_summary_boxes
from pipelines.extract.body.text import dedupe, extract_body, is_link_list
from pipelines.extract.document import parse_html

AEB_SAMPLE = Path(__file__).parent / "fixtures" / "aeb_sample"
URL = "https://news.example/2024/05/01/story"

PROSE = [
    "The city council voted on Tuesday to extend the night bus network to the northern suburbs, "
    "after a two-year trial that carried more than a million passengers.",
    "Officials said the extension would cost about four million euros a year, most of it covered by "
    "a regional transport grant that was renewed last month.",
    "Opposition members argued that the money would be better spent on cycle lanes, but the motion "
    "passed with a comfortable majority of twenty-one votes to nine.",
]


def page(article: str, *, title: str = "Night buses extended to the suburbs", extra: str = "") -> str:
    """A small news page: navigation, headline, the given article markup, sidebar and footer."""
    return f"""<html><head><title>{title} | The Herald</title></head><body>
    <nav><a href="/">Home</a> <a href="/city">City</a> <a href="/sport">Sport</a></nav>
    <div class="layout"><article><h1>{title}</h1>
    <div class="article-body">{article}</div></article>
    <aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Another story about buses</a></li></ul></aside>
    {extra}</div><footer><p>Copyright 2024 The Herald. All rights reserved.</p></footer></body></html>"""


def body(html: str, **metadata: object) -> str:
    document = parse_html(html)
    assert document is not None
    return extract_body(document, URL, metadata=dict(metadata))


def paragraphs_html(texts: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def test_article_paragraphs_separated_by_one_blank_line() -> None:
    assert body(page(paragraphs_html(PROSE))) == "\n\n".join(PROSE)


def test_headline_and_furniture_are_left_out() -> None:
    text = body(page(paragraphs_html(PROSE)))
    for junk in ("Night buses extended", "Most read", "Another story", "Home", "Copyright"):
        assert junk not in text


def test_subheadings_and_lede_are_kept() -> None:
    article = paragraphs_html(PROSE[:1]) + "<h2>What happens next</h2>" + paragraphs_html(PROSE[1:])
    assert body(page(article)).split("\n\n") == [PROSE[0], "What happens next", *PROSE[1:]]


@pytest.mark.parametrize(
    "line",
    [
        "Read also: Syria: Turkey launches offensive against the Damascus regime",
        "Lire aussi : Le gouvernement annonce un nouveau plan",
        "Lesen Sie auch: Die Bahn erhöht die Preise",
        "Leia também: Governo anuncia novo pacote",
        "Leave a Comment",
        "Share this Post",
        "Comments (0)",
        "3 Min Read",
        "Tempo de leitura: 1 minuto",
        "You've reached your daily free article limit.",
        "Subscribe and support our veteran writing staff to continue reading.",
        "Already a subscriber? Log In",
        "We use cookies to improve your experience on our site.",
        "Featured image: A girl shouts slogans during a protest outside the embassy in Nicosia. (AP Photo/P. K.)",
        "Natalie Naccache | Bloomberg | Getty Images",
        "Advertisement",
        "Source: lefigaro",
        "Filed under: Politics |",
        "Updated at 1:23 p.m.",
        "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube.",
        "Have a tip? Jane Roe may be reached at jroe@herald.example. Follow her on Twitter @jroe.",
        "LEARN MORE",
        "Iklan",
        '[button link="/submit" type="big"] Send us YOUR kit review[/button]',
        "Story continues below advertisement",
        "Continue reading the main story",
        "SKIP ADVERTISEMENT",
        "Gift this article",
        "Our morning email breaks down the key stories of the day, telling you what’s happening and why it matters",
        "Image source, Getty Images",
        "Image caption, Protesters gathered outside parliament on Tuesday evening",
        "Listen to this article · 5 min",
        "Waves breaking over the old sea wall in January. Photograph: Tom Reyes/Coastline Courier",
        "Plague can be easily vaccinated (Image: GETTY)",
        "Jewels after Jewels, installation views, photos © Studio North, 2018",
        "Czytaj także: Nowe ścieżki rowerowe w centrum",
        "Get Motor Cycle Monthly delivered through your letterbox every month. 12 issues for £11.99.",
        "If you enjoyed this article, we have a proposition for you: join our members' club. Members get all "
        "of our content, no paywalls or content meters, an advertising-minimal experience and access to our "
        "writers and editors.",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(Paragraph(line, "p"))


@pytest.mark.parametrize(
    "line",
    [
        PROSE[0],
        "Share prices fell by three percent after the announcement, traders said.",
        "Subscribers to the service will pay less from January, the company said in a statement.",
        "The 2019 season was the club's best since 1998.",
        "Photographers were kept away from the scene until the evening.",
        "10:42 GMT",
        "This article was originally published on The Harbour Ledger.",
        "Italian villages sell empty houses for as little as one euro to bring families back.",
        "Get it on Amazon for $39.99",
        "After his promotion to captain, Smith scored twice.",
        "“If you value what you have, you protect it,” the mayor said at the opening.",
        "The summary was written by three judges and published on Monday.",
        "“Our emails to the ministry went unanswered for months,” said the head of the residents’ association.",
        "The photographer, who asked not to be named, kept the rights to the pictures: © is hers.",
    ],
)
def test_article_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(Paragraph(line, "p"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Nov. 20, 2019 6:02 AM EST", True),
        ("sexta-feira, 22 de outubro de 2010 às 20:13", True),
        ("2020-03-02T09:12:10.287Z", True),
        ("Local | 2020-02-28 13:06:00", True),
        ("In 2019 the club moved to a new stadium.", False),
        ("— Jane Doe (@janedoe) November 18, 2019", False),
    ],
)
def test_datelines(line: str, expected: bool) -> None:
    assert is_dateline(line) is expected


def test_boilerplate_lines_inside_the_article_are_dropped() -> None:
    article = (
        paragraphs_html(PROSE[:2])
        + '<p><strong>Read also:</strong> <a href="/x">Trams to run all night at weekends</a></p>'
        + paragraphs_html(PROSE[2:])
        + "<p>Share this Post</p><p>Leave a Comment</p>"
    )
    assert body(page(article)) == "\n\n".join(PROSE)


def test_teaser_repeated_after_a_paywall_notice_is_kept_once() -> None:
    article = paragraphs_html(PROSE) + "<p>You've reached your daily free article limit.</p>" + paragraphs_html(PROSE)
    assert body(page(article)) == "\n\n".join(PROSE)


def test_dedupe_keeps_short_recurring_lines() -> None:
    lines = ["Meal 1", "Eat every 2-3 hours", "Meal 2", "Eat every 2-3 hours", PROSE[0], PROSE[0]]
    kept = dedupe(Paragraph(text, "p") for text in lines)
    assert [p.text for p in kept] == lines[:5]


def test_dedupe_keeps_long_lines_recurring_after_the_opening() -> None:
    """A meal plan repeats its recipes day after day; only the opening's repeats are a paywall's echo."""
    recipe = (
        "Asian chicken zoodles: one cup of zucchini noodles sauteed in a little spray, four ounces of cooked "
        "chicken, half a cup of edamame and a teaspoon of sesame oil."
    )
    intro = [*PROSE, "Week one", "Shopping list for the week", "Prep on Sunday"]
    lines = intro + [line for n in range(1, 9) for line in (f"Day {n}", recipe)]
    assert [p.text for p in dedupe(Paragraph(text, "p") for text in lines)] == lines


def test_share_bar_comments_and_related_boxes_are_pruned() -> None:
    article = (
        '<div class="share-bar"><a href="#">Facebook</a> <a href="#">Twitter</a></div>'
        + paragraphs_html(PROSE)
        + '<div class="related-stories"><h3>Related coverage</h3><p>Bus drivers threaten strike over pay '
        + "talks that have dragged on for months without progress.</p></div>"
        + '<div id="comments"><p>Great news for night workers, finally someone listens to us here.</p></div>'
    )
    assert body(page(article)) == "\n\n".join(PROSE)


def test_embedded_posts_inside_the_article_are_kept() -> None:
    tweet = "We are delighted that the night network will grow again next spring, thanks to all riders."
    article = paragraphs_html(PROSE[:2]) + f'<blockquote class="twitter-tweet"><p>{tweet}</p></blockquote>'
    assert tweet in body(page(article + paragraphs_html(PROSE[2:])))


def test_article_wrapper_with_a_furniture_like_class_is_not_pruned() -> None:
    tree = lxml.html.fromstring(
        f'<html><body><div class="content-with-sidebar">{paragraphs_html(PROSE)}</div>'
        '<div class="sidebar"><p>Short sidebar text that is long enough to count as prose here.</p></div>'
        "</body></html>"
    )
    text = tree.text_content()
    pruned = prune_boilerplate(tree).text_content()
    assert all(p in pruned for p in PROSE)
    assert "Short sidebar" in text and "Short sidebar" not in pruned


def test_paragraph_walker_splits_blocks_and_breaks_and_counts_links() -> None:
    root = lxml.html.fromstring(
        "<div><p>One <b>bold</b> line<br>second line</p><script>var x = 1;</script>"
        '<ul><li><a href="/a">All link</a></li></ul>tail text</div>'
    )
    paragraphs = html_paragraphs(root)
    assert [p.text for p in paragraphs] == ["One bold line", "second line", "All link", "tail text"]
    assert paragraphs[2].tag == "li" and paragraphs[2].link_density == 1.0


@pytest.mark.parametrize("html", ["<html></html>", "<p>x</p>", "<html><body><div><div></div></div></body></html>"])
def test_pages_without_article_give_short_or_empty_text(html: str) -> None:
    assert body(html) in ("", "x")


def test_aeb_sample_floor() -> None:
    """Real pages (Zyte's article-extraction-benchmark, MIT): a regression floor, not the benchmark."""
    truth = json.loads((AEB_SAMPLE / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for page_id, entry in truth.items():
        document = parse_html(gzip.decompress((AEB_SAMPLE / "html" / f"{page_id}.html.gz").read_bytes()))
        assert document is not None
        scores.append(score_page(entry["articleBody"], extract_body(document, entry["url"], metadata={})))
    summary = summarize(scores)
    assert summary.f1 >= 0.95, summary
    assert min(score.recall for score in scores) >= 0.75, summary


def test_link_list_pick_falls_back_to_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    """When readability settles on a rail of teaser links, the article still comes out."""
    rail = lxml.html.fromstring(
        "<div>"
        + "".join(f'<p><a href="/s{i}">Top {i} health deals in the city this week</a></p>' for i in range(9))
        + "</div>"
    )
    monkeypatch.setattr(body_module, "readability_article", lambda document, url: Pick(rail, 0))
    text = body(page(paragraphs_html(PROSE)))
    assert PROSE[0] in text and "health deals" not in text


def test_is_link_list() -> None:
    link = Paragraph("Top 5 health deals in the city this week", "p", link_chars=40)
    prose = Paragraph(PROSE[0], "p")
    assert is_link_list([]) and is_link_list([link, link, Paragraph("It rained all day.", "p")])
    assert not is_link_list([prose, link])


def test_json_ld_body_is_the_last_resort() -> None:
    html = "<html><body><div><img src='a.jpg'></div></body></html>"
    assert body(html, json_ld_body="First line of the story.\nSecond line.") == (
        "First line of the story.\n\nSecond line."
    )


def test_table_rows_read_as_one_line_and_equal_cells_survive() -> None:
    root = lxml.html.fromstring(
        "<table><tr><td>6</td><td>Ryan Blaney</td><td>1</td><td>1</td></tr>"
        "<tr><td>7</td><td>Kyle Larson</td><td>1</td><td>1</td></tr></table>"
    )
    assert [p.text for p in html_paragraphs(root)] == ["6 Ryan Blaney 1 1", "7 Kyle Larson 1 1"]


def test_hover_card_leaves_the_sentence_and_keeps_the_name() -> None:
    card = (
        '<span class="rollover-people"><a href="/people/jane-doe">Jane Doe</a>'
        '<span class="rollover-people-block"><a href="/people/jane-doe">Jane Doe</a>'
        '<a href="/a">Council approves budget | Mayor answers critics | Night buses extended</a> '
        '<a class="more" href="/people/jane-doe">MORE</a></span></span>'
    )
    sentence = f"<p>The motion was tabled by councillor {card} (Greens) after a long debate in the chamber.</p>"
    text = body(f'<html><body><div class="content-with-sidebar">{sentence}{paragraphs_html(PROSE)}</div></body></html>')
    assert "The motion was tabled by councillor Jane Doe (Greens) after a long debate in the chamber." in text
    assert "MORE" not in text and "Mayor answers critics" not in text


def test_marked_up_standfirst_is_left_out() -> None:
    standfirst = "A two-year trial carried a million riders, and now the network grows north."
    article = f'<div itemprop="description"><p>{standfirst}</p></div>' + paragraphs_html(PROSE)
    assert body(page(article)) == "\n\n".join(PROSE)


def test_structured_text_replaces_only_a_poor_and_agreeing_markup_text() -> None:
    data = [Paragraph(text, "p") for text in PROSE]
    teaser = [Paragraph(PROSE[0], "p")]
    unrelated = [Paragraph("Weather: sunny spells, and a light breeze from the west in the afternoon.", "p")]
    assert prefer_structured(teaser, data)
    assert not prefer_structured(unrelated + teaser, data)
    assert not prefer_structured(data[:2], data)


def test_next_data_blocks_with_inline_html_become_paragraphs() -> None:
    blocks = [{"type": "text", "content": f"<b>{text[:20]}</b>{text[20:]}"} for text in PROSE]
    blocks.insert(1, {"type": "image", "url": "/a.jpg", "caption": "A night bus at the depot."})
    data = {"props": {"pageProps": {"story": {"content_elements": blocks, "tags": ["city", "transport"]}}}}
    html = f'<html><body><div id="__next"></div><script id="__NEXT_DATA__">{json.dumps(data)}</script></body></html>'
    document = parse_html(html)
    assert document is not None
    assert [p.text for p in next_data_paragraphs(document)] == PROSE


def test_data_holding_the_story_twice_does_not_replace_the_markup() -> None:
    """A hydration cache that runs the story and its copy together is longer than the page's text, but
    it is not a better text of the story."""
    teaser = [Paragraph(PROSE[0], "p")]
    assert prefer_structured(teaser, [Paragraph(" ".join(PROSE), "p")])
    assert not prefer_structured(teaser, [Paragraph(" ".join(PROSE * 2), "p")])


def test_next_data_holding_json_encoded_as_a_string_is_decoded() -> None:
    """Caches that store their state JSON-encoded inside a string value: the story, not the JSON text."""
    state = {"page": {"blocks": [{"type": "paragraph", "text": text} for text in PROSE]}}
    data = {"props": {"pageProps": {"apolloState": json.dumps(state)}}}
    html = f'<html><body><div id="__next"></div><script id="__NEXT_DATA__">{json.dumps(data)}</script></body></html>'
    document = parse_html(html)
    assert document is not None
    assert [p.text for p in next_data_paragraphs(document)] == PROSE


def test_summary_box_goes_only_when_it_restates_the_story() -> None:
    story = [Paragraph(text, "p") for text in PROSE]
    restating = [Paragraph("Key points", "h2"), Paragraph("The council voted to extend the night bus network.", "li")]
    own_list = [Paragraph("Key points", "h2"), Paragraph("Fares stay at two euros; N4 and N9 start in June.", "li")]
    assert drop_summary_boxes(restating + story) == story
    assert drop_summary_boxes(own_list + story) == own_list + story


def test_teaser_links_under_a_cross_link_label_go_and_the_story_resumes() -> None:
    article = (
        paragraphs_html(PROSE[:2])
        + "<p><strong>DON'T MISS</strong></p>"
        + '<p><a href="/a">Trams to run all night at weekends</a> [<strong>INSIGHT]</strong></p>'
        + '<p><a href="/b">Mayor answers critics of the bus plan</a> [VIDEO]</p>'
        + paragraphs_html(PROSE[2:])
    )
    assert body(page(article)) == "\n\n".join(PROSE)


def test_linked_subheading_over_prose_is_kept() -> None:
    """A gift guide's product names are linked headings; each heads a paragraph of the story. A heading
    linked to the site's own story is a teaser (seed 001)."""
    article = (
        paragraphs_html(PROSE[:1])
        + '<h3><a href="https://shop.example/charger">Satechi 72W USB-C Car Charger</a></h3>'
        + paragraphs_html(PROSE[1:])
    )
    assert body(page(article)).split("\n\n") == [PROSE[0], "Satechi 72W USB-C Car Charger", *PROSE[1:]]
    teaser = article.replace("https://shop.example/charger", "/2024/05/02/trams-all-night")
    assert body(page(teaser)) == "\n\n".join(PROSE)


SECTIONS = [
    [
        f"Section {n} of the report looks at the {topic}, which the council says will need more money, "
        "more staff and a clearer plan before the end of the next financial year.",
        f"Residents who spoke at the hearing on the {topic} asked for regular updates, and the committee "
        "agreed to publish a progress report every three months, starting in the spring.",
    ]
    for n, topic in enumerate(("bus depots", "night routes", "ticket prices", "accessible stops"), start=1)
]


def test_an_article_split_into_wrapped_sections_is_kept_whole() -> None:
    """A page builder's shape: every text block wrapped in rows and modules several levels deep, so
    readability-lxml scores each block alone and kept the best one; near-equal rivals under one ancestor
    make that ancestor the pick (Readability.js's rule)."""
    blocks = "".join(
        f'<div class="row row_{n}"><div class="column"><div class="module module_{n}"><div class="content_{n}">'
        f'<div class="text_{n}"><h2>Part {n}</h2>{paragraphs_html(texts)}</div></div></div></div></div>'
        for n, texts in enumerate(SECTIONS, start=1)
    )
    html = (
        '<html><head><title>Transport plan</title></head><body><nav><a href="/">Home</a></nav>'
        f'<div class="page-builder"><h1>Transport plan</h1>{blocks}</div><footer>About us</footer></body></html>'
    )
    text = body(html)
    assert all(p in text for texts in SECTIONS for p in texts)


def test_a_layout_modifier_class_does_not_make_the_story_wrapper_furniture() -> None:
    """'has-rail-right' names the wrapper's neighbour; the comments, which dwarf the story, are the furniture."""
    comment = "I have taken the night bus for years and it is always late, so this extension is welcome news. "
    html = (
        f'<html><body><div class="main-wrap has-rail-right"><article>{paragraphs_html(PROSE)}</article></div>'
        f'<div id="comments">{paragraphs_html([comment * 3] * 8)}</div></body></html>'
    )
    assert body(html) == "\n\n".join(PROSE)


def test_a_pick_holding_little_of_the_page_gets_trafilatura_as_second_opinion() -> None:
    """The story in five differently wrapped blocks, none of them close to the longest: readability keeps
    the longest, which holds under 40 % of the page's prose, so trafilatura's whole text replaces it."""
    wrappers = ('<div class="hero"><div class="hero__text">{}</div></div>', '<div class="grid"><div>{}</div></div>',
                '<section class="facts"><div>{}</div></section>', '<div class="more"><div><div>{}</div></div></div>',
                '<section class="outro"><div class="outro__box">{}</div></section>')
    blocks = [SECTIONS[0], PROSE, *SECTIONS[1:]]
    html = (
        "<html><head><title>Transport plan</title></head><body><nav><a href='/'>Home</a></nav>"
        "<div class='page'><h1>Transport plan</h1>"
        + "".join(wrapper.format(paragraphs_html(texts)) for wrapper, texts in zip(wrappers, blocks, strict=True))
        + "</div><footer>About us</footer></body></html>"
    )
    text = body(html)
    assert all(p in text for texts in blocks for p in texts)


def test_second_opinion_replaces_ours_only_when_ours_is_part_of_it() -> None:
    article = [Paragraph(text, "p") for texts in SECTIONS for text in texts]
    about = "Transport plan: depots, night routes, ticket prices and stops"
    assert reconcile(article[2:4], article, about) == article
    other_story = [Paragraph(text.replace("council", "club"), "p") for text in PROSE] * 3
    assert reconcile(article[2:4], other_story, about) == article[2:4]
    assert reconcile(article, article[2:4], about) == article


def test_second_opinion_keeps_the_story_under_the_page_headline() -> None:
    """Pages that append the next article as the reader scrolls: its <h1> ends our story."""
    ours = [Paragraph("Night buses extended to the suburbs", "h1"), *(Paragraph(t, "p") for t in PROSE)]
    next_story = [Paragraph("Library hours cut over the summer", "h1"), Paragraph(SECTIONS[0][0], "p")]
    titles = ["night buses extended to the suburbs | the herald"]
    assert headlined_story([Paragraph("Most read", "h2"), *next_story, *ours], titles) == ours
    assert headlined_story([*ours, *next_story], []) == ours


def test_a_figure_framing_a_table_is_article_text_one_framing_a_picture_is_not() -> None:
    table = (
        '<figure class="wp-block-table"><table><tbody><tr><td>Route N1</td><td>Central station</td><td>Airport</td>'
        "</tr><tr><td>Route N2</td><td>Harbour</td><td>University</td></tr></tbody></table></figure>"
    )
    picture = '<figure><img src="/bus.jpg"><figcaption>A night bus leaves the depot at midnight</figcaption></figure>'
    text = body(page(paragraphs_html(PROSE[:2]) + table + picture + paragraphs_html(PROSE[2:])))
    assert "Route N1 Central station Airport" in text and "Route N2 Harbour University" in text
    assert "leaves the depot" not in text


def test_second_opinion_wins_over_a_different_block_only_when_it_is_about_the_page() -> None:
    """Disjoint texts: an author bio or a promo box picked as the body loses to the longer text that uses
    the words of the page's title and description; a longer text about something else does not win."""
    bio = [Paragraph("Jane Doe has covered transport for the Herald since 2009 and lives in the north.", "p")]
    story = [Paragraph(text, "p") for text in PROSE]
    about = "Night buses extended to the northern suburbs after a two-year trial"
    assert reconcile(bio, story, about) == story
    elsewhere = [Paragraph(text, "p") for texts in SECTIONS for text in texts]
    assert reconcile(story[:1], elsewhere, about) == story[:1]
