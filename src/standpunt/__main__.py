"""``python -m standpunt``."""

from .cli import main

main()
