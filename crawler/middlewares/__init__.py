"""Scrapy downloader middlewares: the private-network guard, politeness."""
