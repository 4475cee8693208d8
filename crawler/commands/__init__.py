"""One module per group of `newsarchive` commands; each registers its commands on `crawler.cli_common.app`."""
