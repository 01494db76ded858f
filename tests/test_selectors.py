"""`css:` / `xpath:` selectors: one parser for the config, extraction and the listing spider."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from parsel import Selector as Document
from scrapy.http import HtmlResponse

from crawler.cli import cli
from crawler.config import ConfigError, parse_config
from crawler.text.selectors import Selector
from spiders.listing import ListingSpider

PAGE = """<html><body>
<div class="news"><a href="/a/1">أولى</a><a href="/a/2">ثانية</a></div>
<div class="side"><a href="/other">أخرى</a></div>
</body></html>"""


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("css:div.news a", Selector("css", "div.news a")),
        (" css: div.news a:first-child ", Selector("css", "div.news a:first-child")),
        ("xpath://div[@class='news']//a", Selector("xpath", "//div[@class='news']//a")),
    ],
)
def test_parse(spec: str, expected: Selector) -> None:
    assert Selector.parse(spec) == expected


def test_a_bare_selector_is_the_default_kind_or_an_error() -> None:
    assert Selector.parse("a:first-child", default="css") == Selector("css", "a:first-child")
    with pytest.raises(ValueError, match="starts with 'css:' or 'xpath:'"):
        Selector.parse("div.news a")
    with pytest.raises(ValueError, match="no expression"):
        Selector.parse("xpath: ")


def test_css_and_xpath_pick_the_same_nodes() -> None:
    doc = Document(text=PAGE)
    by_css = Selector.parse("css:div.news a::attr(href)").select(doc).getall()
    by_xpath = Selector.parse("xpath://div[@class='news']/a/@href").select(doc).getall()
    assert by_css == by_xpath == ["/a/1", "/a/2"]


def _config(source: str) -> str:
    return f'[[sources]]\nname = "x"\nurl = "https://x.example/"\n{source}\n'


def test_config_refuses_selectors_the_parser_refuses() -> None:
    with pytest.raises(ConfigError, match=r"link_selector: a selector starts with 'css:'"):
        parse_config(_config('kind = "listing"\nlink_selector = "div.news a"'), "test")
    with pytest.raises(
        ConfigError, match=r"selectors\.body: the selector 'css:' has no expression"
    ):
        parse_config(_config('kind = "rss"\nselectors = { body = "css:" }'), "test")
    # Extraction reads a selector without a prefix as CSS, so the config takes one.
    config = parse_config(_config('kind = "rss"\nselectors = { body = "div.story" }'), "test")
    assert config.sources[0].selectors == {"body": "div.story"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            'kind = "listing"\nlink_selector = "css:div.news[[a"',
            "sources[0] (x).link_selector: invalid css selector 'div.news[[a': Expected ",
        ),
        (
            'kind = "listing"\nlink_selector = "css:a::link-text"',
            "sources[0] (x).link_selector: invalid css selector 'a::link-text': The pseudo-element",
        ),
        (
            'kind = "listing"\nlink_selector = "xpath://div[@class=\'news\'/a"',
            "sources[0] (x).link_selector: invalid xpath selector \"//div[@class='news'/a\": XPath",
        ),
        (
            'kind = "rss"\nselectors = { title = "h1", body = "div.story >> p" }',
            "sources[0] (x).selectors.body: invalid css selector 'div.story >> p': Expected ",
        ),
        (
            'kind = "rss"\nselectors = { date = "xpath://time[@datetime" }',
            "sources[0] (x).selectors.date: invalid xpath selector '//time[@datetime': XPath ",
        ),
    ],
)
def test_config_refuses_a_selector_that_cannot_run(source: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_config(source), "test")
    assert str(caught.value).startswith(f"config error in test: {message}")


def test_an_invalid_selector_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "marsad.toml"
    config.write_text(_config('kind = "rss"\nselectors = { body = "xpath://article[" }'), "utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "sources", "list"])
    assert result.exit_code == 2
    assert "sources[0] (x).selectors.body: invalid xpath selector '//article['" in result.stderr


@pytest.mark.parametrize("link_selector", ["css:div.news a", "xpath://div[@class='news']/a"])
def test_listing_spider_follows_the_selected_links(link_selector: str) -> None:
    config = parse_config(_config(f'kind = "listing"\nlink_selector = "{link_selector}"'), "test")
    spider = ListingSpider(config.sources[0])
    response = HtmlResponse("https://x.example/", body=PAGE.encode(), encoding="utf-8")
    entries, children = spider.parse_index(response)
    assert entries == [("https://x.example/a/1", None), ("https://x.example/a/2", None)]
    assert children == []
