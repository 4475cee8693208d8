"""Crawl state kept between runs: seen URLs, archived payload digests, texts for near-duplicates, and their sync."""
