"""WARC files: records for one HTTP exchange, the rotating writer, readers, lint, CDXJ index and WACZ export."""
