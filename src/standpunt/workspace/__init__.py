"""The workspace: its files, read with their locations, their schema, a position's texts."""
