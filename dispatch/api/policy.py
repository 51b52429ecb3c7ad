"""The access policy: for every endpoint (method and path template), the roles allowed.

:data:`RULES` is the single source of truth; :func:`policy` adds the endpoints whose
access is a setting (``/metrics``, ``/docs``, ``/openapi.json``), and
:func:`markdown_table` writes the README's table from it. An endpoint without a rule is
refused to everyone (deny by default), and the authorization-matrix test fails on it.
A driver is allowed an endpoint only for its own vehicle (a ``{vehicle_id}`` in the
path) or the trips assigned to it (a ``{trip_id}``): :mod:`.authorization` checks that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .identity import Role, parse_role
from .settings import ServiceSettings

ADMIN, DISPATCHER, DRIVER, ANALYST = Role.ADMIN, Role.DISPATCHER, Role.DRIVER, Role.ANALYST


@dataclass(frozen=True)
class Rule:
    """Who may call an endpoint: anyone (``public``), the ``roles`` listed, or nobody (an
    empty set: the endpoint is off). ``setting`` names the variable that decides it."""

    roles: frozenset[Role] = frozenset()
    public: bool = False
    setting: str | None = None


def _roles(*roles: Role) -> Rule:
    return Rule(frozenset(roles))


Endpoint = tuple[str, str]

RULES: Mapping[Endpoint, Rule] = {
    ("GET", "/health"): Rule(public=True),
    # stateless answers: no patient data is stored or returned
    ("POST", "/v1/eta"): _roles(ADMIN, DISPATCHER, ANALYST),
    ("POST", "/v1/route"): _roles(ADMIN, DISPATCHER, ANALYST),
    ("POST", "/v1/match"): _roles(ADMIN, DISPATCHER, ANALYST),
    ("POST", "/v1/schedule"): _roles(ADMIN, DISPATCHER, ANALYST),
    # trips: patient data
    ("POST", "/v1/trips"): _roles(ADMIN, DISPATCHER),
    ("GET", "/v1/trips/{trip_id}"): _roles(ADMIN, DISPATCHER),
    ("DELETE", "/v1/trips/{trip_id}"): _roles(ADMIN, DISPATCHER),
    ("POST", "/v1/trips/{trip_id}/events"): _roles(ADMIN, DISPATCHER, DRIVER),
    ("POST", "/v1/trips/{trip_id}/will-call"): _roles(ADMIN, DISPATCHER),
    # the fleet
    ("PUT", "/v1/vehicles/{vehicle_id}"): _roles(ADMIN),
    ("GET", "/v1/vehicles/{vehicle_id}"): _roles(ADMIN, DISPATCHER, DRIVER),
    ("DELETE", "/v1/vehicles/{vehicle_id}"): _roles(ADMIN),
    ("POST", "/v1/vehicles/{vehicle_id}/position"): _roles(ADMIN, DISPATCHER, DRIVER),
    ("GET", "/v1/vehicles/{vehicle_id}/manifest"): _roles(ADMIN, DISPATCHER, DRIVER),
    # the plan: patient data
    ("POST", "/v1/plan"): _roles(ADMIN, DISPATCHER),
    ("GET", "/v1/plan"): _roles(ADMIN, DISPATCHER),
    # the model
    ("GET", "/v1/model"): _roles(ADMIN, DISPATCHER, ANALYST),
    ("POST", "/v1/model/retrain"): _roles(ADMIN),
    # who wrote or read patient data
    ("GET", "/v1/audit"): _roles(ADMIN),
    ("POST", "/v1/model/rollback"): _roles(ADMIN),
}

OFF, PUBLIC = "off", "public"


def access_rule(value: str, setting: str) -> Rule:
    """The rule of a setting's value: ``off``, ``public`` or comma-separated roles."""
    text = value.strip().lower()
    if text == OFF:
        return Rule(setting=setting)
    if text == PUBLIC:
        return Rule(public=True, setting=setting)
    try:
        roles = frozenset(parse_role(name.strip()) for name in text.split(","))
    except ValueError as exc:
        msg = f"{setting} must be {OFF}, {PUBLIC} or a list of roles: {exc}"
        raise ValueError(msg) from None
    return Rule(roles, setting=setting)


def policy(settings: ServiceSettings) -> dict[Endpoint, Rule]:
    """Every endpoint's rule: :data:`RULES` and the operational endpoints' settings."""
    docs = access_rule(settings.docs, "DISPATCH_DOCS")
    return {
        **RULES,
        ("GET", "/metrics"): access_rule(settings.metrics, "DISPATCH_METRICS"),
        ("GET", "/openapi.json"): docs,
        ("GET", "/docs"): docs,
    }


def _cell(rule: Rule, role: Role) -> str:
    if rule.public:
        return "yes"
    if role not in rule.roles:
        return ""
    return "own" if role is DRIVER else "yes"


def markdown_table(settings: ServiceSettings | None = None) -> str:
    """The README's table of endpoints and roles (with the default settings)."""
    rules = policy(settings or ServiceSettings())
    head = ["endpoint", *Role, "no credential"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (method, path), rule in rules.items():
        cells = [_cell(rule, role) for role in Role]
        note = f" (`{rule.setting}`)" if rule.setting else ""
        anyone = "yes" if rule.public else ""
        lines.append(f"| `{method} {path}`{note} | " + " | ".join([*cells, anyone]) + " |")
    return "\n".join(lines) + "\n"
