"""``orchestra init --target …``: register the MCP server and install hooks and rules per runtime.

Planning reads every file and computes its new bytes without writing; applying writes
only what changed (backups first, then atomic replaces). Nothing here is on the hook path.
"""
