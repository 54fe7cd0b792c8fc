"""Tool policy: decide allow/ask/deny for one tool call an agent is about to make (issue 20).

Pure functions over plain data, standard library only, so the pre-tool-use hook
(``orchestra hook pre-tool``) can import them in a few milliseconds and the CLI
(``orchestra policy test``) uses the very same code. Nothing here reads the store.

* :mod:`.config`: the ``security.toolPolicy`` section, validated by hand (pydantic mirrors it);
* :mod:`.packet`: a host's tool call → the seed's operation packet (kind, subject, action, resource, sink, payload);
* :mod:`.data`: restricted data (secrets, cards, national ids, IBANs, e-mail addresses) with ``re`` only;
* :mod:`.shell`: what a shell command does (network sinks, files it writes, execution risks);
* :mod:`.decide`: the decision.
"""
