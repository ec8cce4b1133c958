"""C2SP tlog-tiles endpoints: tiles are the stored nodes, bundles the stored entries, the checkpoint the note."""

from __future__ import annotations

import pytest
from web_world import SIZE, World

from reetrace.errors import Error
from reetrace.log.checkpoint import open_checkpoint
from reetrace.log.memory import MemoryTree
from reetrace.storage.logread import LogReader
from reetrace.web.api.tiles import TilePath, parse_tile_path


def hashes(data: bytes) -> list[bytes]:
    assert len(data) % 32 == 0
    return [data[i : i + 32] for i in range(0, len(data), 32)]


@pytest.fixture
def memory_tree(reader: LogReader) -> MemoryTree:
    return MemoryTree(reader.entry(i).entry for i in range(SIZE))


def test_checkpoint(log_world: World) -> None:
    response = log_world.client.get("/tlog/checkpoint")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert open_checkpoint(response.text, log_world.container.verifier).checkpoint.size == SIZE


def test_full_level_zero_tile(log_world: World, memory_tree: MemoryTree) -> None:
    response = log_world.client.get("/tlog/tile/0/001")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert hashes(response.content) == [memory_tree.leaf_hash(i) for i in range(256, 512)]


def test_partial_tiles(log_world: World, memory_tree: MemoryTree) -> None:
    width = SIZE - 512  # 88 leaves in the right-edge tile
    edge = log_world.client.get(f"/tlog/tile/0/002.p/{width}")
    assert edge.status_code == 200 and edge.headers["cache-control"] == "no-cache"
    assert hashes(edge.content) == [memory_tree.leaf_hash(i) for i in range(512, SIZE)]
    level_one = log_world.client.get("/tlog/tile/1/000.p/2")
    assert hashes(level_one.content) == [memory_tree.node(8, 0), memory_tree.node(8, 1)]
    assert memory_tree.node(8, 0) == memory_tree.root(256)


def test_entry_bundle(log_world: World, reader: LogReader) -> None:
    data = log_world.client.get("/tlog/tile/entries/000.p/5").content
    entries = []
    while data:
        length = int.from_bytes(data[:2], "big")
        entries.append(data[2 : 2 + length])
        data = data[2 + length :]
    assert entries == [reader.entry(i).entry for i in range(5)]
    assert log_world.client.get("/tlog/tile/entries/001").status_code == 200


@pytest.mark.parametrize(("path", "expected"), [
    ("0/000", TilePath("0", 0, 256)),
    ("0/x001/x234/067", TilePath("0", 1234067, 256)),
    ("2/x001/234.p/7", TilePath("2", 1234, 7)),
    ("entries/012.p/255", TilePath("entries", 12, 255)),
])
def test_parse_tile_path(path: str, expected: TilePath) -> None:
    assert parse_tile_path(path) == expected


@pytest.mark.parametrize("path", ["0", "0/1", "0/0000", "0/x01/000", "0/001/x002", "0/000.p/01", "0/000.p/",
                                  "a/000", "0/000.p/7/8", "8/000", "0/-01"])
def test_parse_tile_path_refuses(path: str) -> None:
    with pytest.raises(Error) as caught:
        parse_tile_path(path)
    assert caught.value.code == "bad_tile_path"
