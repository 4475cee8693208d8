"""Scrapy downloader middlewares: scope, the private-network guard, politeness."""
