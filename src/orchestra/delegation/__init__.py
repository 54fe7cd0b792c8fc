"""Delegation: spawn requests, guardrails, sessions and their lifecycle, child prompts."""
