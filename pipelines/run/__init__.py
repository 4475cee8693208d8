"""One run of the pipeline: the session that owns what a crawl writes, and the sink of import/re-extraction runs."""
