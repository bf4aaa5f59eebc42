//! Rust types to Solidity ABI types, and Solidity types to alloy's.

use syn::{GenericArgument, PathArguments, Type};

/// The canonical Solidity type of a Rust type, as alloy encodes it.
pub(crate) fn sol_type(ty: &Type) -> syn::Result<String> {
    let unsupported = || {
        syn::Error::new_spanned(
            ty,
            "no Solidity ABI type for this Rust type (supported: U256, I256, u8..u128, i8..i128, \
             bool, Address, String, Bytes, B256, FixedBytes<N>, Vec<T>, [T; N], tuples)",
        )
    };
    match ty {
        Type::Tuple(t) => {
            let parts: Vec<_> = t.elems.iter().map(sol_type).collect::<syn::Result<_>>()?;
            Ok(format!("({})", parts.join(",")))
        }
        Type::Array(a) => {
            let len = match &a.len {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) => n.base10_digits().to_string(),
                _ => return Err(unsupported()),
            };
            Ok(format!("{}[{len}]", sol_type(&a.elem)?))
        }
        Type::Reference(r) => sol_type(&r.elem),
        Type::Path(p) => {
            let seg = p.path.segments.last().ok_or_else(unsupported)?;
            let name = seg.ident.to_string();
            let generic = |i: usize| -> Option<&GenericArgument> {
                match &seg.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().nth(i),
                    _ => None,
                }
            };
            let generic_usize = |i: usize| -> Option<String> {
                match generic(i)? {
                    GenericArgument::Const(syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Int(n),
                        ..
                    })) => Some(n.base10_digits().to_string()),
                    GenericArgument::Type(Type::Path(tp)) => {
                        // `FixedBytes<32>` parses its argument as a type path
                        // only for identifiers; literals come as Const above.
                        tp.path.get_ident().map(|i| i.to_string())
                    }
                    _ => None,
                }
            };
            Ok(match name.as_str() {
                "U256" => "uint256".into(),
                "I256" => "int256".into(),
                "bool" => "bool".into(),
                "Address" => "address".into(),
                "String" | "str" => "string".into(),
                "Bytes" => "bytes".into(),
                "B256" => "bytes32".into(),
                "u8" | "u16" | "u32" | "u64" | "u128" => format!("uint{}", &name[1..]),
                "i8" | "i16" | "i32" | "i64" | "i128" => format!("int{}", &name[1..]),
                "FixedBytes" => format!("bytes{}", generic_usize(0).ok_or_else(unsupported)?),
                "Uint" => format!("uint{}", generic_usize(0).ok_or_else(unsupported)?),
                "Signed" => format!("int{}", generic_usize(0).ok_or_else(unsupported)?),
                "Vec" => match generic(0) {
                    Some(GenericArgument::Type(inner)) => format!("{}[]", sol_type(inner)?),
                    _ => return Err(unsupported()),
                },
                _ => return Err(unsupported()),
            })
        }
        _ => Err(unsupported()),
    }
}

/// keccak256 of `s`.
pub(crate) fn keccak(s: &str) -> [u8; 32] {
    use tiny_keccak::{Hasher, Keccak};
    let mut out = [0u8; 32];
    let mut k = Keccak::v256();
    k.update(s.as_bytes());
    k.finalize(&mut out);
    out
}

/// Function selector of a canonical signature.
pub(crate) fn selector(signature: &str) -> [u8; 4] {
    let h = keccak(signature);
    [h[0], h[1], h[2], h[3]]
}

/// `balance_of` → `balanceOf`.
pub(crate) fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for (i, c) in snake.trim_start_matches('_').chars().enumerate() {
        if c == '_' {
            upper = i > 0;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `balanceOf` → `balance_of`.
pub(crate) fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Rust type alloy uses for a Solidity type, as a token stream:
/// `<::orac_sdk::sol_types::sol_data::Uint<256> as SolType>::RustType`.
pub(crate) fn rust_type_of_sol(ty: &syn_solidity::Type) -> syn::Result<proc_macro2::TokenStream> {
    let data = sol_data_type(ty)?;
    Ok(quote::quote!(<#data as ::orac_sdk::SolType>::RustType))
}

/// alloy's `sol_data` type for a canonical Solidity type string.
pub(crate) fn sol_data_of_str(s: &str) -> syn::Result<proc_macro2::TokenStream> {
    let ty: syn_solidity::Type = syn::parse_str(s)?;
    sol_data_type(&ty)
}

fn sol_data_type(ty: &syn_solidity::Type) -> syn::Result<proc_macro2::TokenStream> {
    use quote::quote;
    use syn_solidity::Spanned;
    use syn_solidity::Type as T;
    let base = quote!(::orac_sdk::sol_types::sol_data);
    Ok(match ty {
        T::Address(..) => quote!(#base::Address),
        T::Bool(_) => quote!(#base::Bool),
        T::String(_) => quote!(#base::String),
        T::Bytes(_) => quote!(#base::Bytes),
        T::FixedBytes(_, n) => {
            // syn-solidity keeps the size as a u16; alloy's parameter is a
            // usize, and a `32u16` literal does not fit it.
            let n = n.get() as usize;
            quote!(#base::FixedBytes<#n>)
        }
        T::Uint(_, n) => {
            let n = n.map(|n| n.get() as usize).unwrap_or(256);
            quote!(#base::Uint<#n>)
        }
        T::Int(_, n) => {
            let n = n.map(|n| n.get() as usize).unwrap_or(256);
            quote!(#base::Int<#n>)
        }
        T::Array(a) => {
            let inner = sol_data_type(&a.ty)?;
            match a.size() {
                Some(n) => quote!(#base::FixedArray<#inner, #n>),
                None => quote!(#base::Array<#inner>),
            }
        }
        T::Tuple(t) => {
            let parts = t
                .types
                .iter()
                .map(sol_data_type)
                .collect::<syn::Result<Vec<_>>>()?;
            quote!((#(#parts,)*))
        }
        other => {
            return Err(syn::Error::new(
                other.span(),
                "this Solidity type is not supported in interface!{} yet",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_selectors() {
        assert_eq!(camel_case("balance_of"), "balanceOf");
        assert_eq!(camel_case("transfer_from"), "transferFrom");
        assert_eq!(snake_case("transferFrom"), "transfer_from");
        assert_eq!(
            selector("transfer(address,uint256)"),
            [0xa9, 0x05, 0x9c, 0xbb]
        );
        let t: Type = syn::parse_str("Vec<(Address, U256)>").unwrap();
        assert_eq!(sol_type(&t).unwrap(), "(address,uint256)[]");
        let t: Type = syn::parse_str("FixedBytes<4>").unwrap();
        assert_eq!(sol_type(&t).unwrap(), "bytes4");
    }

    #[test]
    fn fixed_bytes_sizes_are_usize() {
        let data = sol_data_of_str("bytes32").unwrap().to_string();
        assert!(data.contains("FixedBytes < 32usize >"), "{data}");
    }
}
