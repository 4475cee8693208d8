"""Article metadata: title, authors, dates, tags and publisher from JSON-LD, meta tags and markup."""
