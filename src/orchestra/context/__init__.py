"""The runtime context preprocessor: bounded, deterministic, guarded context bundles."""
