"""Personal data in the log: sealed with a key per data subject, erased by deleting the key.

`sealing.py` (pure) says which fields are personal and whose they are, seals them at append time and
opens them on read; `keys.py` keeps the subjects and their keys (`subject_keys`); `forget.py` is
`ehsj privacy forget`: crypto-shredding, after which the sealed fields read "slettet" everywhere
while the chain, the counts and every figure stay as they were.
"""
