"""Mass balance, element by element: each element's REO into a transformation against its REO out.

An element's REO in a lot is ``quantity (kg) x REO content x the element's share of the REO``. A transformation's
yield for an element is out / in; the tolerance per process step is data (``rules/yields.toml``). An element in
the outputs that no input carries is refused (material cannot appear); a yield outside the tolerance is a gap,
which the service raises as an alert with its evidence.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reetrace.errors import Detail, invalid

YIELDS = Path(__file__).with_name("rules") / "yields.toml"
NEGLIGIBLE_KG = 1e-6


@dataclass(frozen=True)
class Tolerance:
    min_yield: float
    max_yield: float


@dataclass(frozen=True)
class YieldRules:
    version: str
    digest: str
    default: Tolerance
    steps: Mapping[str, Tolerance]

    def for_step(self, step: str) -> Tolerance:
        return self.steps.get(step, self.default)

    @classmethod
    def current(cls, path: Path = YIELDS) -> YieldRules:
        """The rules in ``path``, read again only when the file changes (its size or modification time)."""
        stat = path.stat()
        return _load_cached(path, stat.st_mtime_ns, stat.st_size)

    @classmethod
    def load(cls, path: Path = YIELDS) -> YieldRules:
        data = path.read_bytes()
        try:
            doc = tomllib.loads(data.decode("utf-8"))
            steps = {name: _tolerance(values, f"steps.{name}") for name, values in doc.get("steps", {}).items()}
            return cls(str(doc["version"]), hashlib.sha256(data).hexdigest(), _tolerance(doc["default"], "default"),
                       steps)
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
            raise invalid(f"{path.name}: the yield rules are not valid: {exc}", Detail(str(exc), path.name),
                          code="bad_rules") from None


@functools.lru_cache(maxsize=16)
def _load_cached(path: Path, mtime_ns: int, size: int) -> YieldRules:
    return YieldRules.load(path)


def _tolerance(values: Mapping[str, object], where: str) -> Tolerance:
    low, high = float(str(values["min_yield"])), float(str(values["max_yield"]))
    if not 0 <= low <= 1 <= high:
        raise ValueError(f"{where}: need 0 <= min_yield <= 1 <= max_yield, got {low} and {high}")
    return Tolerance(low, high)


@dataclass(frozen=True)
class LotContent:
    """What a lot line carries: its quantity in kg and its master data (REO content, element shares)."""

    lot_id: str
    quantity_kg: float
    reo_content: float
    shares: Mapping[str, float]

    def element_kg(self) -> dict[str, float]:
        return {e: self.quantity_kg * self.reo_content * s for e, s in self.shares.items() if s > 0}


@dataclass(frozen=True)
class ElementBalance:
    element: str
    in_kg: float
    out_kg: float
    tolerance: Tolerance

    @property
    def yield_ratio(self) -> float | None:
        return None if self.in_kg <= NEGLIGIBLE_KG else self.out_kg / self.in_kg

    @property
    def within(self) -> bool:
        ratio = self.yield_ratio
        return ratio is not None and self.tolerance.min_yield <= ratio <= self.tolerance.max_yield

    @property
    def gap_kg(self) -> float:
        """How far out lies outside the tolerated band (negative: missing, positive: surplus)."""
        low, high = self.in_kg * self.tolerance.min_yield, self.in_kg * self.tolerance.max_yield
        return self.out_kg - low if self.out_kg < low else max(0.0, self.out_kg - high)


def totals(lines: Iterable[LotContent]) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in lines:
        for element, kg in line.element_kg().items():
            out[element] = out.get(element, 0.0) + kg
    return out


def balance(inputs: Iterable[LotContent], outputs: Iterable[LotContent], tolerance: Tolerance,
            where: str = "event") -> list[ElementBalance]:
    """Each element's balance; refuses outputs carrying an element that no input carries."""
    ins, outs = totals(inputs), totals(outputs)
    absent = sorted(e for e, kg in outs.items() if kg > NEGLIGIBLE_KG and ins.get(e, 0.0) <= NEGLIGIBLE_KG)
    if absent:
        raise invalid(f"{where}: the outputs contain {', '.join(absent)}, which no input contains",
                      *[Detail(f"{outs[e]:.3f} kg {e} (as REO) out, none in", f"{where}.outputQuantityList")
                        for e in absent], code="element_from_nowhere")
    return [ElementBalance(e, ins.get(e, 0.0), outs.get(e, 0.0), tolerance) for e in sorted(set(ins) | set(outs))
            if ins.get(e, 0.0) > NEGLIGIBLE_KG]
