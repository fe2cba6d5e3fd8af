"""``python -m shallownet.cli``."""

from .app import main

main()
