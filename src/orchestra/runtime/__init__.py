"""Runtime ids and adapters, the active-runtime record, inference, health and hook installation.

This package's ``__init__`` imports nothing: the per-prompt hook path
(``orchestra health``) imports only the stdlib-only modules it needs
(:mod:`.adapters`, :mod:`.record`, :mod:`.inference`, :mod:`.health`).
"""
