//! Building shape modules from WebAssembly text.

use orac_vm::host::abi::{HOST_FUNCTIONS, MODULE};

fn list<T: std::fmt::Display>(kind: &str, v: &[T]) -> String {
    if v.is_empty() {
        return String::new();
    }
    let types: Vec<String> = v.iter().map(|t| t.to_string()).collect();
    format!("({kind} {})", types.join(" "))
}

/// Imports of every public host function, each as `$<name>`.
pub fn imports() -> String {
    HOST_FUNCTIONS
        .iter()
        .map(|sig| {
            format!(
                "(import \"{MODULE}\" \"{n}\" (func ${n} {} {}))\n",
                list("param", sig.params),
                list("result", sig.results),
                n = sig.name
            )
        })
        .collect()
}

/// A contract: every host import, `pages` of exported memory (no declared
/// maximum), `extra` module fields (functions, globals, data, tables), and
/// a `call` export with `locals` and `body`.
pub fn contract(pages: u64, extra: &str, locals: &str, body: &str) -> Vec<u8> {
    contract_with(&pages.to_string(), extra, locals, body)
}

/// [`contract`] with the memory's limits spelled out (e.g. "1 4").
pub fn contract_with(memory: &str, extra: &str, locals: &str, body: &str) -> Vec<u8> {
    let text = format!(
        "(module\n{}(memory (export \"memory\") {memory})\n{extra}\n(func (export \"call\") {locals}\n{body}))",
        imports()
    );
    wat::parse_str(&text).unwrap_or_else(|e| panic!("shape does not parse: {e}\n{text}"))
}

/// `n` copies of `f(i)`, space-separated.
pub fn repeat(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(f).collect::<Vec<_>>().join(" ")
}

/// `(loop $l BODY (br $l))`: runs until the gas is gone.
pub fn forever(body: &str) -> String {
    format!("(loop $l {body} (br $l))")
}
