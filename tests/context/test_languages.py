"""Schema extraction per language through the context service: declarations in, bodies out."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.app import Orchestra
from orchestra.context.code.languages import language_for
from orchestra.context.code.parsing import TIMED_ABOVE_BYTES, ParseFailure, parse
from orchestra.context.model import ContextFile

SAMPLES = Path(__file__).parent / "samples"
# sample file -> (language, declarations that must appear, each with its line number prefix)
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "inventory.py": ("python", ["11: @dataclass(frozen=True) class Item  # One stock item.",
                                "19:   def total(self, price: float) -> float  # Value of the stock.",
                                "8: LIMIT = 10"]),
    "store.ts": ("typescript", ["4: export interface User  // A user of the store.",
                                "14: export function greet(user: User): string  // Greets a user by name.",
                                "23:   add(user: User): void  // Adds one user."]),
    "Panel.tsx": ("tsx", ["4: export interface PanelProps  // Props of the panel.",
                          "24:   toggle(id: string): void  // Opens one panel."]),
    "widgets.js": ("javascript", ["7: export function draw(node, widget)  // Draws a widget into a node.",
                                  "19:   click(event)  // Handles a click."]),
    "server.go": ("go", ["13: type Config struct  // Config holds the server settings.",
                         "35: func (s *Server) Start(ctx context.Context) error  // Start runs the server until ctx is "
                         "done.", "19: type Handler interface  // Handler serves one route."]),
    "queue.rs": ("rust", ["15: pub trait Worker  // What a worker can do.", "28: impl Queue",
                          "35:   pub fn push(&mut self, job: Job) -> bool  // Adds a job at the back."]),
    "Ledger.java": ("java", ["6: public class Ledger  // A ledger of entries.",
                             "18:   public long add(Entry entry)  // Adds an entry and returns the new balance."]),
    "Billing.cs": ("c_sharp", ["23:   public interface IGateway  // A payment gateway.",
                               "15:     public decimal Charge(string customer, decimal amount)  // Charges a "
                               "customer."]),
    "ring.c": ("c", ["25: int ring_push(ring_t *ring, char byte)  // Pushes one byte; returns 0 when full.",
                     "5: #define RING_CAPACITY 64"]),
    "matrix.cpp": ("cpp", ["7:   class Matrix  // A dense matrix of doubles.",
                           "13:     double at(std::size_t r, std::size_t c) const  // The element at (r, c)."]),
    "cart.rb": ("ruby", ["9:   class Cart  # Holds items for one customer.",
                         "19:     def add(item, quantity: 1)  # Adds an item; returns the cart."]),
    "Mailer.php": ("php", ["13: class Mailer implements Sender  // Mails through a transport.",
                           "26:   public function send(string $to, string $body): bool  // Sends one message."]),
    "Scheduler.kt": ("kotlin", ["12: interface Executor  // Runs tasks later.",
                                "28: fun parseDelay(text: String): Duration  // Parses a delay like \"5s\"."]),
    "Player.swift": ("swift", ["7: protocol Playable  // Something that can be played.",
                               "18:   mutating func add(points: Int)  // Adds points to the score."]),
    "deploy.sh": ("bash", ["9: upload()  # Copies the build to the host.",
                           "15: function restart  # Restarts the service on the host."]),
    "Shapes.scala": ("scala", ["6: trait Shape  // A shape with an area.",
                               "20:   def total(shapes: Seq[Shape]): Double  // The total area."]),
    "cache.lua": ("lua", ["8: function M.new(capacity)  -- Creates a cache.",
                          "14: function M:get(key)  -- Reads a key."]),
    "service.yaml": ("yaml", ["4: server:", "6:   port: 8080", "12:   pool:", "15: features: [3 items]"]),
    "settings.toml": ("toml", ["5: [server]", "11:   pool = {min, max}", "17: [[workers]]", "20:   tags = [2 items]"]),
    "package.json": ("json", ["5: scripts:", "10:   react: \"^18.2.0\"", "13: files: [2 items]"]),
}
PER_FILE = 18  # every sample is longer than this, and every schema fits


def _bundle_file(app: Orchestra, rel: str, text: bytes, per_file: int = PER_FILE) -> ContextFile:
    path = app.layout.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    app.tasks.add({"id": "L-1", "title": "read code", "ownership_paths": [rel]})
    bundle = app.context.manifest("L-1", "developer", max_lines_per_file=per_file).bundle
    return next(f for f in bundle.files if f.path == rel)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_declarations_in_bodies_out(app: Orchestra, name: str) -> None:
    language, declarations = EXPECTED[name]
    source = (SAMPLES / name).read_bytes()
    assert source.count(b"\n") > PER_FILE
    file = _bundle_file(app, f"src/{name}", source)
    assert file.strategy == "schema-extraction", file.omitted_content_warning
    assert file.language == language and file.fallback_reason is None
    lines = file.content.splitlines()
    for declaration in declarations:
        assert declaration in lines, f"{declaration!r} not in {lines}"
    assert "BODY_MARKER" not in file.content
    assert 0 < file.final_lines <= PER_FILE


@pytest.mark.parametrize("name,broken", [
    ("broken.py", "def ok() -> None:\n    pass\n\ndef broken(:\n    pass\n"),
    ("broken.go", "package x\n\nfunc ok() {}\n\nfunc broken( {\n"),
    ("broken.ts", "export function ok(): void {}\nexport class {{{ \n"),
])
def test_syntax_error_falls_back_to_head_tail_with_the_reason(app: Orchestra, name: str, broken: str) -> None:
    text = broken + "".join(f"// filler line {i}\n" if not name.endswith(".py") else f"# filler {i}\n"
                            for i in range(60))
    file = _bundle_file(app, name, text.encode(), per_file=20)
    assert file.strategy == "head-tail-truncation"
    assert file.fallback_reason is not None and "syntax error near line" in file.fallback_reason
    assert file.fallback_reason in (file.omitted_content_warning or "")
    assert file.final_lines <= 20


def test_huge_source_file_stays_within_budget(app: Orchestra) -> None:
    body = "".join(f"def function_{i}(value: int) -> int:\n    \"\"\"Doc {i}.\"\"\"\n    return value * {i}\n\n"
                   for i in range(4_000))
    file = _bundle_file(app, "big.py", body.encode(), per_file=40)
    assert file.strategy == "schema-extraction" and file.final_lines == 40
    assert file.content.splitlines()[-1].startswith("# ... ")
    assert "return value" not in file.content


def test_over_the_parse_limit_falls_back(app: Orchestra) -> None:
    text = "".join(f"x_{i} = {i}  # padding padding padding padding padding\n" for i in range(30_000))
    file = _bundle_file(app, "data.py", text.encode(), per_file=30)
    assert file.strategy == "head-tail-truncation"
    assert file.fallback_reason is not None and "parse limit" in file.fallback_reason


def test_minified_single_line_is_cut(app: Orchestra) -> None:
    file = _bundle_file(app, "app.min.js", ("var a=1;" * 200_000).encode(), per_file=30)
    assert file.original_lines == 1 and file.strategy == "head-tail-truncation"
    assert file.final_bytes < 4_000


def test_a_parse_past_its_time_limit_is_cancelled() -> None:
    spec = language_for("slow.py")
    assert spec is not None
    data = b"".join(b"def f_%d(x):\n    return x\n" % i for i in range(8000))
    assert len(data) > TIMED_ABOVE_BYTES
    with pytest.raises(ParseFailure, match="parse exceeded"):
        parse(spec, data, timeout=0.0)
    assert parse(spec, data).root_node.named_child_count == 8000  # the parser is usable afterwards
