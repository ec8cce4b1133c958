"""The demo world: a small synthetic rare-earth economy, generated deterministically from a seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from reetrace.authz import service as authz
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.domains.registry import service
from reetrace.domains.registry.models import EnterpriseRegistered, PermitIssued
from reetrace.events import Event
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

PROVINCES = {
    "mine": ["Inner Mongolia", "Jiangxi", "Sichuan", "Guangdong", "Fujian"],
    "separation": ["Inner Mongolia", "Jiangxi", "Jiangsu", "Shandong", "Guangxi"],
    "metal": ["Jiangxi", "Inner Mongolia", "Shandong"],
    "magnet": ["Zhejiang", "Ningbo", "Jiangsu", "Tianjin", "Shanxi"],
    "exporter": ["Shanghai", "Guangdong", "Tianjin"],
}
NAME_PARTS = ["Northern", "Southern", "Jinli", "Ganzhou", "Baotou", "Huaxin", "Zhongke", "Xinhai", "Tianhe", "Ruiyuan"]
ROLE_WORDS = {"mine": "Mining", "separation": "Rare Earth Separation", "metal": "Rare Earth Metals",
              "magnet": "Magnetics", "exporter": "Trading"}
ROLE_ZH = {"mine": "矿业", "separation": "稀土分离", "metal": "稀土金属", "magnet": "磁材", "exporter": "贸易"}
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"]
GIVEN = ["Wei", "Fang", "Lei", "Min", "Jing", "Hao", "Yan", "Tao", "Qiang", "Xiu"]
NOTE_TOPICS = ["site inspection completed", "quarterly stock count", "sampling for assay", "customs pre-check",
               "equipment maintenance", "quota usage review", "training on export rules"]
TENANTS = {"mine": "group-north", "separation": "group-north", "metal": "group-south", "magnet": "group-south",
           "exporter": "group-south"}


DEMO_PASSWORD = "Demo-pass-2026"
DEMO_TENANTS = [
    ("mofcom", "Ministry of Commerce (demo)", "商务部（演示）", "authority"),
    ("customs", "General Administration of Customs (demo)", "海关总署（演示）", "customs"),
    ("group-north", "Northern Rare Earth Group (demo)", "北方稀土集团（演示）", "group"),
    ("group-south", "Southern Rare Earth Group (demo)", "南方稀土集团（演示）", "group"),
]
DEMO_SUPERVISION = [("mofcom", "group-north"), ("mofcom", "group-south"), ("customs", "group-north"),
                    ("customs", "group-south")]
DEMO_USERS = [
    ("officer", "mofcom", "Officer Zhao", ["supervisor"], "zh-Hans"),
    ("inspector", "customs", "Inspector Qian", ["auditor"], "en"),
    ("north.admin", "group-north", "Sun Li", ["tenant_admin"], "en"),
    ("north.viewer", "group-north", "Zhou Min", ["viewer"], "en"),
    ("south.admin", "group-south", "Wu Fang", ["tenant_admin"], "zh-Hans"),
    ("south.analyst", "group-south", "Zheng Hao", ["analyst"], "en"),
    ("north.security", "group-north", "Gao Jun", ["security_officer"], "zh-Hans"),
    ("north.group", "group-north", "Ma Lan", ["group_security"], "en"),
    ("south.security", "group-south", "He Tao", ["security_officer"], "en"),
    ("south.group", "group-south", "Lin Xia", ["group_security"], "zh-Hans"),
]


def build_accounts(uow: UnitOfWork, vault: Vault, passwords: Passwords) -> None:
    """The demo's organisations and their users (all with DEMO_PASSWORD)."""
    for tenant_id, name, name_zh, kind in DEMO_TENANTS:
        authz.create_tenant(uow, "demo", TenantCreated(tenant_id=tenant_id, name=name, name_zh=name_zh,
                                                       kind=kind))
    for supervisor, supervised in DEMO_SUPERVISION:
        authz.grant_supervision(uow, "demo", supervisor, supervised)
    for username, tenant, name, roles, locale in DEMO_USERS:
        authz.add_user(uow, vault, passwords, "demo", tenant, username, name, roles, DEMO_PASSWORD, locale)


@dataclass(frozen=True)
class WorldSize:
    enterprises: int
    notes: int


def size_for(events: int) -> WorldSize:
    enterprises = max(10, events // 30)
    # each enterprise: 1 registration + 2 permits + 2 contacts = 5 events; accounts are a few dozen more
    return WorldSize(enterprises, max(0, events - 5 * enterprises))


def credit_code(rng: random.Random) -> str:
    return "91" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(16))


def build_enterprises(uow: UnitOfWork, vault: Vault, rng: random.Random, count: int) -> list[str]:
    roles = list(PROVINCES)
    ids = []
    for n in range(count):
        role = roles[n % len(roles)]
        province = rng.choice(PROVINCES[role])
        word = rng.choice(NAME_PARTS)
        enterprise_id = f"ENT-{n + 1:04d}"
        body = EnterpriseRegistered(
            enterprise_id=enterprise_id, name=f"{word} {province} {ROLE_WORDS[role]} Co., Ltd. {n + 1}",
            name_zh=f"{province}{ROLE_ZH[role]}有限公司{n + 1}", role=role if role != "exporter" else "exporter",
            province=province, country="CN", credit_code=credit_code(rng))
        service.register_enterprise(uow, TENANTS[role], "demo", body)
        for k, permit_type in enumerate(_permit_types(role)):
            start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 200))
            service.issue_permit(uow, TENANTS[role], "demo", PermitIssued(
                permit_id=f"PRM-{n + 1:04d}-{k + 1}", enterprise_id=enterprise_id, permit_type=permit_type,
                valid_from=start, valid_to=start + timedelta(days=365 * (1 + k))))
        for role_name in ("compliance officer", "plant manager"):
            name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
            phone = f"+86 13{rng.randrange(0, 10)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}"
            service.register_contact(uow, vault, TENANTS[role], "demo", enterprise_id, role_name, name, phone)
        ids.append(enterprise_id)
    return ids


def _permit_types(role: str) -> list[str]:
    return {"mine": ["mining", "export"], "separation": ["separation", "export"], "metal": ["recycling", "export"],
            "magnet": ["recycling", "export"], "exporter": ["export", "import"]}[role]


def notes(rng: random.Random, enterprise_ids: list[str], count: int) -> Iterator[Event]:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    for n in range(count):
        enterprise_id = rng.choice(enterprise_ids)
        number = int(enterprise_id.split("-")[1]) - 1
        role = list(PROVINCES)[number % len(PROVINCES)]
        yield Event(kind="note", tenant=TENANTS[role], actor="demo", subjects=(enterprise_id,),
                    occurred_at=start + timedelta(minutes=97 * n),
                    body={"enterprise_id": enterprise_id, "text": rng.choice(NOTE_TOPICS),
                          "weight_kg": round(rng.uniform(50, 5000), 1)})
