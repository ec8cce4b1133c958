"""Pure transparency-log code: RFC 9162 hashing and proofs, C2SP signed notes, checkpoints and witnesses.

Nothing in this package touches a database, the network or the web.
"""
