"""Browser capture for sites with `render: true` (docs/rendering.md): Chromium through scrapy-playwright."""
