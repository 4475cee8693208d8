"""Discovery: feeds, sitemaps, backfill date windows, spider-trap bounds."""
