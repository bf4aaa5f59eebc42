//! `abi! { event ...; error ...; }`: alloy's `sol!` for the Rust types, plus
//! the contract's ABI JSON entries for them.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::json;
use syn_solidity::{Item, Spanned};

use crate::abi_json::{embed, param};

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let file = syn_solidity::parse2(input.clone())?;
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
    let embedded = embed(&entries);
    let types = forward(input);
    Ok(quote! {
        #types
        #embedded
    })
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
