"""Frozen types of party screening: a listed party (one record of one list), its aliases, a loaded list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PartyKind = Literal["person", "entity"]
Script = Literal["latin", "han", "cyrillic", "other"]


@dataclass(frozen=True, slots=True)
class Alias:
    """Another name of a listed party, with the script it is written in."""

    name: str
    script: Script


@dataclass(frozen=True, slots=True)
class Identifier:
    """A registration, tax, passport or similar number of a listed party (scheme as the list names it)."""

    scheme: str
    value: str


@dataclass(frozen=True, slots=True)
class ListedParty:
    """One record of one list: who is listed, under which names, why (programmes), where (countries)."""

    list_id: str
    record_id: str
    name: str
    kind: PartyKind
    aliases: tuple[Alias, ...] = ()
    countries: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.list_id}:{self.record_id}"

    def all_names(self) -> tuple[str, ...]:
        return (self.name, *(a.name for a in self.aliases))


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file a list was read from: its path as given, its size and its SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class LoadedList:
    """One list read from its files: the parties, and the files they came from (for the log)."""

    list_id: str
    title: str
    files: tuple[SourceFile, ...]
    parties: tuple[ListedParty, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def alias_count(self) -> int:
        return sum(len(p.aliases) for p in self.parties)
