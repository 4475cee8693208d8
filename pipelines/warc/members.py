"""Find where the complete gzip members of a multi-member file end.

WARC.gz, JSONL.gz and gzipped CDXJ files are written one gzip member per record, so after a crash
everything up to the last member whose CRC and length check out is intact and can be kept.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

READ_SIZE = 1024 * 1024
# Fed to zlib in small pieces so a highly compressible member cannot balloon memory.
FEED_SIZE = 16 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def complete_members_length(fh: BinaryIO) -> int:
    """Byte length of the longest prefix of `fh` made of complete, CRC-checked gzip members."""
    fh.seek(0)
    valid = 0  # end of the last complete member
    offset = 0  # file offset of the first byte of `data`
    inflater: zlib._Decompress | None = None
    while chunk := fh.read(READ_SIZE):
        data = chunk
        while data:
            if inflater is None:
                inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer, checked
            piece, data = data[:FEED_SIZE], data[FEED_SIZE:]
            try:
                inflater.decompress(piece)
            except zlib.error:
                return valid
            if inflater.eof:
                rest = inflater.unused_data
                offset += len(piece) - len(rest)
                valid = offset
                data = rest + data
                inflater = None
            else:
                offset += len(piece)
    return valid
