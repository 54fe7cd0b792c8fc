#!/bin/sh
# Codex hook for SessionStart and UserPromptSubmit (needs `[features] codex_hooks = true`).
# Records codex-cli as the active runtime (session_id from stdin); prints nothing.
ORCHESTRA="${ORCHESTRA_BIN:-orchestra}"
command -v "$ORCHESTRA" >/dev/null 2>&1 || exit 0
"$ORCHESTRA" health --runtime codex-cli --hook-session --quiet >/dev/null 2>&1
exit 0
