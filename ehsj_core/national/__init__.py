"""The national roll-up: the houses' verified exports, stored read-only, and the national goals across them."""
