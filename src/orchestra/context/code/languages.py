"""The languages whose declarations are extracted, and how each grammar names them.

Pure data: importing this module loads no parser (tree-sitter is imported lazily by
:mod:`orchestra.context.code.parsing` the first time a file of that language is reduced).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageSpec:
    """How to find declarations in one tree-sitter grammar.

    ``definitions`` maps node types to kinds; a definition's signature is its text up to
    its body. ``containers`` are definitions whose body is walked for members;
    ``transparent`` nodes (namespaces, export wrappers, decorators, declaration lists)
    are walked through. ``imports`` are summarised on one line.
    """

    name: str
    module: str
    function: str
    suffixes: tuple[str, ...]
    definitions: dict[str, str]
    containers: frozenset[str]
    transparent: frozenset[str] = frozenset()
    wrappers: frozenset[str] = frozenset()
    bodies: frozenset[str] = frozenset()
    imports: frozenset[str] = frozenset()
    comments: frozenset[str] = frozenset({"comment"})
    comment_token: str = "//"
    private_prefix: str | None = None
    data: bool = False  # JSON/YAML/TOML: keys, not declarations (see orchestra.context.code.keys)


_C_FAMILY_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})

LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        name="python", module="tree_sitter_python", function="language", suffixes=(".py", ".pyi"),
        definitions={"class_definition": "class", "function_definition": "function", "assignment": "constant",
                     "type_alias_statement": "type"},
        containers=frozenset({"class_definition"}),
        transparent=frozenset({"expression_statement"}),
        wrappers=frozenset({"decorated_definition"}),
        bodies=frozenset({"block"}),
        imports=frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
        comment_token="#", private_prefix="_",
    ),
    LanguageSpec(
        name="javascript", module="tree_sitter_javascript", function="language",
        suffixes=(".js", ".jsx", ".mjs", ".cjs"),
        definitions={"function_declaration": "function", "generator_function_declaration": "function",
                     "class_declaration": "class", "method_definition": "method", "lexical_declaration": "constant",
                     "variable_declaration": "constant", "field_definition": "field"},
        containers=frozenset({"class_declaration"}),
        wrappers=frozenset({"export_statement"}),
        bodies=frozenset({"statement_block", "class_body"}),
        imports=frozenset({"import_statement"}),
    ),
    LanguageSpec(
        name="typescript", module="tree_sitter_typescript", function="language_typescript",
        suffixes=(".ts", ".mts", ".cts"),
        definitions={"function_declaration": "function", "generator_function_declaration": "function",
                     "function_signature": "function", "class_declaration": "class",
                     "abstract_class_declaration": "class", "method_definition": "method",
                     "method_signature": "method", "abstract_method_signature": "method",
                     "public_field_definition": "field", "interface_declaration": "interface",
                     "type_alias_declaration": "type", "enum_declaration": "enum", "lexical_declaration": "constant",
                     "variable_declaration": "constant", "property_signature": "field", "module": "module",
                     "internal_module": "module"},
        containers=frozenset({"class_declaration", "abstract_class_declaration", "interface_declaration",
                              "module", "internal_module"}),
        transparent=frozenset({"ambient_declaration", "expression_statement"}),
        wrappers=frozenset({"export_statement"}),
        bodies=frozenset({"statement_block", "class_body", "interface_body", "object_type", "enum_body"}),
        imports=frozenset({"import_statement"}),
    ),
    LanguageSpec(
        name="tsx", module="tree_sitter_typescript", function="language_tsx", suffixes=(".tsx",),
        definitions={"function_declaration": "function", "class_declaration": "class",
                     "abstract_class_declaration": "class", "method_definition": "method",
                     "public_field_definition": "field", "interface_declaration": "interface",
                     "type_alias_declaration": "type", "enum_declaration": "enum", "lexical_declaration": "constant",
                     "property_signature": "field", "method_signature": "method"},
        containers=frozenset({"class_declaration", "abstract_class_declaration", "interface_declaration"}),
        wrappers=frozenset({"export_statement"}),
        bodies=frozenset({"statement_block", "class_body", "interface_body", "object_type"}),
        imports=frozenset({"import_statement"}),
    ),
    LanguageSpec(
        name="go", module="tree_sitter_go", function="language", suffixes=(".go",),
        definitions={"package_clause": "package", "function_declaration": "function", "method_declaration": "method",
                     "type_declaration": "type", "const_declaration": "constant", "var_declaration": "variable",
                     "field_declaration": "field", "method_elem": "method"},
        containers=frozenset({"type_declaration"}),
        transparent=frozenset({"type_spec", "struct_type", "interface_type", "field_declaration_list"}),
        bodies=frozenset({"block", "field_declaration_list", "interface_type"}),
        imports=frozenset({"import_declaration"}),
    ),
    LanguageSpec(
        name="rust", module="tree_sitter_rust", function="language", suffixes=(".rs",),
        definitions={"function_item": "function", "function_signature_item": "function", "struct_item": "struct",
                     "enum_item": "enum", "trait_item": "trait", "impl_item": "impl", "type_item": "type",
                     "const_item": "constant", "static_item": "constant", "mod_item": "module",
                     "macro_definition": "macro", "field_declaration": "field", "union_item": "struct"},
        containers=frozenset({"trait_item", "impl_item", "mod_item", "struct_item"}),
        bodies=frozenset({"block", "declaration_list", "field_declaration_list", "enum_variant_list"}),
        imports=frozenset({"use_declaration"}), comments=_C_FAMILY_COMMENTS,
    ),
    LanguageSpec(
        name="java", module="tree_sitter_java", function="language", suffixes=(".java",),
        definitions={"package_declaration": "package", "class_declaration": "class",
                     "interface_declaration": "interface", "enum_declaration": "enum", "record_declaration": "record",
                     "annotation_type_declaration": "interface", "method_declaration": "method",
                     "constructor_declaration": "constructor", "field_declaration": "field",
                     "constant_declaration": "constant"},
        containers=frozenset({"class_declaration", "interface_declaration", "record_declaration"}),
        bodies=frozenset({"block", "class_body", "interface_body", "enum_body", "constructor_body"}),
        imports=frozenset({"import_declaration"}), comments=_C_FAMILY_COMMENTS,
    ),
    LanguageSpec(
        name="c_sharp", module="tree_sitter_c_sharp", function="language", suffixes=(".cs",),
        definitions={"namespace_declaration": "namespace", "file_scoped_namespace_declaration": "namespace",
                     "class_declaration": "class", "interface_declaration": "interface",
                     "struct_declaration": "struct", "enum_declaration": "enum", "record_declaration": "record",
                     "method_declaration": "method", "constructor_declaration": "constructor",
                     "property_declaration": "property", "field_declaration": "field",
                     "delegate_declaration": "delegate", "event_field_declaration": "event"},
        containers=frozenset({"namespace_declaration", "class_declaration", "interface_declaration",
                              "struct_declaration", "record_declaration"}),
        transparent=frozenset({"declaration_list"}),
        bodies=frozenset({"block", "declaration_list", "enum_member_declaration_list",
                          "arrow_expression_clause"}),
        imports=frozenset({"using_directive"}),
    ),
    LanguageSpec(
        name="c", module="tree_sitter_c", function="language", suffixes=(".c", ".h"),
        definitions={"function_definition": "function", "declaration": "declaration", "type_definition": "type",
                     "struct_specifier": "struct", "enum_specifier": "enum", "union_specifier": "struct",
                     "preproc_def": "macro", "preproc_function_def": "macro"},
        containers=frozenset(),
        transparent=frozenset({"preproc_ifdef", "preproc_if", "linkage_specification", "expression_statement"}),
        bodies=frozenset({"compound_statement"}),
        imports=frozenset({"preproc_include"}),
    ),
    LanguageSpec(
        name="cpp", module="tree_sitter_cpp", function="language",
        suffixes=(".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++"),
        definitions={"function_definition": "function", "declaration": "declaration", "type_definition": "type",
                     "class_specifier": "class", "struct_specifier": "struct", "enum_specifier": "enum",
                     "union_specifier": "struct", "field_declaration": "field", "alias_declaration": "type",
                     "namespace_definition": "namespace", "concept_definition": "concept",
                     "preproc_def": "macro", "preproc_function_def": "macro"},
        containers=frozenset({"class_specifier", "struct_specifier", "namespace_definition"}),
        transparent=frozenset({"preproc_ifdef", "preproc_if", "linkage_specification", "field_declaration_list",
                               "expression_statement"}),
        wrappers=frozenset({"template_declaration"}),
        bodies=frozenset({"compound_statement", "field_declaration_list", "declaration_list"}),
        imports=frozenset({"preproc_include"}),
    ),
    LanguageSpec(
        name="ruby", module="tree_sitter_ruby", function="language", suffixes=(".rb", ".rake", ".gemspec"),
        definitions={"module": "module", "class": "class", "singleton_class": "class", "method": "method",
                     "singleton_method": "method", "assignment": "constant"},
        containers=frozenset({"module", "class", "singleton_class"}),
        bodies=frozenset({"body_statement"}),
        comment_token="#",
    ),
    LanguageSpec(
        name="php", module="tree_sitter_php", function="language_php", suffixes=(".php",),
        definitions={"namespace_definition": "namespace", "class_declaration": "class",
                     "interface_declaration": "interface", "trait_declaration": "trait", "enum_declaration": "enum",
                     "function_definition": "function", "method_declaration": "method",
                     "const_declaration": "constant", "property_declaration": "property"},
        containers=frozenset({"class_declaration", "interface_declaration", "trait_declaration",
                              "enum_declaration"}),
        bodies=frozenset({"compound_statement", "declaration_list", "enum_declaration_list"}),
        imports=frozenset({"namespace_use_declaration"}),
    ),
    LanguageSpec(
        name="kotlin", module="tree_sitter_kotlin", function="language", suffixes=(".kt", ".kts"),
        definitions={"package_header": "package", "class_declaration": "class", "object_declaration": "object",
                     "function_declaration": "function", "property_declaration": "property",
                     "type_alias": "type", "companion_object": "object"},
        containers=frozenset({"class_declaration", "object_declaration", "companion_object"}),
        bodies=frozenset({"class_body", "function_body", "enum_class_body"}),
        imports=frozenset({"import", "import_header"}), comments=_C_FAMILY_COMMENTS,
    ),
    LanguageSpec(
        name="swift", module="tree_sitter_swift", function="language", suffixes=(".swift",),
        definitions={"class_declaration": "class", "protocol_declaration": "protocol",
                     "function_declaration": "function", "protocol_function_declaration": "function",
                     "property_declaration": "property", "typealias_declaration": "type", "init_declaration": "init",
                     "enum_entry": "case"},
        containers=frozenset({"class_declaration", "protocol_declaration"}),
        bodies=frozenset({"class_body", "protocol_body", "function_body", "enum_class_body", "computed_property"}),
        imports=frozenset({"import_declaration"}), comments=_C_FAMILY_COMMENTS | {"multiline_comment"},
    ),
    LanguageSpec(
        name="bash", module="tree_sitter_bash", function="language", suffixes=(".sh", ".bash", ".zsh"),
        definitions={"function_definition": "function", "declaration_command": "variable"},
        containers=frozenset(),
        bodies=frozenset({"compound_statement", "subshell"}),
        comment_token="#",
    ),
    LanguageSpec(
        name="scala", module="tree_sitter_scala", function="language", suffixes=(".scala", ".sc"),
        definitions={"package_clause": "package", "class_definition": "class", "object_definition": "object",
                     "trait_definition": "trait", "enum_definition": "enum", "function_definition": "function",
                     "function_declaration": "function", "val_definition": "value", "var_definition": "variable",
                     "type_definition": "type", "given_definition": "given"},
        containers=frozenset({"class_definition", "object_definition", "trait_definition", "enum_definition"}),
        bodies=frozenset({"template_body", "block", "enum_body"}),
        imports=frozenset({"import_declaration"}), comments=_C_FAMILY_COMMENTS,
    ),
    LanguageSpec(
        name="lua", module="tree_sitter_lua", function="language", suffixes=(".lua",),
        definitions={"function_declaration": "function", "assignment_statement": "variable",
                     "variable_declaration": "variable"},
        containers=frozenset(),
        bodies=frozenset({"block"}),
        comment_token="--",
    ),
    LanguageSpec(name="json", module="tree_sitter_json", function="language", suffixes=(".json",),
                 definitions={}, containers=frozenset(), data=True),
    LanguageSpec(name="yaml", module="tree_sitter_yaml", function="language", suffixes=(".yaml", ".yml"),
                 definitions={}, containers=frozenset(), comment_token="#", data=True),
    LanguageSpec(name="toml", module="tree_sitter_toml", function="language", suffixes=(".toml",),
                 definitions={}, containers=frozenset(), comment_token="#", data=True),
)

BY_SUFFIX: dict[str, LanguageSpec] = {suffix: spec for spec in LANGUAGES for suffix in spec.suffixes}


def language_for(path: str) -> LanguageSpec | None:
    """The language of ``path`` by its suffix (case-insensitive), or None."""
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    return BY_SUFFIX.get(path[dot:].lower())
