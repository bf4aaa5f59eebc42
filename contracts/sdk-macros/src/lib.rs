//! Procedural macros of `orac-sdk`. See that crate for how to use them.

mod abi_json;
mod contract;
mod interface;
mod sol_abi;
mod storage;
mod types;

use proc_macro::TokenStream;

/// Lays out a struct's fields in consecutive storage slots.
#[proc_macro_attribute]
pub fn storage(attr: TokenStream, item: TokenStream) -> TokenStream {
    storage::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Turns an impl block into the contract's ABI: entry points, dispatch by
/// selector, ABI encoding, and the ABI JSON.
#[proc_macro_attribute]
pub fn contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    contract::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares events and errors in Solidity syntax (via alloy's `sol!`) and
/// adds them to the contract's ABI JSON.
#[proc_macro]
pub fn abi(input: TokenStream) -> TokenStream {
    sol_abi::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The ABI JSON lines of events and errors in Solidity syntax, as a string
/// literal (what [`abi!`] embeds): the SDK declares its own errors with
/// `sol!` and lists them from the same text.
#[doc(hidden)]
#[proc_macro]
pub fn abi_json_text(input: TokenStream) -> TokenStream {
    sol_abi::text(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// alloy's `sol!`, resolving its paths through `orac_sdk` so a contract
/// crate needs no direct alloy dependency.
#[proc_macro]
pub fn sol(input: TokenStream) -> TokenStream {
    sol_abi::forward(input.into()).into()
}

/// Declares another contract's interface in Solidity syntax and generates a
/// typed handle to call it.
#[proc_macro]
pub fn interface(input: TokenStream) -> TokenStream {
    interface::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
