"""``dj.Diagram``: a selection of tables of the foreign-key graph and its algebra (spec 08 §5).

A Diagram holds a copy of the connection's dependency graph (nodes ``schema.table``), the set of
nodes it shows, which of them are drawn collapsed into one node per schema, and, for the data
operations (:meth:`Diagram.cascade`, :meth:`Diagram.trace`, :meth:`Diagram.restrict`), the
restricted table of each node.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .._optional import lazy_module
from ..dependencies import master_of, node_name, split_node, topo_sort
from ..errors import DataJointError
from ..table.cascade import Cascade, check_part_integrity
from ..table.table import FreeTable
from . import data
from .output import DiagramOutput

if TYPE_CHECKING:
    import networkx as nx
else:  # networkx loads with the first diagram, not at import
    nx = lazy_module("networkx")


def _caller_context() -> dict[str, Any]:
    """The globals and locals of the first frame outside this package."""
    frame = inspect.currentframe()
    while frame is not None and frame.f_globals.get("__name__", "").startswith(__package__ or ""):
        frame = frame.f_back
    if frame is None:
        return {}
    return {**frame.f_globals, **frame.f_locals}


def _is_table(source: Any) -> bool:
    try:
        return bool(getattr(source, "is_base_table", False)) and bool(source.table_name)
    except DataJointError:
        return False


class Diagram(DiagramOutput):
    """A diagram of tables and their foreign keys.

    Parameters
    ----------
    source : a table class or instance, a ``Schema``, a module with a ``schema`` attribute
        (e.g. a ``VirtualModule``), another Diagram, or a list/tuple of these.
    context : namespace that resolves tables to class names for labels; default: the caller's
        globals and locals.

    Examples
    --------
    >>> dj.Diagram(schema)                 # every table of a schema
    >>> dj.Diagram(Session) + 1 - 1        # Session, its children, and their parents
    >>> dj.Diagram(lab) + dj.Diagram(ephys).collapse()
    """

    context: dict[str, Any]

    def __init__(self, source: Any, context: dict[str, Any] | None = None) -> None:
        if isinstance(source, Diagram):
            self.context = dict(source.context) if context is None else context
            self._copy_from(source)
            return
        self.context = _caller_context() if context is None else context
        if isinstance(source, (list, tuple)):
            if not source:
                raise DataJointError("Cannot plot Diagram for an empty sequence.")
            first = Diagram(source[0], self.context)
            for item in source[1:]:
                first = first + Diagram(item, self.context)
            self._copy_from(first)
            return
        self.source_modules: list[Any] = []
        schema = getattr(source, "schema", None) if isinstance(source, types.ModuleType) else None
        if schema is not None:
            self.source_modules.append(source)
            source = schema
        try:
            connection = source.connection
        except (AttributeError, DataJointError):
            connection = None
        if connection is None:
            raise DataJointError(f"Could not find database connection in {source!r}.")
        self.connection = connection
        deps = connection.dependencies
        if _is_table(source):
            database = source.database
            deps.load()
            deps.load([database])
            shown = {node_name(database, source.table_name)}
        elif isinstance(getattr(source, "database", None), str):
            database = source.database
            deps.load()
            deps.load([database])
            shown = {n for n in deps.graph if split_node(n)[0] == database}
        else:
            raise DataJointError(f"Cannot plot Diagram for {source!r}.")
        self.graph: nx.MultiDiGraph = deps.graph.copy()
        self.nodes_to_show: set[str] = shown
        self.collapsed: set[str] = set()
        self.restrictions: dict[str, Any] = {}
        self._seeds: list[tuple[str, Any]] = []
        self._mode: str | None = None

    def _copy_from(self, other: Diagram) -> None:
        self.connection = other.connection
        self.graph = other.graph
        self.nodes_to_show = set(other.nodes_to_show)
        self.collapsed = set(other.collapsed)
        self.restrictions = dict(other.restrictions)
        self._seeds = list(other._seeds)
        self._mode = other._mode
        self.source_modules = list(other.source_modules)

    def _copy(self) -> Diagram:
        return Diagram(self, self.context)

    @classmethod
    def from_sequence(cls, sequence: Iterable[Any]) -> Diagram:
        """The union of the diagrams of each item: ``Diagram(s[0]) + Diagram(s[1]) + …``."""
        return cls(list(sequence), _caller_context())

    # ---------------------------------------------------------------- algebra
    def _as_diagram(self, other: Any) -> Diagram:
        return other if isinstance(other, Diagram) else Diagram(other, self.context)

    def _schema_collapsed(self, node: str) -> bool:
        schema = split_node(node)[0]
        return any(split_node(n)[0] == schema for n in self.collapsed)

    def _grow(self, steps: int, upward: bool) -> Diagram:
        result = self._copy()
        for _ in range(steps):
            step = result.graph.predecessors if upward else result.graph.successors
            new = {m for n in result.nodes_to_show for m in step(n)} - result.nodes_to_show
            if not new:
                break
            result.collapsed |= {n for n in new if self._schema_collapsed(n)}
            result.nodes_to_show |= new
        return result

    def _merge_graph(self, other: Diagram) -> nx.MultiDiGraph:
        if other.graph is self.graph or other.connection is not self.connection:
            if other.connection is not self.connection:
                raise DataJointError("Diagrams of different connections cannot be combined.")
            return self.graph
        return nx.compose(self.graph, other.graph)

    def __add__(self, other: Any) -> Diagram:
        """Union with a diagram or table; ``d + n`` adds children ``n`` times."""
        if isinstance(other, int) and not isinstance(other, bool):
            return self._grow(other, upward=False) if other >= 0 else self._grow(-other, True)
        other = self._as_diagram(other)
        result = self._copy()
        result.graph = self._merge_graph(other)
        expanded = (self.nodes_to_show - self.collapsed) | (other.nodes_to_show - other.collapsed)
        result.nodes_to_show = self.nodes_to_show | other.nodes_to_show
        result.collapsed = (self.collapsed | other.collapsed) - expanded
        result.context = {**other.context, **self.context}
        result.source_modules = [*self.source_modules, *other.source_modules]
        return result

    def __sub__(self, other: Any) -> Diagram:
        """Difference with a diagram or table; ``d - n`` adds parents ``n`` times."""
        if isinstance(other, int) and not isinstance(other, bool):
            return self._grow(other, upward=True) if other >= 0 else self._grow(-other, False)
        other = self._as_diagram(other)
        result = self._copy()
        result.nodes_to_show = self.nodes_to_show - other.nodes_to_show
        result.collapsed &= result.nodes_to_show
        return result

    def __mul__(self, other: Any) -> Diagram:
        """Intersection with a diagram or table."""
        other = self._as_diagram(other)
        result = self._copy()
        result.nodes_to_show = self.nodes_to_show & other.nodes_to_show
        result.collapsed = (self.collapsed | other.collapsed) & result.nodes_to_show
        return result

    def add_parts(self) -> Diagram:
        """This diagram with every part table of every shown master."""
        result = self._copy()
        shown = self.nodes_to_show
        for node in self.graph:
            schema, table = split_node(node)
            master = master_of(table)
            if master is not None and node_name(schema, master) in shown:
                result.nodes_to_show.add(node)
                if self._schema_collapsed(node):
                    result.collapsed.add(node)
        return result

    def collapse(self) -> Diagram:
        """This diagram with every shown table drawn inside one node per schema."""
        result = self._copy()
        result.collapsed = set(self.nodes_to_show)
        return result

    def topo_sort(self) -> list[str]:
        """Every node of the graph in dependency order (parts right after their masters)."""
        return topo_sort(self.graph)

    def _shown_in_order(self) -> list[str]:
        return topo_sort(self.graph, list(self.nodes_to_show))

    def __iter__(self) -> Iterator[FreeTable]:
        """The shown tables as FreeTables, in dependency order."""
        for node in self._shown_in_order():
            yield FreeTable(self.connection, node)

    def __reversed__(self) -> Iterator[FreeTable]:
        for node in reversed(self._shown_in_order()):
            yield FreeTable(self.connection, node)

    def __len__(self) -> int:
        return len(self.nodes_to_show)

    def __repr__(self) -> str:
        names = ", ".join(self._shown_in_order())
        return f"Diagram of {len(self.nodes_to_show)} tables: {names}"

    # ---------------------------------------------------------------- data operations
    @classmethod
    def cascade(cls, expression: Any, part_integrity: str = "enforce") -> Diagram:
        """The tables and rows that ``expression.delete(part_integrity=…)`` would delete.

        The diagram shows the seed and every table whose rows depend on the seed's rows;
        ``d[Table]`` is the restricted table and :meth:`counts` the rows per table.
        """
        check_part_integrity(part_integrity)
        built = Cascade(expression, part_integrity)
        result = cls(expression, _caller_context())
        result.graph = built.dependencies.graph.copy()
        result.nodes_to_show = set(built.order)
        result.restrictions = dict(built.restricted)
        result._mode = "cascade"
        return result

    @classmethod
    def trace(cls, expression: Any) -> Diagram:
        """The rows of every ancestor table that the rows of ``expression`` depend on."""
        result = cls(expression, _caller_context())
        deps = result.connection.dependencies
        deps.load_upstream([expression.database])
        result.graph = deps.graph.copy()
        result.restrictions = data.trace(result.graph, expression)
        result.nodes_to_show = set(result.restrictions)
        result._mode = "trace"
        return result

    def restrict(self, expression: Any) -> Diagram:
        """Restrict a table of the diagram and, through foreign keys, its shown descendants.

        A descendant keeps the rows that reference kept rows of *every* restricted parent
        (all paths must agree), e.g. to select a consistent subset of a pipeline for export.
        Successive restrictions combine.
        """
        if self._mode in ("cascade", "trace"):
            raise DataJointError(
                f"A {self._mode} diagram cannot be restricted further: restrict the expression "
                "given to Diagram." + self._mode + "() instead."
            )
        if not _is_table(expression):
            raise DataJointError(
                "Diagram.restrict needs a table or a restricted table, e.g. Session & key."
            )
        node = node_name(expression.database, expression.table_name)
        if node not in self.nodes_to_show:
            raise DataJointError(f"Table {node} is not shown in the diagram.")
        result = self._copy()
        result._seeds = [*self._seeds, (node, expression)]
        result._mode = "restrict"
        result.restrictions = data.restrict(
            result.graph, self.nodes_to_show, result._seeds, self._free
        )
        return result

    def _free(self, node: str) -> FreeTable:
        return FreeTable(self.connection, node)

    def _node_of(self, table: Any) -> str:
        if isinstance(table, str):
            schema_table = table.replace("`", "").replace('"', "")
            return schema_table
        if _is_table(table):
            return node_name(table.database, table.table_name)
        raise DataJointError(f"{table!r} is not a table.")

    def __getitem__(self, table: Any) -> Any:
        """The (restricted) rows of ``table`` in this diagram."""
        node = self._node_of(table)
        if node not in self.nodes_to_show:
            raise DataJointError(f"Table {node} is not shown in the diagram.")
        restricted = self.restrictions.get(node)
        return self._free(node) if restricted is None else restricted

    def counts(self) -> dict[str, int]:
        """``{full_table_name: rows}`` of every shown table (restricted ones as restricted)."""
        adapter = self.connection.adapter
        return {
            adapter.table_ref(*split_node(node)): len(self[node]) for node in self._shown_in_order()
        }

    def prune(self) -> Diagram:
        """This diagram without the tables that have no (restricted) rows."""
        result = self._copy()
        empty = {n for n in self.nodes_to_show if not self[n]}
        result.nodes_to_show -= empty
        result.collapsed -= empty
        return result
