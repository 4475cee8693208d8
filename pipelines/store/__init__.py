"""Object storage: the store interface, a local directory, S3, and the spool every file passes through."""
