"""pytest plugin (entry point ``pytest11: ivschat``): provides the ``local_server`` fixture."""
from .testing import local_server  # noqa: F401
