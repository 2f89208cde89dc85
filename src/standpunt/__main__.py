"""``python -m standpunt``."""

from standpunt.cli import main

if __name__ == "__main__":
    main()
