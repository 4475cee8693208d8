# The image for scheduled crawls. Configuration comes from the environment, never from files baked in:
#   ARCHIVE_URI          ./archive-style directory or s3://bucket/prefix (default /data/archive)
#   AWS_*                the standard AWS credential chain and AWS_ENDPOINT_URL (MinIO and others)
#   REDIS_URL            set for a distributed crawl; unset = single process
#   NEWSARCHIVE_SITES    the sites file (default /data/sites.yaml, since the working directory is /data)
#   NEWSARCHIVE_<NAME>   any setting (docs/settings.md); a bad value or unknown name stops the command (exit 2)
#
#   docker build -t newsarchive .
#   docker run --rm -v "$PWD/data:/data" newsarchive crawl      # /data must be writable by uid 10001
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# A current pip: the one venv seeds can be old enough to trip its resolver on this dependency set.
RUN python3 -m venv /opt/venv \
    && pip install --upgrade pip \
    && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin newsarchive \
    && mkdir /data \
    && chown newsarchive:newsarchive /data

WORKDIR /src
# Dependencies first, read from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python3 -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# README.m[d]: pyproject names it as the long description; the glob (next to a file that always exists)
# keeps the build working without it.
COPY pyproject.toml README.m[d] ./
COPY settings settings
COPY pipelines pipelines
COPY crawler crawler
RUN pip install --no-deps . \
    && rm -rf build *.egg-info

USER newsarchive
WORKDIR /data
# The spool lives on /data too, so files awaiting upload survive the container and the next run finishes them.
# SCRAPY_SETTINGS_MODULE: for `--entrypoint scrapy` debugging (e.g. scrapy shell URL); scrapy.cfg is not in /data.
ENV ARCHIVE_URI=/data/archive \
    NEWSARCHIVE_SPOOL=/data/spool \
    SCRAPY_SETTINGS_MODULE=settings
ENTRYPOINT ["newsarchive"]
CMD ["--help"]
