"""The extractor's own version, kept apart from the extraction code so reading it imports nothing heavy.

It goes into every record (`extractor.version`) and into re-extraction keys (`-x<version>`): bump it whenever
extraction output can change, so `newsarchive reextract` knows which WARCs to redo. It is not the package
version: a release that leaves extraction alone must not "change" every record.
"""

EXTRACTOR_VERSION = "6"  # 6: single-byte charsets mislabelled as another (pipelines.extract.charset)
