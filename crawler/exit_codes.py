"""Process exit codes (documented in the README; operators' scripts rely on them)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1          # the run could not do its job (crash, nothing fetched)
    USAGE = 2            # bad command line, settings (environment), sites file or ARCHIVE_URI; nothing was fetched
    UPLOAD_PENDING = 3   # crawl done, but some files could not be uploaded: they are safe in the spool,
                         # and the next run (any command that crawls) uploads them first
    NOT_FOUND = 4        # `show`/`warc verify`: no record of that URL, no such file or archive key
    BLOCKED = 5          # crawl done, but at least one site was blocking the crawler (403/429/captcha storm):
                         # its remaining pages were not fetched; the run report's stats name the site
    INTERRUPTED = 130    # stopped by Ctrl-C / SIGTERM after a clean shutdown
