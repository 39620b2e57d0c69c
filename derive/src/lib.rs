//! # tidewater-derive
//!
//! `#[derive(Params)]` declares a params type once: each field carries its default, its doc
//! line (the field's doc comment) and its valid range, and the derive writes from them
//! - `Default`,
//! - a builder setter per field (`params.alpha(0.5)`; an `Option<T>` field takes `T` or an
//!   `Option<T>`),
//! - `tidewater_core::spec::Params`: set by name from a spec, validation with an error that
//!   names the parameter and what it allows, and the docs that `tidewater list` prints.
//!
//! ```
//! use tidewater_core::spec::Params;
//!
//! #[derive(Clone, Debug, PartialEq, Params)]
//! #[params(name = "ftrl", summary = "FTRL-Proximal logistic regression", check = Self::check)]
//! pub struct FtrlParams {
//!     /// Per-coordinate learning-rate scale.
//!     #[param(default = 0.1, gt = 0.0)]
//!     pub alpha: f64,
//!     /// Fit only: most iterations of the solver.
//!     #[param(default = 100, ge = 1, batch_only)]
//!     pub max_iter: usize,
//! }
//!
//! impl FtrlParams {
//!     fn check(&self) -> tidewater_core::Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! let p = FtrlParams::default().alpha(0.5);
//! assert_eq!((p.alpha, p.max_iter), (0.5, 100));
//! assert!(FtrlParams::default().alpha(-1.0).validate().is_err());
//! ```
//!
//! Struct attributes (`#[params(...)]`): `name` (the command-line name), `summary` (one line),
//! and optionally `check` (a `fn(&Self) -> Result<()>` run after the per-field checks, for
//! rules between fields) and what the component declares of itself for the common checks:
//! `row_loop_fit` (its `fit` is the stream path's row loop), `batch_only` (it has no stream
//! path: it learns only by `fit` and refuses `learn_one`), `alloc_free` (`learn_one` and
//! `predict_one` allocate nothing once warm), `chunking = "exact" | "tolerance" | "own"` (how
//! `learn_many` over any split relates to the row loop; default `"exact"`), `any_width` (it
//! takes rows of any width). Field attributes (`#[param(...)]`): `default = EXPR` (required),
//! bounds `gt`, `ge`, `lt`, `le` (numbers; on an `Option`, checked when it is `Some`),
//! `one_of = [..]` (allowed numbers), `batch_only` (a parameter only the batch path takes),
//! `skip_setter` (the type writes its own), `hidden` (a field that is not a parameter: it
//! keeps its default, `set` does not know it and `list` does not show it), `flatten` (a field
//! whose type is itself a params type: its parameters are this one's, set and listed by their
//! own names, with this field's default as their defaults; it takes no other attribute).
//!
//! The generated code names `::tidewater_core`; inside tidewater-core itself that path is the
//! crate's own alias.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Expr, Fields, LitStr, Type, parse_macro_input, spanned::Spanned};

/// Writes `Default`, builder setters and `tidewater_core::spec::Params` for a params struct:
/// see the crate documentation.
#[proc_macro_derive(Params, attributes(params, param))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The struct-level attributes.
struct StructAttrs {
    name: LitStr,
    summary: LitStr,
    check: Option<Expr>,
    row_loop_fit: bool,
    batch_only: bool,
    alloc_free: bool,
    chunking: Option<LitStr>,
    any_width: bool,
}

/// One field and its attributes.
struct Field {
    ident: syn::Ident,
    ty: Type,
    doc: String,
    default: Expr,
    bounds: Vec<(&'static str, Expr)>,
    one_of: Option<Expr>,
    batch_only: bool,
    skip_setter: bool,
    hidden: bool,
    flatten: bool,
}

fn struct_attrs(input: &DeriveInput) -> syn::Result<StructAttrs> {
    let mut name = None;
    let mut summary = None;
    let mut check = None;
    let mut row_loop_fit = false;
    let mut batch_only = false;
    let mut alloc_free = false;
    let mut chunking = None;
    let mut any_width = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("params")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("summary") {
                summary = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("check") {
                check = Some(meta.value()?.parse::<Expr>()?);
            } else if meta.path.is_ident("row_loop_fit") {
                row_loop_fit = true;
            } else if meta.path.is_ident("batch_only") {
                batch_only = true;
            } else if meta.path.is_ident("alloc_free") {
                alloc_free = true;
            } else if meta.path.is_ident("any_width") {
                any_width = true;
            } else if meta.path.is_ident("chunking") {
                let v = meta.value()?.parse::<LitStr>()?;
                if !["exact", "tolerance", "own"].contains(&v.value().as_str()) {
                    return Err(syn::Error::new(
                        v.span(),
                        "chunking is \"exact\", \"tolerance\" or \"own\"",
                    ));
                }
                chunking = Some(v);
            } else {
                return Err(meta.error(
                    "expected `name`, `summary`, `check`, `row_loop_fit`, `batch_only`, `alloc_free`, `chunking` or `any_width`",
                ));
            }
            Ok(())
        })?;
    }
    let span = input.ident.span();
    if row_loop_fit && batch_only {
        return Err(syn::Error::new(
            span,
            "`row_loop_fit` and `batch_only` contradict: a batch-only model has no row loop",
        ));
    }
    Ok(StructAttrs {
        name: name.ok_or_else(|| syn::Error::new(span, "#[params(name = \"...\")] is required"))?,
        summary: summary
            .ok_or_else(|| syn::Error::new(span, "#[params(summary = \"...\")] is required"))?,
        check,
        row_loop_fit,
        batch_only,
        alloc_free,
        chunking,
        any_width,
    })
}

/// The text of a field's doc comment, its lines joined by spaces, without markdown
/// backticks.
fn doc_of(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &a.meta
            && let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            lines.push(s.value().trim().to_owned());
        }
    }
    // `list` prints plain text: the doc comment's code spans lose their backticks.
    lines.join(" ").replace('`', "").trim().to_owned()
}

fn field(f: &syn::Field) -> syn::Result<Field> {
    let ident = f
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new(f.span(), "params fields must be named"))?;
    let mut default = None;
    let mut bounds = Vec::new();
    let mut one_of = None;
    let mut batch_only = false;
    let mut skip_setter = false;
    let mut hidden = false;
    let mut flatten = false;
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("param")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("default") {
                default = Some(meta.value()?.parse::<Expr>()?);
            } else if let Some(op) = ["gt", "ge", "lt", "le"]
                .into_iter()
                .find(|op| p.is_ident(op))
            {
                bounds.push((op, meta.value()?.parse::<Expr>()?));
            } else if p.is_ident("one_of") {
                one_of = Some(meta.value()?.parse::<Expr>()?);
            } else if p.is_ident("batch_only") {
                batch_only = true;
            } else if p.is_ident("skip_setter") {
                skip_setter = true;
            } else if p.is_ident("hidden") {
                hidden = true;
            } else if p.is_ident("flatten") {
                flatten = true;
            } else {
                return Err(meta.error(
                    "expected `default`, `gt`, `ge`, `lt`, `le`, `one_of`, `batch_only`, `skip_setter`, `hidden` or `flatten`",
                ));
            }
            Ok(())
        })?;
    }
    let doc = doc_of(&f.attrs);
    if flatten && (!bounds.is_empty() || one_of.is_some() || batch_only || hidden) {
        return Err(syn::Error::new(
            ident.span(),
            "a flattened group takes only `default` (its parameters carry their own rules)",
        ));
    }
    if doc.is_empty() && !hidden {
        return Err(syn::Error::new(
            ident.span(),
            "every parameter needs a doc comment: it is the line `tidewater list` prints",
        ));
    }
    Ok(Field {
        default: default
            .ok_or_else(|| syn::Error::new(ident.span(), "#[param(default = ...)] is required"))?,
        ident,
        ty: f.ty.clone(),
        doc,
        bounds,
        one_of,
        batch_only,
        skip_setter: skip_setter || hidden,
        hidden,
        flatten,
    })
}

/// `T` when `ty` is `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let attrs = struct_attrs(input)?;
    let ident = &input.ident;
    let fields: Vec<Field> = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => n.named.iter().map(field).collect::<syn::Result<_>>()?,
            Fields::Unit => Vec::new(),
            Fields::Unnamed(u) if u.unnamed.is_empty() => Vec::new(),
            Fields::Unnamed(u) => {
                return Err(syn::Error::new(
                    u.span(),
                    "a params type has named fields (each one a parameter)",
                ));
            }
        },
        _ => {
            return Err(syn::Error::new(
                input.span(),
                "#[derive(Params)] is for structs",
            ));
        }
    };
    let core = quote!(::tidewater_core::spec);
    let (name, summary) = (&attrs.name, &attrs.summary);

    let unit = matches!(&input.data, Data::Struct(s) if matches!(s.fields, Fields::Unit));
    let idents: Vec<_> = fields.iter().map(|f| &f.ident).collect();
    let defaults: Vec<_> = fields.iter().map(|f| &f.default).collect();
    let params: Vec<&Field> = fields.iter().filter(|f| !f.hidden && !f.flatten).collect();
    let groups: Vec<&syn::Ident> = fields
        .iter()
        .filter(|f| f.flatten)
        .map(|f| &f.ident)
        .collect();
    let param_idents: Vec<_> = params.iter().map(|f| &f.ident).collect();
    let names: Vec<String> = param_idents.iter().map(|i| i.to_string()).collect();
    let default_body = if unit {
        quote!(#ident)
    } else {
        quote!(#ident { #( #idents: #defaults, )* })
    };

    let setters = fields.iter().filter(|f| !f.skip_setter).map(|f| {
        let (id, ty) = (&f.ident, &f.ty);
        let doc = format!("Sets `{id}`: {}", f.doc);
        match option_inner(ty) {
            Some(inner) => quote! {
                #[doc = #doc]
                pub fn #id(mut self, value: impl ::core::convert::Into<::core::option::Option<#inner>>) -> Self {
                    self.#id = value.into();
                    self
                }
            },
            None => quote! {
                #[doc = #doc]
                pub fn #id(mut self, value: #ty) -> Self {
                    self.#id = value;
                    self
                }
            },
        }
    });

    let rules: Vec<Tokens> = params
        .iter()
        .map(|f| {
            let ty = &f.ty;
            let bounds = f.bounds.iter().map(|(op, e)| {
                let v = format_ident!("{}", capitalise(op));
                quote!(#core::Bound::#v((#e) as f64))
            });
            let one_of = match &f.one_of {
                Some(e) => quote!(::core::option::Option::Some(&(#e).map(|v| v as f64)[..])),
                None => quote!(::core::option::Option::None),
            };
            quote!(#core::Rule::<#ty>::new(&[#(#bounds),*], #one_of))
        })
        .collect();
    let docs = params.iter().zip(&rules).map(|(f, rule)| {
        let (id, doc, batch_only) = (&f.ident, &f.doc, f.batch_only);
        let n = id.to_string();
        quote! {
            #core::ParamDoc {
                name: #n,
                default: #core::ParamValue::to_value(&self.#id),
                doc: #doc,
                allowed: #rule.describe(),
                batch_only: #batch_only,
            }
        }
    });
    let checks = params.iter().zip(&rules).map(|(f, rule)| {
        let id = &f.ident;
        let n = id.to_string();
        quote!(#rule.check(#n, &self.#id)?;)
    });
    let check = attrs.check.as_ref().map(|c| quote!((#c)(self)?;));
    let batch_path = !attrs.row_loop_fit;
    let stream_path = !attrs.batch_only;
    let alloc_free = attrs.alloc_free;
    let any_width = attrs.any_width;
    let chunking = format_ident!(
        "{}",
        capitalise(
            &attrs
                .chunking
                .as_ref()
                .map_or("exact".into(), LitStr::value)
        )
    );

    Ok(quote! {
        impl ::tidewater_core::check::CheckState for #ident {
            /// The parameters' own checks (ranges, combinations), as when they were set.
            fn check_state(&self) -> ::tidewater_core::check::StateResult {
                #core::Params::validate(self).map_err(|e| ::std::format!("params: {e}"))
            }
        }

        impl ::core::default::Default for #ident {
            fn default() -> Self {
                #default_body
            }
        }

        impl #ident {
            #(#setters)*
        }

        impl #core::Params for #ident {
            const NAME: &'static str = #name;
            const SUMMARY: &'static str = #summary;
            const PROPERTIES: #core::Properties = #core::Properties {
                batch_path: #batch_path,
                stream_path: #stream_path,
                alloc_free: #alloc_free,
                chunking: #core::Chunking::#chunking,
                any_width: #any_width,
            };

            fn docs_with(&self) -> ::std::vec::Vec<#core::ParamDoc> {
                #[allow(unused_mut)]
                let mut docs = ::std::vec![#(#docs),*];
                #( docs.extend(#core::Params::docs_with(&self.#groups)); )*
                docs
            }

            fn set(&mut self, name: &str, value: &#core::Value) -> ::tidewater_core::Result<()> {
                match name {
                    #( #names => {
                        self.#param_idents = #core::ParamValue::from_value(value, name)?;
                        ::core::result::Result::Ok(())
                    } )*
                    _ => {
                        #(
                            if #core::Params::docs_with(&self.#groups).iter().any(|d| d.name == name) {
                                return #core::Params::set(&mut self.#groups, name, value);
                            }
                        )*
                        let known: ::std::vec::Vec<&str> = #core::Params::docs_with(self)
                            .iter()
                            .map(|d| d.name)
                            .collect();
                        ::core::result::Result::Err(#core::unknown_param(#name, name, &known))
                    }
                }
            }

            fn validate(&self) -> ::tidewater_core::Result<()> {
                #(#checks)*
                #( #core::Params::validate(&self.#groups)?; )*
                #check
                ::core::result::Result::Ok(())
            }
        }
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
