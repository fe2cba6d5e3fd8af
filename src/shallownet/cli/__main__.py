"""``python -m shallownet.cli``."""

from . import main

main()
