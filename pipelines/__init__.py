"""The processing side of newsarchive: extraction, records, WARC writing, storage."""
