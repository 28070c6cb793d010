"""C++ string literals emitted by the code generator hold exactly the intended bytes."""

import subprocess

from astraapi.compiler.codegen import cpp

SAMPLES = ["plain", 'quote " and \\ backslash', "new\nline\ttab\r", "ünïcödé ✓ 𝄞", "??=trigraph?",
           "\x00nul\x01", "\x7f1234", "é1", "/items/{item_id}", ""]


def test_literals_compile_to_the_same_bytes(tmp_path):
    lines = ["#include <cstdio>", "#include <cstring>", "int main() {"]
    for sample in SAMPLES:
        literal = cpp.string_literal(sample)
        lines.append(f"    fwrite({literal}, 1, {cpp.byte_length(sample)}, stdout); fputc(0xff, stdout);")
    lines += ["    return 0;", "}"]
    source = tmp_path / "literals.cpp"
    source.write_text("\n".join(lines))
    binary = tmp_path / "literals"
    subprocess.run(["c++", "-std=c++20", "-Wall", "-Werror", str(source), "-o", str(binary)], check=True)
    output = subprocess.run([str(binary)], check=True, capture_output=True).stdout
    assert output.split(b"\xff")[:-1] == [s.encode() for s in SAMPLES]


def test_identifiers_are_c_identifiers_and_distinct():
    names = {cpp.identifier("m_", key) for key in ["a.Item", "b.Item", "a.Ünï-Ding", "x.y.Z"]}
    assert len(names) == 4
    assert all(name.replace("_", "a").isalnum() and name.isascii() for name in names)
