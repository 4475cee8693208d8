"""HTTP content codings (gzip, deflate, br, zstd) decoded in bounded steps, never past a size limit.

One decoder for every place that reads a body that is still content-encoded: the crawl's decompression
middleware, the captcha scan, gzip-file sitemaps and pages read back from WARCs. Our own, because the
libraries are wrong for hostile input: Scrapy 2.13 inflates 64 KiB input chunks with no output limit (one
brotli chunk can inflate to gigabytes) and buffers the whole output before checking DOWNLOAD_MAXSIZE, and
warcio's br path is written for brotlipy (AttributeError with Google's brotli). Here the input is fed in
slices and each step's output is capped, so memory stays at `limit` plus one step whatever the ratio.
"""

from __future__ import annotations

import itertools
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator

import brotli

from pipelines.store.members import GZIP_MAGIC

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

STEP = 64 * 1024  # bytes in and out per decoding step
DECODABLE = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd"})
DECODE_ERRORS = (zlib.error, brotli.error, zstd.ZstdError, EOFError)


class DecodedTooLarge(ValueError):
    """The body decodes to more than the limit (a decompression bomb, or just a very large document)."""


class UndecodableBody(ValueError):
    """The body is not what its Content-Encoding says (not a single byte decodes)."""


def content_codings(values: Iterable[bytes | str]) -> list[str]:
    """The codings of `Content-Encoding` header values in the order they were applied (`identity` dropped)."""
    codings = []
    for value in values:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        codings += [part.strip().lower() for part in text.split(",") if part.strip()]
    return [coding for coding in codings if coding != "identity"]


def decodable_codings(codings: list[str]) -> tuple[list[str], list[str]]:
    """(codings left applied, the decodable ones applied after them): decoding stops at an unknown coding,
    since whatever was applied before it cannot be reached."""
    kept = list(codings)
    while kept and kept[-1] in DECODABLE:
        kept.pop()
    return kept, codings[len(kept):]


def decode(body: bytes, codings: list[str], limit: int) -> bytes:
    """`body` with `codings` (in the order they were applied, as the header lists them) undone.

    DecodedTooLarge past `limit` bytes (0: no limit), UndecodableBody if nothing decodes; a cut-off or corrupt
    stream gives what decoded before the fault, as browsers do."""
    out, pieces = bytearray(), _decoded_pieces(body, codings)
    for piece in pieces:
        out += piece
        if limit and len(out) > limit:
            # Free the buffer and the decoders' windows now: the exception's traceback would keep them alive
            # (in a reference cycle only the garbage collector breaks, maybe much later).
            out.clear()
            pieces.close()
            raise DecodedTooLarge(f"decodes to more than {limit} bytes")
    return bytes(out)


def decoded_prefix(body: bytes, codings: list[str], limit: int) -> bytes:
    """The first `limit` bytes of the decoded body; b"" when it does not decode."""
    out = bytearray()
    try:
        for piece in _decoded_pieces(body, codings):
            out += piece[: limit - len(out)]
            if len(out) >= limit:
                break
    except UndecodableBody:
        return b""
    return bytes(out)


def _decoded_pieces(body: bytes, codings: list[str]) -> Generator[bytes]:
    pieces: Iterable[bytes] = _slices(body)
    for coding in reversed(codings):
        pieces = _decoder(coding)(pieces)
    produced = False
    try:
        for piece in pieces:
            produced = produced or bool(piece)
            yield piece
    except DECODE_ERRORS as error:
        if not produced:
            raise UndecodableBody(f"not valid {'+'.join(codings)} data: {error}") from error
        # Corrupt after some output: keep what decoded, as browsers and Scrapy's own gunzip do.


def _slices(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), STEP):
        yield bytes(view[start:start + STEP])


def _decoder(coding: str) -> Callable[[Iterable[bytes]], Iterator[bytes]]:
    if coding in ("gzip", "x-gzip"):
        return _gunzip
    if coding == "deflate":
        return _inflate
    if coding == "br":
        return _unbrotli
    if coding == "zstd":
        return _unzstd
    raise ValueError(f"not a decodable coding: {coding!r}")


def _zlib_pieces(pieces: Iterable[bytes], wbits: int, *, members: bool) -> Iterator[bytes]:
    """Inflate with at most STEP bytes out per call; `members`: a gzip file may hold several members."""
    inflater = zlib.decompressobj(wbits)
    carry = b""
    for piece in pieces:
        data, carry = carry + piece, b""
        while True:
            if inflater.eof:
                if not members or (len(data) >= 2 and not data.startswith(GZIP_MAGIC)):
                    return  # trailing bytes after the stream: ignored, as browsers do
                if len(data) < 2:
                    carry = data  # too short to tell: the next piece decides
                    break
                inflater = zlib.decompressobj(wbits)
            out = inflater.decompress(data, STEP)
            yield out
            if inflater.eof:
                data = inflater.unused_data
            elif inflater.unconsumed_tail or len(out) == STEP:  # a full step may leave output pending
                data = inflater.unconsumed_tail
            else:
                break


def _gunzip(pieces: Iterable[bytes]) -> Iterator[bytes]:
    return _zlib_pieces(pieces, 16 + zlib.MAX_WBITS, members=True)


def _inflate(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """`deflate` is zlib-wrapped by the spec, raw deflate from some servers (IIS): tried in that order."""
    pieces = iter(pieces)
    first = next(pieces, b"")
    try:
        zlib.decompressobj().decompress(first[:2048], 1)
        wbits = zlib.MAX_WBITS
    except zlib.error:
        wbits = -zlib.MAX_WBITS
    return _zlib_pieces(itertools.chain([first], pieces), wbits, members=False)


def _unbrotli(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """brotli >= 1.2: `output_buffer_limit` bounds each step (older releases cannot bound one)."""
    decompressor = brotli.Decompressor()
    for piece in pieces:
        if decompressor.is_finished():
            return
        yield decompressor.process(piece, output_buffer_limit=STEP)
        while not decompressor.can_accept_more_data() and not decompressor.is_finished():
            yield decompressor.process(b"", output_buffer_limit=STEP)
    while not decompressor.is_finished():  # output still pending after the last input
        out = decompressor.process(b"", output_buffer_limit=STEP)
        if not out:
            return
        yield out


def _unzstd(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """One or more zstd frames, at most STEP bytes out per call."""
    decompressor = zstd.ZstdDecompressor()
    for piece in pieces:
        data = piece
        while True:
            if decompressor.eof:
                data = decompressor.unused_data + data
                decompressor = zstd.ZstdDecompressor()
            if not data and decompressor.needs_input:
                break
            yield decompressor.decompress(data, max_length=STEP)
            data = b""
