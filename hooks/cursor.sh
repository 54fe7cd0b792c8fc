#!/bin/sh
# Cursor hook: `cursor.sh sessionStart` or `cursor.sh beforeSubmitPrompt`.
# Records cursor-cli as the active runtime (conversation_id from stdin), prints nothing of
# its own, and always answers with the JSON Cursor expects:
#   beforeSubmitPrompt -> {"continue":true}    sessionStart -> {}
ORCHESTRA="${ORCHESTRA_BIN:-orchestra}"
if command -v "$ORCHESTRA" >/dev/null 2>&1; then
  "$ORCHESTRA" health --runtime cursor-cli --hook-session --quiet >/dev/null 2>&1
fi
case "${1:-beforeSubmitPrompt}" in
  beforeSubmitPrompt) echo '{"continue":true}' ;;
  *) echo '{}' ;;
esac
exit 0
