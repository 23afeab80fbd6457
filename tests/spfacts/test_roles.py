"""SharePoint's built-in role definitions: found by name as the loader asks for them."""

from __future__ import annotations

from notesmig.spfacts.roles import (
    BUILT_IN_ROLES,
    CONTRIBUTE,
    FULL_CONTROL,
    LIMITED_ACCESS,
    PRINCIPAL_SECURITY_GROUP,
    PRINCIPAL_SHAREPOINT_GROUP,
    PRINCIPAL_USER,
    READ,
    ROLES_BY_NAME,
)


def test_roles_are_found_by_name_whatever_its_case() -> None:
    assert ROLES_BY_NAME["full control"] is FULL_CONTROL
    assert ROLES_BY_NAME["Contribute".casefold()] is CONTRIBUTE
    assert {ROLES_BY_NAME[r.name.upper().casefold()] for r in BUILT_IN_ROLES} == set(BUILT_IN_ROLES)
    assert len(ROLES_BY_NAME) == len(BUILT_IN_ROLES) == 6


def test_ids_kinds_and_order_are_sharepoints() -> None:
    # Every built-in role definition's id is 0x40000000 plus its RoleTypeKind.
    assert all(role.id == 0x4000_0000 + role.kind for role in BUILT_IN_ROLES)
    assert (READ.id, READ.kind) == (1073741826, 2)
    orders = [role.order for role in BUILT_IN_ROLES]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert BUILT_IN_ROLES[0] is FULL_CONTROL and BUILT_IN_ROLES[-1] is LIMITED_ACCESS


def test_principal_types_are_distinct_flags() -> None:
    types = (PRINCIPAL_USER, PRINCIPAL_SECURITY_GROUP, PRINCIPAL_SHAREPOINT_GROUP)
    assert types == (1, 4, 8)
    assert all(t & (t - 1) == 0 for t in types)  # SP.PrincipalType is a flags enumeration
