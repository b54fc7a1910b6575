"""Draw many static meshes in few draw calls: one merged Geom per group and look.

A body of 330 structures drawn one node each costs a headset 330 draw calls per eye.
Structures that share a look (same group, same transparency, not selected, not moving)
are merged into one Geom instead; the scene keeps single nodes only for the few that need
their own state. A merged batch is rebuilt only when its member list changes, and a few
recent ones are kept, so undoing a hide or deselecting costs nothing.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from panda3d.core import NodePath

from scenes.meshes import merged_geom_node
from scenes.shading import Shading

KEEP_UNUSED = 24  # detached batches kept for reuse (deselect, undo)

Packed = tuple[np.ndarray, np.ndarray]  # (N, 10) vertex rows, (M, 3) faces


class Batches:
    """Merged draw batches under ``parent``, keyed by (group, alpha, members, explode)."""

    def __init__(self, parent: NodePath, shading: Shading, packed: dict[str, Packed]):
        self.root = parent.attachNewNode("batches")
        self.shading = shading
        self.packed = packed
        self._shown: dict[tuple, NodePath] = {}
        self._spare: OrderedDict[tuple, NodePath] = OrderedDict()
        self.builds = 0

    def show(
        self,
        groups: dict[tuple[str, float | None], list[str]],
        offsets: dict[str, np.ndarray] | None = None,
        offset_key: float = 0.0,
    ) -> None:
        """Draw exactly these groups: {(group, alpha or None): structure ids}."""
        wanted = {}
        for (group, alpha), ids in groups.items():
            if ids:
                wanted[(group, alpha, tuple(sorted(ids)), offset_key if offsets else 0.0)] = ids
        for key in list(self._shown):
            if key not in wanted:
                node = self._shown.pop(key)
                node.detachNode()
                self._spare[key] = node
        for key in wanted:
            if key in self._shown:
                continue
            node = self._spare.pop(key, None)
            if node is None:
                node = self._build(key, offsets)
            node.reparentTo(self.root)
            self._shown[key] = node
        while len(self._spare) > KEEP_UNUSED:
            _, node = self._spare.popitem(last=False)
            node.removeNode()

    def _build(self, key: tuple, offsets: dict[str, np.ndarray] | None) -> NodePath:
        group, alpha, ids, _ = key
        parts = [self.packed[sid] for sid in ids]
        moves = [offsets.get(sid) for sid in ids] if offsets else None
        node = NodePath(merged_geom_node(f"batch:{group}", parts, moves))
        self.shading.set_xray(node, alpha)
        self.builds += 1
        return node

    def members(self) -> set[str]:
        """Every structure a shown batch draws."""
        return {sid for key in self._shown for sid in key[2]}

    def __len__(self) -> int:
        return len(self._shown)

    def clear(self) -> None:
        for node in [*self._shown.values(), *self._spare.values()]:
            node.removeNode()
        self._shown.clear()
        self._spare.clear()
