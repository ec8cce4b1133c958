"""C2SP tlog-tiles read endpoints: ``/tlog/checkpoint``, hash tiles and entry bundles.

A hash tile at level ``L`` and index ``N`` holds the tree nodes at level ``8*L``, indices ``256*N`` to
``256*N + 255``: exactly the row ``(level=8*L, chunk=N)`` of ``log_nodes`` (:mod:`reetrace.storage.nodes`). A full
tile (256 hashes) never changes and is served as immutable; a partial tile ``.p/W`` is served when at least ``W``
hashes of that row exist. Entry bundles (``tile/entries/N``) are each entry as a big-endian uint16 length and its
bytes; an entry over 65,535 bytes cannot be bundled and is refused with an error naming it.

The checkpoint and the hash tiles are public (they hold no tenant data; see :mod:`reetrace.web.access`). Entry
bundles hold the entries and require ``log:entry:read``; a bundle with an entry outside the reader's tenants is
"not found", like the entry itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select

from reetrace.errors import Error, invalid, not_found
from reetrace.log.hashing import HASH_SIZE
from reetrace.storage.logread import LogReader
from reetrace.storage.nodes import CHUNK
from reetrace.storage.tables import log_entries
from reetrace.web.access import public, require
from reetrace.web.api.common import ERROR_RESPONSES, PUBLIC_ERROR_RESPONSES
from reetrace.web.deps import Scoped, TreeReader, Visible, node_chunk

router = APIRouter(prefix="/tlog", tags=["tlog-tiles"])

TILE_WIDTH = CHUNK
MAX_LEVEL = 7  # level 8*7 = 56 covers any tree below 2^63 entries
_ELEMENT = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")
_WIDTH = re.compile(r"[1-9]\d*")
IMMUTABLE = "public, max-age=31536000, immutable"
OCTETS = "application/octet-stream"


@dataclass(frozen=True)
class TilePath:
    level: str  # a decimal level, or "entries" for entry bundles
    index: int
    width: int  # TILE_WIDTH for a full tile

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH


def parse_tile_path(path: str) -> TilePath:
    """``<L>/<N>[.p/<W>]`` with N in groups of three digits, all but the last prefixed by ``x``."""
    parts = path.split("/")
    width = TILE_WIDTH
    if len(parts) >= 3 and parts[-2].endswith(".p"):
        if not _WIDTH.fullmatch(parts[-1]) or int(parts[-1]) >= TILE_WIDTH:
            raise invalid(f"partial tile width must be 1..{TILE_WIDTH - 1}, got {parts[-1]!r}", code="bad_tile_path")
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2][:-2]]
    if len(parts) < 2 or not (parts[0] == "entries" or (parts[0].isdigit() and int(parts[0]) <= MAX_LEVEL)):
        raise invalid(f"a tile path is <level 0..{MAX_LEVEL} or 'entries'>/<index>[.p/<width>], got {path!r}",
                      code="bad_tile_path")
    *head, last = parts[1:]
    if not all(_ELEMENT.fullmatch(e) for e in head) or not _LAST.fullmatch(last) or len(parts) > 8:
        raise invalid(f"a tile index is groups of three digits, all but the last prefixed by 'x'; got {path!r}",
                      code="bad_tile_path")
    index = int("".join(e[1:] for e in head) + last)
    return TilePath(parts[0], index, width)


@router.get("/checkpoint", response_class=PlainTextResponse, responses=PUBLIC_ERROR_RESPONSES, **public())
def tlog_checkpoint(reader: TreeReader) -> PlainTextResponse:
    """The latest checkpoint (C2SP signed note), as tlog-tiles clients fetch it."""
    latest = reader.latest_checkpoint()
    if latest is None:
        raise not_found("the log is empty: no checkpoint has been signed yet", code="empty_log")
    return PlainTextResponse(latest.note, headers={"Cache-Control": "no-cache"})


@router.get("/tile/entries/{tile_path:path}", response_class=Response, responses=ERROR_RESPONSES,
            **require("log:entry:read"))
def entries_tile(tile_path: str, scoped: Visible) -> Response:
    """An entry bundle ``tile/entries/<N>[.p/<W>]`` (every entry in it must be one you may see)."""
    where = parse_tile_path(f"entries/{tile_path}")
    return tile_response(entry_bundle(scoped, where), where)


@router.get("/tile/{tile_path:path}", response_class=Response, responses=PUBLIC_ERROR_RESPONSES, **public())
def tile(tile_path: str, reader: TreeReader) -> Response:
    """A hash tile ``tile/<L>/<N>[.p/<W>]``."""
    where = parse_tile_path(tile_path)
    if where.level == "entries":  # only "entries" without an index reaches this route: parse refuses it
        raise invalid("entry bundles are at tile/entries/<N>", code="bad_tile_path")
    return tile_response(hash_tile(reader, where), where)


def tile_response(data: bytes, where: TilePath) -> Response:
    headers = {"Cache-Control": IMMUTABLE if where.full else "no-cache"}
    return Response(data, media_type=OCTETS, headers=headers)


def hash_tile(reader: LogReader, where: TilePath) -> bytes:
    level = 8 * int(where.level)
    stored = node_chunk(reader, level, where.index)
    if len(stored) < where.width * HASH_SIZE:
        raise not_found(f"tile {where.level}/{where.index} has {len(stored) // HASH_SIZE} of the "
                        f"{where.width} hashes asked for", code="no_such_tile")
    return stored[: where.width * HASH_SIZE]


def entry_bundle(scoped: Scoped, where: TilePath) -> bytes:
    first = where.index * TILE_WIDTH
    if first + where.width > scoped.size():
        raise not_found(f"entry bundle {where.index} needs entries up to {first + where.width - 1}; the log has "
                        f"{scoped.size()}", code="no_such_tile")
    query = (select(log_entries.c.idx, log_entries.c.entry)
             .where(log_entries.c.idx >= first, log_entries.c.idx < first + where.width)
             .order_by(log_entries.c.idx))
    rows = scoped.all(query)
    if len(rows) < where.width:
        raise scoped.refuse(f"entry bundle {where.index} holds entries you may not see")
    out = bytearray()
    for idx, data in rows:
        if len(data) > 0xFFFF:
            raise Error(f"entry {idx} is {len(data)} bytes; an entry bundle holds entries up to 65,535 bytes",
                        code="entry_too_large_for_bundle", http_status=500)
        out += len(data).to_bytes(2, "big") + bytes(data)
    return bytes(out)
