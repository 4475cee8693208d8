# The image for scheduled crawls. Configuration comes from the environment, never from files baked in:
#   ARCHIVE_URI          ./archive-style directory or s3://bucket/prefix (default /data/archive)
#   AWS_*                the standard AWS credential chain and AWS_ENDPOINT_URL (MinIO and others)
#   REDIS_URL            set for a distributed crawl; unset = single process
#   NEWSARCHIVE_SITES    the sites file (default /data/sites.yaml, since the working directory is /data)
#   NEWSARCHIVE_<NAME>   any setting (docs/settings.md); a bad value or unknown name stops the command (exit 2)
#
#   docker build -t newsarchive .
#   docker run --rm -v "$PWD/data:/data" newsarchive crawl      # /data must be writable by uid 10001
#
# Two stages: the builder makes the virtual environment (pip, its caches and the project's build files stay
# there); the final image copies only /opt/venv onto a fresh base. Every dependency ships binary wheels for
# Linux x86_64/aarch64, so neither stage needs a compiler. Versions come from constraints.txt (`make
# constraints`), the same file CI installs from, so a new upstream release cannot change the image unnoticed.
#
# The base image is pinned by digest (BASE_IMAGE; the tag is for people, the digest is what is pulled).
# Update path (docs/deployment.md): `make pin-base` prints the tag's current digest, paste it here; CI builds
# and tests the result. Machines that cannot pull (these test machines) build
# with a local image of the same name: --build-arg BASE_IMAGE=docker.io/library/python:3.11-slim.
ARG BASE_IMAGE=docker.io/library/python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

# The dependency list alone, so that editing anything else in pyproject.toml (the version, a comment) keeps
# the builder's install layer cached: a COPY is cached by the content of what it copies.
FROM ${BASE_IMAGE} AS requirements
COPY pyproject.toml /tmp/
RUN python3 -c "import tomllib; print(*tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /requirements.txt

FROM ${BASE_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# A current pip (the one venv seeds can be old enough to trip its resolver on this dependency set); it is
# uninstalled again at the end of this stage, the final image has no installer.
RUN python3 -m venv /opt/venv && pip install --upgrade pip

WORKDIR /src
COPY constraints.txt ./
COPY --from=requirements /requirements.txt ./
RUN pip install -c constraints.txt -r requirements.txt

COPY pyproject.toml ./
# README.m[d]: pyproject names it as the long description; the glob (next to a file that always exists)
# keeps the build working without it. LICENSE goes into the wheel (pyproject license-files).
COPY README.m[d] LICENSE ./
COPY settings settings
COPY pipelines pipelines
COPY crawler crawler
# The project as a wheel, then the venv trimmed to what runs: no pip/setuptools, no test suites of the
# dependencies, no C headers. pyarrow (only `export records --format parquet` uses it, writing local files) is
# the largest dependency: its Arrow Flight RPC and Arrow-S3 libraries (~50 MB; S3 goes through boto3) are
# removed. Nothing pyarrow.parquet loads links them (ldd), pyarrow imports them lazily, and tests/test_container.py
# exports Parquet in the image. (libarrow_substrait must stay: pyarrow.lib links it.)
# Bytecode stays: without it every run compiles the dependencies again (+5 s per start, measured).
RUN pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && pip install --no-deps /tmp/wheels/*.whl \
    && pip uninstall --yes pip setuptools \
    && site=$(echo /opt/venv/lib/python3*/site-packages) \
    && find "$site" -depth -type d \( -name tests -o -name test \) \
         -not -path "$site/crawler/*" -not -path "$site/pipelines/*" -exec rm -rf {} + \
    && rm -rf /opt/venv/include "$site"/pyarrow/include "$site"/pyarrow/*flight* \
         "$site"/pyarrow/_s3fs.* "$site"/pyarrow/libarrow_s3.* "$site"/pyarrow/_pyarrow_cpp_tests.*

FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin newsarchive \
    && mkdir /data \
    && chown newsarchive:newsarchive /data
COPY --from=builder /opt/venv /opt/venv

USER newsarchive
WORKDIR /data
# The spool lives on /data too, so files awaiting upload survive the container and the next run finishes them.
# SCRAPY_SETTINGS_MODULE: for `--entrypoint scrapy` debugging (e.g. scrapy shell URL); scrapy.cfg is not in /data.
ENV ARCHIVE_URI=/data/archive \
    NEWSARCHIVE_SPOOL=/data/spool \
    SCRAPY_SETTINGS_MODULE=settings
ENTRYPOINT ["newsarchive"]
CMD ["--help"]

# Last, so a new revision or date re-runs nothing above: CI passes them, e.g.
#   --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=$(date -u +%FT%TZ)
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="newsarchive" \
      org.opencontainers.image.description="Crawl news sites into faithful WARCs and clean, normalized article records in object storage." \
      org.opencontainers.image.source="https://github.com/newsarchive/newsarchive" \
      org.opencontainers.image.documentation="https://github.com/newsarchive/newsarchive/tree/main/docs" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
