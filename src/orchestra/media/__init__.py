"""Transcription requests for task evidence: source policy, media preflight and a local engine.

Nothing here imports PyAV or an engine at import time: the probe runs in a worker process and
the engine package is imported only when a transcript is produced.
"""
