//! ABI JSON entries, and how they travel: each macro embeds its entries in
//! a `orac.abi` custom section of the wasm module (one JSON object per
//! line); `orac build` collects them into `<name>.abi.json` and strips the
//! section from the deployed code.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Value, json};

/// Splits a canonical tuple type's inside at top-level commas.
fn split_top(inner: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0usize, Vec::new());
    for (i, c) in inner.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner.is_empty() {
        parts.push(&inner[start..]);
    }
    parts
}

/// One ABI parameter: name, type, and components for tuples.
pub(crate) fn param(name: &str, ty: &str) -> Value {
    if let Some(rest) = ty.strip_prefix('(') {
        // "(a,b)" followed by any array suffixes.
        let mut depth = 1;
        let mut close = 0;
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let components: Vec<Value> = split_top(&rest[..close])
            .into_iter()
            .map(|t| param("", t))
            .collect();
        return json!({
            "name": name,
            "type": format!("tuple{}", &rest[close + 1..]),
            "components": components,
        });
    }
    json!({ "name": name, "type": ty })
}

/// `entries` as the `orac.abi` section holds them: one JSON object per
/// line, each line ending in a newline.
pub(crate) fn lines(entries: &[Value]) -> String {
    let mut text = String::new();
    for e in entries {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    text
}

/// A static holding `entries` in the `orac.abi` custom section (wasm32
/// builds only).
pub(crate) fn embed(entries: &[Value]) -> TokenStream {
    let text = lines(entries);
    let bytes = text.as_bytes();
    let len = bytes.len();
    let lit = proc_macro2::Literal::byte_string(bytes);
    let digest = crate::types::keccak(&text);
    let name = format_ident!(
        "__ORAC_ABI_{}",
        digest[..8]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    );
    quote! {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "orac.abi")]
        #[used]
        #[doc(hidden)]
        static #name: [u8; #len] = *#lit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple_params() {
        let p = param("x", "(address,(uint256,bool)[])[]");
        assert_eq!(p["type"], "tuple[]");
        assert_eq!(p["components"][0]["type"], "address");
        assert_eq!(p["components"][1]["type"], "tuple[]");
        assert_eq!(p["components"][1]["components"][1]["type"], "bool");
    }
}
