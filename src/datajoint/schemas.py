"""``datajoint.schemas``: schemas and virtual modules under the import path existing code uses."""

from .schema import Schema, VirtualModule, list_schemas, virtual_schema

__all__ = ["Schema", "VirtualModule", "list_schemas", "virtual_schema"]
