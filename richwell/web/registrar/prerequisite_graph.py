"""Server-side layout of a program's prerequisite graph, drawn as SVG by the template.

One column per curriculum semester (year 1 1st semester, year 1 2nd semester, …), one
box per subject, a curve from each prerequisite to the subject that requires it.
"""
from __future__ import annotations

from dataclasses import dataclass

from richwell.services.academics import Curriculum

COL_WIDTH, NODE_WIDTH, NODE_HEIGHT, ROW_HEIGHT = 150, 104, 26, 36
PAD, HEADER = 12, 44


@dataclass
class Node:
    id: int
    code: str
    title: str
    units: int
    is_major: bool
    x: float
    y: float

    @property
    def label(self) -> str:
        return f"{self.code} {self.title} ({self.units} units)"


@dataclass
class Edge:
    path: str
    label: str


@dataclass
class Column:
    label: str
    sublabel: str
    x: float


@dataclass
class Graph:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    columns: list[Column]
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT


def layout(view: Curriculum) -> Graph:
    columns: list[Column] = []
    nodes: dict[int, Node] = {}
    rows = 0
    for year in view.years:
        for semester in year.semesters:
            if not semester.subjects:
                continue
            x = PAD + len(columns) * COL_WIDTH
            columns.append(Column(f"Year {year.year}", semester.label, x))
            for row, item in enumerate(semester.subjects):
                s = item.subject
                nodes[s.id] = Node(s.id, s.code, s.title, s.units, s.is_major, x, HEADER + row * ROW_HEIGHT)
            rows = max(rows, len(semester.subjects))
    edges = []
    for subject_id, prerequisite_id in view.links:
        src, dst = nodes[prerequisite_id], nodes[subject_id]
        x1, y1 = src.x + NODE_WIDTH, src.y + NODE_HEIGHT / 2
        x2, y2 = dst.x, dst.y + NODE_HEIGHT / 2
        bend = max(abs(x2 - x1) / 2, 24)
        edges.append(Edge(f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}",
                          f"{dst.code} requires {src.code}"))
    width = PAD * 2 + max(len(columns), 1) * COL_WIDTH - (COL_WIDTH - NODE_WIDTH)
    height = HEADER + max(rows, 1) * ROW_HEIGHT + PAD
    return Graph(width, height, list(nodes.values()), edges, columns)
