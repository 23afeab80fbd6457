"""SharePoint's built-in role definitions (permission levels), the same in every tenant.

Ids from SharePoint's role definitions (``_api/web/roledefinitions``); RoleTypeKind from the
CSOM ``RoleType`` enumeration. The loader resolves them by name at run time (``getbyname``),
as Microsoft's REST sample does; the emulator serves exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    id: int
    kind: int
    order: int


FULL_CONTROL = RoleDefinition("Full Control", 1073741829, 5, 1)
DESIGN = RoleDefinition("Design", 1073741828, 4, 32)
EDIT = RoleDefinition("Edit", 1073741830, 6, 48)
CONTRIBUTE = RoleDefinition("Contribute", 1073741827, 3, 64)
READ = RoleDefinition("Read", 1073741826, 2, 128)
LIMITED_ACCESS = RoleDefinition("Limited Access", 1073741825, 1, 160)
BUILT_IN_ROLES = (FULL_CONTROL, DESIGN, EDIT, CONTRIBUTE, READ, LIMITED_ACCESS)
ROLES_BY_NAME = {role.name.casefold(): role for role in BUILT_IN_ROLES}

#: Principal types (SP.PrincipalType).
PRINCIPAL_USER = 1
PRINCIPAL_SECURITY_GROUP = 4
PRINCIPAL_SHAREPOINT_GROUP = 8
