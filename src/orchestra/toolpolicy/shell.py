"""What a shell command does, as far as the tool policy cares: network sinks, files it writes or uploads,
and execution risks. Standard library only; a best-effort reading of POSIX shell, never an interpreter.
"""

from __future__ import annotations

import re

NET_TOOLS = frozenset({"curl", "wget", "nc", "ncat", "netcat", "ssh", "scp", "sftp", "telnet", "ftp", "socat",
                       "http", "https", "xh", "aria2c", "lftp", "rsync", "mosh", "sendmail", "mail", "mutt"})
GIT_NET = frozenset({"push", "send-email", "fetch", "pull", "clone", "ls-remote"})
WRAPPERS = frozenset({"sudo", "env", "time", "nohup", "nice", "command", "exec", "builtin", "xargs", "doas",
                      "timeout", "stdbuf"})
SHELLS = r"(?:ba|z|da|k|fi)?sh"
_SEPARATORS = frozenset({"|", "||", "&&", ";", "&", "(", ")", "\n", ";;", "|&"})
_REDIRECT_OUT = frozenset({">", ">>", "&>", "&>>", ">|"})
_URL = re.compile(r"(?i)\b(?:https?|ftp|wss?)://")
_INLINE_HINT = re.compile(r"\s-[a-zA-Z]*[ce]\b")
_REMOTE_HINTS = ("curl", "wget", "fetch", "iex", "invoke-expression")
_SOURCES: dict[str, tuple[str, int]] = {"inline": (
    r"\b(?:python[0-9.]*|node|deno|bun|ruby|perl|php)\b[^|;&]*?\s-[a-zA-Z]*[ce]\b.*?"
    r"(?:requests\.|urllib|http\.client|httpx|aiohttp|socket\.|smtplib|ftplib|fetch\(|axios|Net::HTTP|LWP|"
    r"open-uri|curl_exec|file_get_contents\(\s*[\"']https?)", re.DOTALL), "remote": (
    rf"(?:\b(?:curl|wget|fetch)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+\S+=\S+\s+)*{SHELLS}\b"
    rf"|\b{SHELLS}\s+<\(\s*(?:curl|wget)\b|\b{SHELLS}\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"
    rf"|\b(?:iex|Invoke-Expression)\b.*\b(?:iwr|Invoke-WebRequest|DownloadString)\b)", 0)}
_PIECE_SOURCE = r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|([^'"\\]+)"""
_DQ_SOURCE = r'\\([\\"$`])'


def _pattern(name: str) -> re.Pattern[str]:
    """The larger patterns, compiled on first use (most calls never need them; ``re`` keeps them compiled)."""
    source, flags = _PATTERNS[name]
    return re.compile(source, flags)


_SECRET_FILE = (
    r"(?:^|/)(?:\.env(?:\.(?!example\b|sample\b|template\b|dist\b)[\w.-]+)?|\.netrc|\.pypirc|\.npmrc"
    r"|\.git-credentials|id_(?:rsa|dsa|ecdsa|ed25519)|credentials(?:\.json)?|[\w.-]+\.pem|[\w.-]+\.p12"
    r"|[\w.-]+\.key|kube/config|docker/config\.json|workspace\.key|state\.db(?:-wal|-shm)?|shadow)$")

OPERATOR_COMMANDS = {"approve": None, "fragments": ("restore", "grant", "shred"), "keys": ("rotate",),
                     "token": ("create", "revoke")}
"""The CLI's person-only commands (an agent must never approve or authorise its own request)."""
_CLI_OPTIONS_WITH_VALUE = frozenset({"--workspace", "--data-dir"})
_OPERATOR = (
    r"\borchestra\.cli\b.{0,2000}?[\[(,]\s*['\"](approve|fragments['\"],\s*['\"](?:restore|grant|shred)"
    r"|keys['\"],\s*['\"]rotate|token['\"],\s*['\"](?:create|revoke))['\"]")
"""The same commands run in-process: ``python -c "from orchestra.cli… main(['approve', …])"``."""
_PATTERNS: dict[str, tuple[str, int]] = {**_SOURCES, "piece": (_PIECE_SOURCE, re.DOTALL), "dq": (_DQ_SOURCE, 0),
                                         "secret-file": (_SECRET_FILE, 0), "operator": (_OPERATOR, re.IGNORECASE)}

_PUBLISH = (("npm", "publish"), ("yarn", "publish"), ("pnpm", "publish"), ("twine", "upload"), ("cargo", "publish"),
            ("gem", "push"), ("poetry", "publish"), ("uv", "publish"), ("flit", "publish"), ("docker", "push"),
            ("podman", "push"), ("helm", "push"), ("mvn", "deploy"), ("gradle", "publish"), ("hatch", "publish"),
            ("dotnet", "nuget"), ("vsce", "publish"), ("gh", "release"))


class ShellFacts:
    """The result of :func:`analyse`."""

    __slots__ = ("network", "programs", "risks", "uploads", "words", "writes")

    def __init__(self) -> None:
        self.words: list[str] = []
        """The command's shell words (``--opt=value`` options as their value)."""
        self.network = False
        """Some part of the command sends data off the machine."""
        self.programs: list[str] = []
        self.writes: list[str] = []
        """Paths the command writes, moves, creates or removes (as written, not resolved)."""
        self.uploads: list[str] = []
        """Secret-looking files the command sends to a network sink."""
        self.risks: list[tuple[str, str]] = []
        """``(action, label)`` pairs: ``destructive``, ``forcePush``, ``publish``, ``remoteScript``."""


_TOKEN = re.compile(
    r"""[ \t\r]*(?:(\|\||&&|;;|\|&|&>>|&>|>>|>\||>&|<&|[|&;()<>\n])"""
    r"""|((?:[^\s'"\\|&;()<>]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+))""", re.DOTALL)


def is_secret_file(path: str) -> bool:
    """Whether ``path`` names a credential store (``.env``, ``~/.ssh/id_*``, ``~/.aws/credentials``, keys…)."""
    return _pattern("secret-file").search(path) is not None


def tokenize(command: str) -> list[str]:
    """Shell words (quotes removed) and operators (``|``, ``;``, ``>``, …), like ``shlex`` with
    ``punctuation_chars`` but one regular expression; the rest of a line with an unbalanced quote is split
    on whitespace."""
    text = command.replace("\\\n", " ")
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:].strip()
            out.extend(rest.replace("'", " ").replace('"', " ").split())
            break
        pos = match.end()
        if match.group(1) is not None:
            out.append(match.group(1))
        elif match.group(2) is not None:
            out.append(_unquote(match.group(2)))
    return out


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    parts = []
    for piece in _pattern("piece").finditer(word):
        single, double, escaped, plain = piece.groups()
        if single is not None:
            parts.append(single)
        elif double is not None:
            parts.append(_pattern("dq").sub(r"\1", double) if "\\" in double else double)
        elif escaped is not None:
            parts.append(escaped)
        else:
            parts.append(plain)
    return "".join(parts)


def segments(words: list[str]) -> list[list[str]]:
    """Simple commands, split at control operators; redirections stay in their segment."""
    out: list[list[str]] = [[]]
    for word in words:
        if word in _SEPARATORS or (len(word) > 1 and set(word) <= {"|", "&", ";", "(", ")"}):
            out.append([word])  # the operator starts the next segment (pipes are visible to callers)
            out.append([])
        else:
            out[-1].append(word)
    return [seg for seg in out if seg]


def program(seg: list[str]) -> tuple[str, list[str]]:
    """The program of a simple command (past ``VAR=x``, ``sudo``, ``env``…) and its arguments."""
    index = 0
    while index < len(seg):
        word = seg[index]
        if "=" in word and not word.startswith(("-", "=")) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word):
            index += 1
            continue
        base = word.rsplit("/", 1)[-1]
        if base in WRAPPERS:
            index += 1
            while index < len(seg) and seg[index].startswith("-"):
                index += 1
            if base == "timeout" and index < len(seg) and seg[index][:1].isdigit():
                index += 1
            continue
        rest = seg[index + 1:]
        if base.startswith("python") and len(rest) >= 2 and rest[0] == "-m":
            return rest[1], rest[2:]  # python -m twine … is twine
        return base, rest
    return "", []


def analyse(command: str, *, depth: int = 0) -> ShellFacts:
    """Read ``command``: network sinks, written paths, uploads of secret files, execution risks. A script
    given to a shell with ``-c`` (``bash -c '…'``) is read as well, two levels deep."""
    facts = ShellFacts()
    words = tokenize(command[:65_536])
    facts.words = [w.split("=", 1)[1] if w.startswith("--") and "=" in w else w for w in words]
    segs = segments(words)
    net_after_pipe = False
    reads_secret: list[str] = []
    for position, seg in enumerate(segs):
        if len(seg) == 1 and seg[0] in _SEPARATORS | {"|&"}:
            continue
        name, args = program(seg)
        facts.programs.append(name)
        is_net = _is_network(name, args)
        piped_in = position >= 1 and segs[position - 1] in (["|"], ["|&"])
        if is_net:
            facts.network = True
            if piped_in and reads_secret:
                facts.uploads.extend(reads_secret)
            facts.uploads.extend(_uploaded(name, args))
            net_after_pipe = net_after_pipe or piped_in
        if name in ("cat", "base64", "xxd", "gzip", "tar", "zip", "openssl", "head", "tail", "gpg"):
            reads_secret = [a for a in args if not a.startswith("-") and is_secret_file(a)]
        elif not piped_in:
            reads_secret = []
        facts.writes.extend(_written(name, args))
        _risks(name, args, facts)
        if name == "orchestra" or name.startswith("orchestra."):
            _operator_command(args, facts)
        if depth < 2 and _SHELL_NAME.fullmatch(name):
            script = next((args[i + 1] for i, a in enumerate(args[:-1]) if _C_FLAG.fullmatch(a)), None)
            if script is not None:
                _merge(facts, analyse(script, depth=depth + 1))
    if ("://" in command and _URL.search(command)) or "/dev/tcp/" in command or "/dev/udp/" in command or (
            _INLINE_HINT.search(command) and _pattern("inline").search(command)):
        facts.network = True
    lowered = command.lower()
    if "orchestra.cli" in command:
        operator = _pattern("operator").search(command)
        if operator is not None:
            words = operator.group(1).replace("'", " ").replace('"', " ").replace(",", " ").split()
            facts.risks.append(("operatorCommand", "orchestra " + " ".join(words)))
    if any(hint in lowered for hint in _REMOTE_HINTS) and _pattern("remote").search(command):
        facts.risks.append(("remoteScript", "a downloaded script piped into a shell"))
    return facts


def _is_network(name: str, args: list[str]) -> bool:
    if name in NET_TOOLS:
        if name == "rsync":
            return any(":" in a and not a.startswith("-") for a in args)
        return True
    if name == "git":
        sub = next((a for a in args if not a.startswith("-")), "")
        return sub in GIT_NET
    return False


def _uploaded(name: str, args: list[str]) -> list[str]:
    """Secret-looking files a network command sends (``-d @f``, ``-F x=@f``, ``-T f``, ``< f``, scp sources)."""
    out: list[str] = []
    for index, arg in enumerate(args):
        previous = args[index - 1] if index else ""
        candidate = None
        if "@" in arg and (arg.startswith("@") or "=@" in arg):
            candidate = arg.split("@", 1)[1].split(";", 1)[0]
        elif previous in ("-T", "--upload-file", "<", "--post-file", "--body-file"):
            candidate = arg
        elif arg.startswith("--post-file=") or arg.startswith("--upload-file="):
            candidate = arg.split("=", 1)[1]
        elif name in ("scp", "rsync", "sftp") and not arg.startswith("-") and index < len(args) - 1 and \
                previous not in ("-i", "-P", "-p", "-o", "-F", "-e"):
            candidate = arg
        if candidate and is_secret_file(candidate.rstrip("/")):
            out.append(candidate)
    return out


def _written(name: str, args: list[str]) -> list[str]:
    """Paths written by one simple command (redirections included)."""
    out: list[str] = []
    plain: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in _REDIRECT_OUT:
            if index + 1 < len(args) and not args[index + 1].startswith("&"):
                out.append(args[index + 1])
            skip = True
            continue
        if arg in ("<", "<<", "<<<", ">&", "<&"):
            skip = True
            continue
        plain.append(arg)
    operands = [a for a in plain if not a.startswith("-") and not (a.isdigit() and len(a) == 1)]
    if name in ("tee", "touch", "mkdir", "rm", "rmdir", "truncate", "shred", "unlink"):
        out.extend(operands)
    elif name in ("chmod", "chown", "chgrp") and len(operands) > 1:
        out.extend(operands[1:])
    elif name in ("cp", "mv", "ln", "install") and len(operands) > 1:
        out.append(operands[-1])
        if name == "mv":
            out.extend(operands[:-1])
    elif name == "sed" and any(a == "-i" or a.startswith(("-i", "--in-place")) for a in plain) and len(operands) > 1:
        out.extend(operands[1:])
    elif name == "dd":
        out.extend(a[3:] for a in plain if a.startswith("of="))
    return [p for p in out if p and p not in ("/dev/null", "/dev/stdout", "/dev/stderr")]


_SHELL_NAME = re.compile(SHELLS)
_C_FLAG = re.compile(r"-[a-zA-Z]*c[a-zA-Z]*")


def _merge(facts: ShellFacts, inner: ShellFacts) -> None:
    facts.network = facts.network or inner.network
    facts.programs.extend(inner.programs)
    facts.writes.extend(inner.writes)
    facts.uploads.extend(inner.uploads)
    facts.risks.extend(risk for risk in inner.risks if risk not in facts.risks)


def _operator_command(args: list[str], facts: ShellFacts) -> None:
    """``orchestra [--workspace W] approve …`` and the other person-only commands."""
    operands: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _CLI_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            operands.append(arg)
    if not operands or operands[0] not in OPERATOR_COMMANDS:
        return
    subs = OPERATOR_COMMANDS[operands[0]]
    if subs is None:
        facts.risks.append(("operatorCommand", f"orchestra {operands[0]}"))
    elif len(operands) > 1 and operands[1] in subs:
        facts.risks.append(("operatorCommand", f"orchestra {operands[0]} {operands[1]}"))


def _risks(name: str, args: list[str], facts: ShellFacts) -> None:
    flags = "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("--"))
    longs = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    operands = [a for a in args if not a.startswith("-")]
    if name == "rm" and ("r" in flags.lower() or "--recursive" in longs or "f" in flags or "--force" in longs):
        facts.risks.extend(("destructive:path", p) for p in operands)
        if "--no-preserve-root" in longs:
            facts.risks.append(("destructive", "rm --no-preserve-root"))
    elif name in ("chmod", "chown") and ("R" in flags or "--recursive" in longs) and operands:
        targets = operands[1:]
        if name == "chmod" and operands[0] in ("777", "a+rwx", "0777", "ugo+rwx"):
            facts.risks.extend(("destructive:path", p) for p in targets)
        elif any(t in ("/", "/*", "~", "$HOME") for t in targets):
            facts.risks.append(("destructive", f"{name} -R on a system folder"))
    elif name == "dd" and any(a.startswith("of=/dev/") and not a.startswith(("of=/dev/null", "of=/dev/std"))
                              for a in args):
        facts.risks.append(("destructive", "dd onto a device"))
    elif name.startswith("mkfs") or name in ("wipefs", "fdisk", "parted") or (name == "shred" and any(
            o.startswith("/dev/") for o in operands)):
        facts.risks.append(("destructive", f"{name} on a device"))
    elif name == "find" and ("-delete" in args or ("-exec" in args and "rm" in args)) and operands[:1] and \
            operands[0] in ("/", "~", "$HOME", "/*"):
        facts.risks.append(("destructive", "find -delete from a system folder"))
    elif name == "git" and operands[:1] == ["push"] and (
            "f" in flags or longs & {"--force", "--force-with-lease", "--mirror", "--force-if-includes"}
            or any(o.startswith("+") for o in operands[1:])):
        facts.risks.append(("forcePush", "git push --force"))
    for tool, sub in _PUBLISH:
        if name == tool and operands[:1] == [sub]:
            facts.risks.append(("publish", f"{tool} {sub}"))
