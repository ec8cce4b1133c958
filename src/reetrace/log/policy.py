"""Witness policy: a checkpoint counts only when its log signed it and ``quorum`` of the listed witnesses did.

Text form (a subset of C2SP tlog-policy, one directive per line, ``#`` comments)::

    log <vkey> [url]
    witness <name> <vkey> [url]
    quorum <N>            # or: quorum none  (= 0)

Each witness counts once, however many cosignature lines it added. A cosignature by a listed witness that
fails to verify rejects the whole checkpoint (signed-note rule: a known key's bad signature is an attack).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reetrace.errors import Error
from reetrace.log.checkpoint import VerifiedCheckpoint, open_checkpoint
from reetrace.log.errors import PolicyError, bad_argument
from reetrace.log.note import CosignatureVerifier, Verifier


@dataclass(frozen=True)
class WitnessPolicy:
    log: Verifier
    witnesses: Sequence[CosignatureVerifier]
    quorum: int
    labels: dict[str, str] = field(default_factory=dict)  # witness key name -> policy label

    def __post_init__(self) -> None:
        object.__setattr__(self, "witnesses", tuple(self.witnesses))
        names = [w.name for w in self.witnesses]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise bad_argument(
                f"witness key names must be unique in a policy, repeated: {duplicates}", "policy_invalid"
            )
        if not 0 <= self.quorum <= len(self.witnesses):
            raise bad_argument(
                f"quorum must be in [0, {len(self.witnesses)}] (the number of witnesses), got {self.quorum}",
                "policy_invalid",
            )

    @classmethod
    def parse(cls, text: str) -> WitnessPolicy:
        log: Verifier | None = None
        witnesses: list[CosignatureVerifier] = []
        labels: dict[str, str] = {}
        quorum: int | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            try:
                if words[0] == "log" and len(words) in (2, 3):
                    if log is not None:
                        raise bad_argument("a policy names exactly one log", "policy_invalid")
                    log = Verifier.from_vkey(words[1])
                elif words[0] == "witness" and len(words) in (3, 4):
                    witness = CosignatureVerifier.from_vkey(words[2])
                    witnesses.append(witness)
                    labels[witness.name] = words[1]
                elif words[0] == "quorum" and len(words) == 2:
                    quorum = _parse_quorum(words[1])
                else:
                    raise bad_argument(f"unknown or malformed directive {raw.strip()!r}", "policy_invalid")
            except Error as exc:
                raise bad_argument(f"policy line {number}: {exc.message}", "policy_invalid") from exc
        if log is None or quorum is None:
            raise bad_argument("a policy needs a 'log' line and a 'quorum' line", "policy_invalid")
        return cls(log, witnesses, quorum, labels)

    def text(self) -> str:
        lines = [f"log {self.log.vkey}"]
        lines += [f"witness {self.labels.get(w.name, w.name)} {w.vkey}" for w in self.witnesses]
        lines.append(f"quorum {self.quorum}")
        return "\n".join(lines) + "\n"

    def verify(self, signed_checkpoint: str | bytes) -> VerifiedCheckpoint:
        """Open the checkpoint; raise :class:`PolicyError` if fewer than ``quorum`` witnesses cosigned it."""
        verified = open_checkpoint(signed_checkpoint, self.log, self.witnesses)
        if len(verified.cosignatures) < self.quorum:
            signed = sorted(verified.cosignatures) or ["none"]
            raise PolicyError(
                f"checkpoint {verified.checkpoint.origin} size {verified.checkpoint.size} needs valid "
                f"cosignatures from {self.quorum} of {len(self.witnesses)} witnesses, got "
                f"{len(verified.cosignatures)} ({', '.join(signed)})"
            )
        return verified


def _parse_quorum(word: str) -> int:
    if word == "none":
        return 0
    if not word.isascii() or not word.isdigit() or (word != "0" and word.startswith("0")):
        raise bad_argument(f"quorum must be a decimal count or 'none', got {word!r}", "policy_invalid")
    return int(word)
