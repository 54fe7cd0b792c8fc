"""The workspace: its root, the ``.agent-workflow/`` layout, config and path guards."""
