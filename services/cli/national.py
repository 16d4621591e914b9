"""`ehsj national …`: the national roll-up of the houses' exports (issue 14).

The group only; its commands live in two modules: `national_rollup` (add an export, read the roll-up)
and `national_transfer` (this house sending its export; the national installation's upload tokens).
"""

from __future__ import annotations

from services.cli import national_rollup, national_transfer
from services.cli.shell import new_app

app = new_app("Den nationale opgørelse: husenes eksporter, kontrolleret og samlet for de nationale mål.")
national_rollup.register(app)
national_transfer.register(app)
