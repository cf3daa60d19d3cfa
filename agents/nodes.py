"""Infrastructure nodes as Mesa agents: light views over one row of the network arrays.

The state lives in the arrays (:mod:`sim.network`) so that the cascade kernel can work on
all nodes at once; an agent reads and writes its own row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.network import reason_names

if TYPE_CHECKING:
    from sim.model import RippleModel


class InfrastructureNode(mesa.Agent):
    model: "RippleModel"

    def __init__(self, model: "RippleModel", index: int):
        super().__init__(model)
        self.index = index

    @property
    def node_id(self) -> str:
        return self.model.network.ids[self.index]

    @property
    def sector(self) -> str:
        net = self.model.network
        return net.sector_names[net.sector[self.index]]

    @property
    def down(self) -> int:
        return int(self.model.state.down[self.index])

    @property
    def operational(self) -> bool:
        return self.down == 0

    @property
    def on_backup(self) -> bool:
        return bool(self.model.state.backup[self.index])

    @property
    def reasons(self) -> list[str]:
        return reason_names(self.down)

    def __repr__(self) -> str:
        return f"<{self.node_id} {self.sector} {'+'.join(self.reasons) or 'up'}>"
