//! `#[contract]`: an impl block becomes the contract's ABI.
//!
//! * `pub` methods are ABI functions; others stay internal.
//! * `&self` methods are `view`; `&mut self` ones change state. Both refuse
//!   value unless marked `#[payable]` (which a view cannot be).
//! * `#[constructor]` marks the constructor (run once, at deploy).
//! * `#[receive]` marks the method run for calls with empty calldata
//!   (plain value transfers); it is payable.
//! * `#[selector(name = "...")]` overrides the Solidity name (default: the
//!   method name in camelCase).
//! * A method may return `T` or `Result<T, E>` with `E: Into<Revert>`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Value, json};
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, Pat, ReturnType, Type};

use crate::abi_json::{embed, param};
use crate::types::{camel_case, selector, sol_data_of_str, sol_type};

struct Method {
    ident: syn::Ident,
    sol_name: String,
    args: Vec<(syn::Ident, Type, String)>,
    /// `Some(T)` for `Result<T, E>` returns.
    result_ok: Option<Type>,
    ret: Option<Type>,
    view: bool,
    payable: bool,
}

fn strip_attr(f: &mut ImplItemFn, name: &str) -> Option<syn::Attribute> {
    let pos = f.attrs.iter().position(|a| a.path().is_ident(name))?;
    Some(f.attrs.remove(pos))
}

/// `Result<T, E>` → `Some(T)`.
fn result_ok_type(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Result" {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

fn parse_method(f: &mut ImplItemFn, is_constructor: bool) -> syn::Result<Method> {
    let payable = strip_attr(f, "payable").is_some();
    let mut sol_name = camel_case(&f.sig.ident.to_string());
    if let Some(attr) = strip_attr(f, "selector") {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let s: syn::LitStr = meta.value()?.parse()?;
                sol_name = s.value();
                Ok(())
            } else {
                Err(meta.error("expected `name = \"...\"`"))
            }
        })?;
    }
    let mut view = false;
    let mut args = Vec::new();
    let mut has_receiver = false;
    for input in &f.sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                has_receiver = true;
                view = r.mutability.is_none();
            }
            FnArg::Typed(t) => {
                let Pat::Ident(ident) = &*t.pat else {
                    return Err(syn::Error::new_spanned(
                        &t.pat,
                        "contract method arguments must be plain names",
                    ));
                };
                let ty = (*t.ty).clone();
                let sol = sol_type(&ty)?;
                args.push((ident.ident.clone(), ty, sol));
            }
        }
    }
    if !has_receiver {
        return Err(syn::Error::new_spanned(
            &f.sig,
            "contract methods take &self (view) or &mut self",
        ));
    }
    if is_constructor && view {
        return Err(syn::Error::new_spanned(
            &f.sig,
            "a constructor takes &mut self",
        ));
    }
    if payable && view {
        return Err(syn::Error::new_spanned(
            &f.sig,
            "a view method cannot be payable",
        ));
    }
    let ret = match &f.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, t) => Some((**t).clone()),
    };
    let result_ok = ret.as_ref().and_then(result_ok_type);
    Ok(Method {
        ident: f.sig.ident.clone(),
        sol_name,
        args,
        result_ok,
        ret,
        view,
        payable,
    })
}

impl Method {
    /// The value type the method produces (inside `Result` if any).
    fn output(&self) -> Option<&Type> {
        let t = self.result_ok.as_ref().or(self.ret.as_ref())?;
        (!is_unit(t)).then_some(t)
    }

    fn signature(&self) -> String {
        let types: Vec<&str> = self.args.iter().map(|a| a.2.as_str()).collect();
        format!("{}({})", self.sol_name, types.join(","))
    }

    fn mutability(&self) -> &'static str {
        if self.view {
            "view"
        } else if self.payable {
            "payable"
        } else {
            "nonpayable"
        }
    }

    fn inputs_json(&self) -> Vec<Value> {
        self.args
            .iter()
            .map(|(name, _, ty)| param(&name.to_string(), ty))
            .collect()
    }

    fn outputs_json(&self) -> syn::Result<Vec<Value>> {
        match self.output() {
            None => Ok(vec![]),
            Some(Type::Tuple(t)) => t
                .elems
                .iter()
                .map(|e| Ok(param("", &sol_type(e)?)))
                .collect(),
            Some(t) => Ok(vec![param("", &sol_type(t)?)]),
        }
    }

    /// Decodes the arguments from `data` and calls the method; yields the
    /// encoded output. Encoding goes through alloy's `SolType` for the
    /// Solidity types, so every Rust type alloy maps (u8 included) works.
    fn call_and_encode(&self, data: TokenStream) -> syn::Result<TokenStream> {
        let ident = &self.ident;
        let names: Vec<&syn::Ident> = self.args.iter().map(|a| &a.0).collect();
        let datas = self
            .args
            .iter()
            .map(|a| sol_data_of_str(&a.2))
            .collect::<syn::Result<Vec<_>>>()?;
        let decode = if names.is_empty() {
            quote!()
        } else {
            quote! {
                let (#(#names,)*) = <(#(#datas,)*) as ::orac_sdk::SolType>::abi_decode_params(#data)
                    .map_err(|_| ::orac_sdk::__private::bad_arguments())?;
            }
        };
        let invoke = if self.result_ok.is_some() {
            quote!(self.#ident(#(#names),*).map_err(::core::convert::Into::<::orac_sdk::Revert>::into)?)
        } else {
            quote!(self.#ident(#(#names),*))
        };
        let encode = match self.output() {
            None => quote! {
                let _ = #invoke;
                Ok(::orac_sdk::__private::Vec::new())
            },
            Some(Type::Tuple(t)) => {
                let outs = t
                    .elems
                    .iter()
                    .map(|e| sol_data_of_str(&sol_type(e)?))
                    .collect::<syn::Result<Vec<_>>>()?;
                quote! {
                    let out = #invoke;
                    Ok(<(#(#outs,)*) as ::orac_sdk::SolType>::abi_encode_params(&out))
                }
            }
            Some(t) => {
                let out_ty = sol_data_of_str(&sol_type(t)?)?;
                quote! {
                    let out = #invoke;
                    Ok(<(#out_ty,) as ::orac_sdk::SolType>::abi_encode_params(&(out,)))
                }
            }
        };
        // Views refuse value too (as Solidity's do): a `&self` method could
        // never hand it back, so it would be stuck in the contract.
        let payable = if self.payable {
            quote!()
        } else {
            quote!(::orac_sdk::__private::non_payable()?;)
        };
        Ok(quote! {
            #payable
            #decode
            #encode
        })
    }
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "#[contract] takes no arguments",
        ));
    }
    let mut imp: ItemImpl = syn::parse2(item)?;
    if imp.trait_.is_some() {
        return Err(syn::Error::new_spanned(
            &imp,
            "#[contract] goes on an inherent impl block",
        ));
    }
    let self_ty = imp.self_ty.clone();
    let mut methods = Vec::new();
    let mut constructor = None;
    let mut receive = None;
    for item in &mut imp.items {
        let ImplItem::Fn(f) = item else { continue };
        let is_constructor = strip_attr(f, "constructor").is_some();
        let is_receive = strip_attr(f, "receive").is_some();
        let public = matches!(f.vis, syn::Visibility::Public(_));
        if !(public || is_constructor || is_receive) {
            continue;
        }
        let mut m = parse_method(f, is_constructor)?;
        if is_constructor {
            if constructor.is_some() {
                return Err(syn::Error::new_spanned(&f.sig, "only one #[constructor]"));
            }
            constructor = Some(m);
        } else if is_receive {
            if !m.args.is_empty() || m.output().is_some() {
                return Err(syn::Error::new_spanned(
                    &f.sig,
                    "#[receive] takes no arguments and returns nothing",
                ));
            }
            m.payable = true;
            receive = Some(m);
        } else {
            methods.push(m);
        }
    }

    // Dispatch by selector; refuse two methods with one selector.
    let mut seen = std::collections::HashMap::new();
    let mut arms = Vec::new();
    let mut abi = Vec::new();
    for m in &methods {
        let sig = m.signature();
        let sel = selector(&sig);
        if let Some(other) = seen.insert(sel, sig.clone()) {
            return Err(syn::Error::new_spanned(
                &m.ident,
                format!(
                    "selector of {sig} collides with {other}; rename one with #[selector(name = ...)]"
                ),
            ));
        }
        let body = m.call_and_encode(quote!(&input[4..]))?;
        let [a, b, c, d] = sel;
        arms.push(quote! { [#a, #b, #c, #d] => { #body } });
        abi.push(json!({
            "type": "function",
            "name": m.sol_name,
            "inputs": m.inputs_json(),
            "outputs": m.outputs_json()?,
            "stateMutability": m.mutability(),
        }));
    }
    let on_empty = match &receive {
        Some(m) => {
            let ident = &m.ident;
            abi.push(json!({ "type": "receive", "stateMutability": "payable" }));
            quote!(if input.is_empty() {
                self.#ident();
                return Ok(::orac_sdk::__private::Vec::new());
            })
        }
        None => quote!(),
    };
    let deploy = match &constructor {
        Some(m) => {
            abi.push(json!({
                "type": "constructor",
                "inputs": m.inputs_json(),
                "stateMutability": m.mutability(),
            }));
            let body = m.call_and_encode(quote!(input))?;
            quote! {
                #[doc(hidden)]
                pub fn __orac_construct(&mut self, input: &[u8]) -> ::core::result::Result<::orac_sdk::__private::Vec<u8>, ::orac_sdk::Revert> {
                    #body
                }
            }
        }
        None => {
            abi.push(
                json!({ "type": "constructor", "inputs": [], "stateMutability": "nonpayable" }),
            );
            quote! {
                #[doc(hidden)]
                pub fn __orac_construct(&mut self, _input: &[u8]) -> ::core::result::Result<::orac_sdk::__private::Vec<u8>, ::orac_sdk::Revert> {
                    ::orac_sdk::__private::non_payable()?;
                    Ok(::orac_sdk::__private::Vec::new())
                }
            }
        }
    };
    let embedded = embed(&abi);
    let layout = quote!(<#self_ty as ::orac_sdk::storage::StorageLayout>);
    let entry_call = format_ident!("call");
    let entry_deploy = format_ident!("deploy");
    Ok(quote! {
        #imp

        impl #self_ty {
            /// Runs one message's calldata against this contract: what the
            /// `call` entry point does (and what tests may call directly).
            #[doc(hidden)]
            pub fn __orac_dispatch(&mut self, input: &[u8]) -> ::core::result::Result<::orac_sdk::__private::Vec<u8>, ::orac_sdk::Revert> {
                #on_empty
                if input.len() < 4 {
                    return Err(::orac_sdk::__private::unknown_selector());
                }
                match [input[0], input[1], input[2], input[3]] {
                    #(#arms)*
                    _ => Err(::orac_sdk::__private::unknown_selector()),
                }
            }

            #deploy

            /// The contract's storage, at its root slot.
            pub fn at_root() -> Self {
                #layout::at(::orac_sdk::U256::ZERO)
            }
        }

        #embedded

        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn #entry_call() {
            ::orac_sdk::__private::entry(|input| <#self_ty>::at_root().__orac_dispatch(input));
        }

        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn #entry_deploy() {
            ::orac_sdk::__private::entry(|input| <#self_ty>::at_root().__orac_construct(input));
        }
    })
}
