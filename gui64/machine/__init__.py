"""Machine backends (no Qt): VICE (process + binary monitor) and the Ultimate (REST + DMA), behind backend.Backend."""

from gui64.errors import Gui64Error


class MachineError(Gui64Error):
    """Base of the machine layer's errors; str() says what happened and what to do."""
