"""The gui64 package's exception family: str() is the user's sentence, with what to do next."""


class Gui64Error(Exception):
    """Base of all gui64 errors; caught at the edge (CLI prints one line, the UI shows a message)."""
