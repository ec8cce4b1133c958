"""Event bodies of accounts and tenants, and of the audit trail. No secret and no clear personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TenantKind = Literal["authority", "group", "enterprise", "customs"]
Locale = Literal["en", "zh-Hans"]
ID = r"^[a-z0-9][a-z0-9-]{1,63}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TenantCreated(_Body):
    tenant_id: str = Field(pattern=ID)
    name: str = Field(min_length=1, max_length=300)
    name_zh: str | None = Field(default=None, max_length=300)
    kind: TenantKind


class SupervisionGranted(_Body):
    supervisor: str = Field(pattern=ID)
    supervised: str = Field(pattern=ID)


class UserAdded(_Body):
    user_id: str = Field(pattern=r"^user-[0-9a-f]{32}$")
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")
    display_name: str = Field(pattern=r"^hmac-sha256:[0-9a-f]{64}$")
    roles: list[str]
    locale: Locale = "en"


class UserRolesSet(_Body):
    user_id: str
    roles: list[str]


class UserDisabled(_Body):
    user_id: str
    reason: str = Field(min_length=1, max_length=500)


class UserLocaleSet(_Body):
    user_id: str
    locale: Locale


class TokenIssued(_Body):
    token_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    user_id: str
    label: str = Field(min_length=1, max_length=100)
    scopes: list[str]
    expires_at: datetime


class TokenRevoked(_Body):
    token_id: str


class AccessAudited(_Body):
    """One line of the audit trail: a read of personal data, or a request that was refused."""

    action: Literal["personal_data.read", "access.denied", "session.login", "session.logout", "login.failed"]
    user_id: str | None = None
    username: str | None = None
    target: str = Field(max_length=500)
    permission: str | None = None
    reason: str = Field(default="", max_length=500)
    ip: str = Field(default="", max_length=64)
    method: str = Field(default="", max_length=10)
