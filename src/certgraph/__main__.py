"""``python -m certgraph``: the command line, as the ``certgraph`` script runs it."""

from .cli import cli

if __name__ == "__main__":
    cli(prog_name="certgraph")
