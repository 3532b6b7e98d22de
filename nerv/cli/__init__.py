"""The command-line layer: parse, call one service, render. Nothing here speaks SQL."""
