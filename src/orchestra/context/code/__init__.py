"""Code schema extraction with tree-sitter: languages, bounded parsing, declarations."""
