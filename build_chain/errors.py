"""The build chain's exception family: every message says what went wrong and what to do."""


class BuildChainError(Exception):
    """Base of all build-chain errors; str() is the user's one-line sentence."""


class ExportError(BuildChainError):
    """A model file could not be read or exported."""


class ToolchainError(BuildChainError):
    """An external build tool (cl65, ca65, ld65) is missing or failed."""
