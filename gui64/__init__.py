"""gui64: run a Llama2 model on a Commodore 64 with a live desktop front end."""

__version__ = "0.1.0"
