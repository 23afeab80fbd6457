"""Mappings: which Notes form becomes which SharePoint list, which item which column."""

from notesmig.mapping.loader import MappingError, load_mapping, load_mappings
from notesmig.mapping.model import ColumnType, FormMapping, ItemMapping, Mapping, UserPolicy

__all__ = [
    "ColumnType",
    "FormMapping",
    "ItemMapping",
    "Mapping",
    "MappingError",
    "UserPolicy",
    "load_mapping",
    "load_mappings",
]
