//! `abi! { event ...; error ...; }`: alloy's `sol!` for the Rust types, plus
//! the contract's ABI JSON entries for them.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::json;
use syn_solidity::{Item, Spanned};

use crate::abi_json::{embed, lines, param};

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let embedded = embed(&entries(input.clone())?);
    let types = forward(input);
    Ok(quote! {
        #types
        #embedded
    })
}

/// The ABI JSON text of `input`'s events and errors, one entry per line, as
/// a string literal: for the SDK's own errors, which a contract lists in
/// its ABI only when it asks to (`oracle_abi!`).
pub(crate) fn text(input: TokenStream) -> syn::Result<TokenStream> {
    let lit = proc_macro2::Literal::string(&lines(&entries(input)?));
    Ok(quote!(#lit))
}

/// The ABI JSON entries of `input`'s events and errors.
fn entries(input: TokenStream) -> syn::Result<Vec<serde_json::Value>> {
    let file = syn_solidity::parse2(input)?;
    let mut entries = Vec::new();
    for item in &file.items {
        match item {
            Item::Event(e) => {
                let inputs: Vec<_> = e
                    .parameters
                    .iter()
                    .map(|p| {
                        let mut v = param(
                            &p.name.as_ref().map(|n| n.as_string()).unwrap_or_default(),
                            &p.ty.abi_name(),
                        );
                        v["indexed"] = json!(p.is_indexed());
                        v
                    })
                    .collect();
                entries.push(json!({
                    "type": "event",
                    "name": e.name.as_string(),
                    "inputs": inputs,
                    "anonymous": e.is_anonymous(),
                }));
            }
            Item::Error(e) => {
                let inputs: Vec<_> = e
                    .parameters
                    .iter()
                    .map(|p| {
                        param(
                            &p.name.as_ref().map(|n| n.as_string()).unwrap_or_default(),
                            &p.ty.abi_name(),
                        )
                    })
                    .collect();
                entries.push(json!({
                    "type": "error",
                    "name": e.name.as_string(),
                    "inputs": inputs,
                }));
            }
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "abi!{} declares events and errors; use sol!{} for anything else",
                ));
            }
        }
    }
    Ok(entries)
}

/// alloy's `sol!` with its crate path pointed at `orac_sdk::sol_types`.
pub(crate) fn forward(input: TokenStream) -> TokenStream {
    quote! {
        ::orac_sdk::sol_types::sol! {
            #![sol(alloy_sol_types = ::orac_sdk::sol_types)]
            #input
        }
    }
}
