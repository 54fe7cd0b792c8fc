#!/bin/sh
# Claude Code hook for SessionStart and UserPromptSubmit.
# Records claude-cli as the active runtime (session id from the hook JSON on stdin) and
# prints one line of workspace context, which Claude Code adds to the prompt.
# Never breaks the prompt: no orchestra on PATH (or $ORCHESTRA_BIN) -> silent exit 0.
ORCHESTRA="${ORCHESTRA_BIN:-orchestra}"
command -v "$ORCHESTRA" >/dev/null 2>&1 || exit 0
"$ORCHESTRA" health --runtime claude-cli --hook-session 2>/dev/null
exit 0
