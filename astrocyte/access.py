"""Access control: which principal may read, write, forget or administer which banks.

    access:
      enabled: true
      grants:
        - {principal: "user:*", banks: ["user-{principal_id}"], permissions: [read, write, forget]}
        - {principal: "agent:support-bot", banks: ["support-*"], permissions: [read, write]}
    agents:
      triage: {banks: ["tickets"], permissions: [read]}

    policy.check(Context(principal="user:ann"), "user-ann", "write")    # passes
    policy.check(Context(principal="user:ann"), "user-bob", "read")     # AccessDenied

When enabled, access is denied unless a grant allows it. `admin` implies every permission. A call made
`on_behalf_of` someone is allowed only if both the principal and the one it acts for are allowed. Agents
listed under `agents:` are principals `agent:<name>` with grants on their banks and default bank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from astrocyte.config import AccessConfig, AgentConfig, Grant, Permission
from astrocyte.errors import AccessDenied
from astrocyte.types import Context


class AccessPolicy:
    def __init__(self, config: AccessConfig, agents: Mapping[str, AgentConfig]) -> None:
        self.enabled = config.enabled
        self._agents = dict(agents)
        self._grants = list(config.grants) + [_agent_grant(name, agent) for name, agent in agents.items()]

    def add_grants(self, grants: Iterable[Grant]) -> None:
        """Honour more grants from now on (an agent card's binding adds the grants it maps to)."""
        self._grants.extend(grant for grant in dict.fromkeys(grants) if grant not in self._grants)

    def default_bank(self, context: Context | None) -> str | None:
        """The `default_bank` of the known agent making the call (`agents.<name>`), used when it names no bank."""
        principal = context.principal if context else None
        if principal is None or not principal.startswith("agent:"):
            return None
        agent = self._agents.get(principal.removeprefix("agent:"))
        return agent.default_bank if agent else None

    def check(self, context: Context | None, bank_id: str, permission: Permission) -> None:
        if not self.enabled:
            return
        if context is None or context.principal is None:
            raise AccessDenied(
                f"{permission} on bank {bank_id!r} needs a principal: pass context=Context(principal='agent:…')"
            )
        for principal in filter(None, (context.principal, context.on_behalf_of)):
            if not self.permits(principal, bank_id, permission, tenant=context.tenant, environment=context.environment):
                acting = f" ({context.principal} acting for {context.on_behalf_of})" if context.on_behalf_of else ""
                raise AccessDenied(
                    f"{principal} may not {permission} bank {bank_id!r}{acting}; add a grant under access.grants "
                    "or the agent's banks"
                )

    def readable(self, context: Context | None, bank_ids: Iterable[str]) -> list[str]:
        """The banks among `bank_ids` that the caller may read."""
        if not self.enabled:
            return list(bank_ids)
        readable = []
        for bank_id in bank_ids:
            try:
                self.check(context, bank_id, "read")
            except AccessDenied:
                continue
            readable.append(bank_id)
        return readable

    def permits(
        self,
        principal: str,
        bank_id: str,
        permission: Permission,
        *,
        tenant: str | None = None,
        environment: str | None = None,
    ) -> bool:
        return any(_grants(grant, principal, bank_id, permission, tenant, environment) for grant in self._grants)


def _grants(
    grant: Grant, principal: str, bank_id: str, permission: Permission, tenant: str | None, environment: str | None
) -> bool:
    if not fnmatchcase(principal, grant.principal):
        return False
    if grant.tenant is not None and grant.tenant != tenant:
        return False
    if grant.environment is not None and grant.environment != environment:
        return False
    if permission not in grant.permissions and "admin" not in grant.permissions:
        return False
    principal_id = principal.partition(":")[2]
    return any(
        fnmatchcase(bank_id, pattern.replace("{principal_id}", principal_id).replace("{tenant}", tenant or ""))
        for pattern in grant.banks
    )


def _agent_grant(name: str, agent: AgentConfig) -> Grant:
    banks = agent.banks + ((agent.default_bank,) if agent.default_bank else ())
    return Grant(principal=f"agent:{name}", banks=banks, permissions=agent.permissions)
