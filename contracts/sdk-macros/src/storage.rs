//! `#[storage]`: consecutive root slots for a struct's fields.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Fields, ItemStruct};

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "#[storage] takes no arguments",
        ));
    }
    let s: ItemStruct = syn::parse2(item)?;
    let name = &s.ident;
    let (impl_g, ty_g, where_g) = s.generics.split_for_impl();
    let Fields::Named(fields) = &s.fields else {
        return Err(syn::Error::new_spanned(
            &s,
            "#[storage] needs a struct with named fields",
        ));
    };
    let layout = quote!(::orac_sdk::storage::StorageLayout);
    let mut inits = Vec::new();
    let mut sizes = Vec::new();
    for f in &fields.named {
        let ident = f.ident.as_ref().expect("named field");
        let ty = &f.ty;
        sizes.push(quote!(<#ty as #layout>::SLOTS));
        inits.push(quote! {
            #ident: {
                let at = next;
                next += ::orac_sdk::U256::from(<#ty as #layout>::SLOTS);
                <#ty as #layout>::at(at)
            }
        });
    }
    Ok(quote! {
        #s

        impl #impl_g #layout for #name #ty_g #where_g {
            const SLOTS: usize = 0 #(+ #sizes)*;
            #[allow(unused_assignments, unused_mut)]
            fn at(slot: ::orac_sdk::U256) -> Self {
                let mut next = slot;
                Self { #(#inits,)* }
            }
        }

        impl #impl_g ::orac_sdk::storage::Element for #name #ty_g #where_g {
            type Handle = Self;
        }
    })
}
