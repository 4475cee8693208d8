"""The sites file: which news sites to crawl and how.

Everything is validated up front, so a typo fails the run before any request is sent, with a message naming
the file, the site and the key, and saying how to fix it. The package's modules: `model` (Site, the error,
the keys), `entry` (one entry, key by key), `load` (the file), `write` (adding an entry).
"""

from crawler.sites.load import load_sites, parse_sites, parse_sites_text, select_sites
from crawler.sites.model import KNOWN_KEYS, Site, SitesConfigError
from crawler.sites.write import append_site, sites_yaml

__all__ = ["KNOWN_KEYS", "Site", "SitesConfigError", "append_site", "load_sites", "parse_sites", "parse_sites_text",
           "select_sites", "sites_yaml"]
