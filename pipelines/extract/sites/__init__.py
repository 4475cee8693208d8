"""Per-site extraction (fundus-style): selectors from the sites file, or a parser class registered by domain,
used before the generic extractor.

The generic extractor is built to work on publishers nobody has seen; when one of them is known to defeat
it, a site can say where its fields are instead of the generic code learning that site. Two ways, both
field by field (a field the site does not give falls back to the generic extractor):

- selectors in the sites file (`extract:` with `body`, `title`, `authors`, `date`: CSS, or XPath when
  they start with `/`, `./` or `(`), carried to the extraction worker as a picklable `SiteRules`;
- a `SiteParser` subclass in this package, registered for its domains with `@register_parser`; it applies
  to every page of those domains (crawls, imports, re-extraction) and a sites-file entry may name one
  (`extract: {parser: name}`).

Every site with rules has a golden test (tests/test_extract_sites.py: stored page -> expected record,
`--update-golden` rewrites the expectations). docs/extraction.md describes the whole.
"""

from pipelines.extract.sites.rules import (
    SiteParser,
    SiteRules,
    SiteRulesError,
    parser_for,
    register_parser,
    registered_parsers,
    site_metadata,
    validate_rules,
)

# Parser modules register themselves on import.
from pipelines.extract.sites import heise  # noqa: F401  isort: skip

__all__ = [
    "SiteParser",
    "SiteRules",
    "SiteRulesError",
    "parser_for",
    "register_parser",
    "registered_parsers",
    "site_metadata",
    "validate_rules",
]
