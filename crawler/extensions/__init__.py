"""Scrapy extensions: WARC capture, the response size cap, live progress."""
