//! `interface! { interface IERC20 { function ...; } }`: a typed handle to
//! call another contract.
//!
//! Generates `pub struct IERC20` with `new(address)`, `with(Call)` and one
//! method per function (snake_case), returning `Result<Return, Revert>`;
//! `view`/`pure` functions use a static call. The types alloy's `sol!`
//! generates (to encode calldata without calling, say) live in the module
//! `IERC20Abi` (e.g. `IERC20Abi::transferCall`): the handle takes the
//! interface's own name, so alloy's module of that name goes by another.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn_solidity::{Item, Mutability, Spanned};

use crate::types::{rust_type_of_sol, snake_case};

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let file = syn_solidity::parse2(input.clone())?;
    // One module holds alloy's types for every interface of this invocation.
    let first = file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Contract(c) => Some(c.name.as_string()),
            _ => None,
        })
        .ok_or_else(|| {
            syn::Error::new(
                proc_macro2::Span::call_site(),
                "interface!{} needs an `interface Name { ... }`",
            )
        })?;
    let module = format_ident!("__orac_sol_{}", first);
    let mut out = quote! {
        #[allow(non_snake_case, non_camel_case_types, clippy::all)]
        #[doc(hidden)]
        pub mod #module {
            ::orac_sdk::sol! { #input }
        }
    };
    for item in &file.items {
        let Item::Contract(c) = item else {
            return Err(syn::Error::new(
                item.span(),
                "interface!{} takes `interface Name { ... }` items",
            ));
        };
        let name = format_ident!("{}", c.name.as_string());
        let abi_name = format_ident!("{}Abi", c.name.as_string());
        let mut methods = Vec::new();
        for f in &c.body {
            let Item::Function(f) = f else { continue };
            let Some(fname) = &f.name else { continue };
            let fname = fname.as_string();
            let method = format_ident!("{}", snake_case(&fname));
            let call_ty = format_ident!("{}Call", fname);
            let mut args = Vec::new();
            let mut fields = Vec::new();
            for (i, p) in f.parameters.iter().enumerate() {
                let ident = match &p.name {
                    Some(n) => format_ident!("{}", n.as_string()),
                    None => format_ident!("_{}", i),
                };
                let field = ident.clone();
                let ty = rust_type_of_sol(&p.ty)?;
                args.push(quote!(#ident: #ty));
                fields.push(field);
            }
            let is_view = matches!(
                f.attributes.mutability(),
                Some(Mutability::View(_) | Mutability::Pure(_))
            );
            let invoke = if is_view {
                quote!(self.call.static_call(self.address, &c))
            } else {
                quote!(self.call.call(self.address, &c))
            };
            let doc = format!(
                "Calls `{fname}` on the contract{}.",
                if is_view {
                    " (a static call: it cannot change state)"
                } else {
                    ""
                }
            );
            methods.push(quote! {
                #[doc = #doc]
                pub fn #method(&self, #(#args),*) -> ::core::result::Result<<#module::#name::#call_ty as ::orac_sdk::SolCall>::Return, ::orac_sdk::Revert> {
                    let c = #module::#name::#call_ty { #(#fields),* };
                    #invoke
                }
            });
        }
        let abi_doc = format!(
            "alloy's types for `{name}`: one `<function>Call` (calldata) and \
             `<function>Return` per function."
        );
        out.extend(quote! {
            #[doc = #abi_doc]
            pub use #module::#name as #abi_name;

            /// A handle to a deployed contract with this interface.
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct #name {
                /// The contract called.
                pub address: ::orac_sdk::Address,
                call: ::orac_sdk::Call,
            }

            impl #name {
                /// The contract at `address`, called with no value and as
                /// much gas as allowed (see [`Self::with`]).
                pub fn new(address: ::orac_sdk::Address) -> Self {
                    Self { address, call: ::orac_sdk::Call::new() }
                }

                /// The same handle, calling with these options (value, gas).
                pub fn with(self, call: ::orac_sdk::Call) -> Self {
                    Self { call, ..self }
                }

                #(#methods)*
            }
        });
    }
    Ok(out)
}
