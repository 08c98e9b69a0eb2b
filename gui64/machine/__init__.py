"""Machine backends (no Qt): the VICE process with its binary monitor client, later the Ultimate."""

from gui64.errors import Gui64Error


class MachineError(Gui64Error):
    """Base of the machine layer's errors; str() says what happened and what to do."""
