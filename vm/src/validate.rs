//! Deploy-time validation: the WebAssembly features Rust emits by default
//! and nothing else, only the documented imports, the required exports, and
//! structural limits that keep compile time and stack use bounded.
//!
//! The same function serves the node (deploy transactions) and the build
//! tool (`orac build`), so both say the same thing about the same module.

use wasmparser::{
    CompositeInnerType, DataKind, ElementItems, ElementKind, ExternalKind, FuncValidator,
    FuncValidatorAllocations, FunctionBody, Operator, Parser, Payload, TypeRef, ValType, Validator,
    ValidatorResources, WasmFeatures,
};

use crate::host::abi;
use crate::limits::*;

/// Why a module cannot be deployed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeployError {
    /// The module is over [`MAX_CODE_SIZE`] bytes.
    #[error("code too large: {0} bytes, limit {MAX_CODE_SIZE}")]
    TooLarge(usize),
    /// The bytes do not parse or validate as WebAssembly.
    #[error("not a WebAssembly module: {0}")]
    Malformed(String),
    /// A WebAssembly feature or construct the deploy rules refuse.
    #[error("unsupported WebAssembly: {0}")]
    Unsupported(String),
    /// A structural limit (`limits.rs`) is exceeded.
    #[error("module exceeds a limit: {0}")]
    Limit(String),
    #[error(
        "unknown import {module}.{name}: contracts may only import the orac host functions (docs/host-abi.md)"
    )]
    /// An import that is not one of the orac host functions.
    UnknownImport {
        /// The module it is imported from.
        module: String,
        /// Its name there.
        name: String,
    },
    /// A host function imported with the wrong signature.
    #[error("import orac.{name} has the wrong type: expected {expected}")]
    ImportType {
        /// The host function's name.
        name: String,
        /// Its signature, as WebAssembly text.
        expected: String,
    },
    /// A required export is missing or of the wrong kind.
    #[error("missing export: {0}")]
    MissingExport(&'static str),
    /// An export uses the name prefix the instrumentation reserves.
    #[error("export {0} is reserved")]
    ReservedExport(String),
    /// Creation data that is not a deploy envelope.
    #[error("bad deploy envelope: {0}")]
    Envelope(String),
}

/// The WebAssembly features accepted: those rustc's wasm32-unknown-unknown
/// target enables by default (sign-extension, multi-value, reference types,
/// bulk memory, non-trapping float-to-int, mutable globals), i.e. core
/// WebAssembly 2.0 without SIMD.
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM2.difference(WasmFeatures::SIMD)
}

/// What validation learned that instrumentation and execution need.
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    /// Imported functions, in import order (their indices come first).
    pub imported_funcs: u32,
    /// Type index of every function, imported ones first.
    pub func_types: Vec<u32>,
    /// Stack-height cost of each defined function's frame, in slots.
    pub frame_costs: Vec<u32>,
    /// Parameters plus declared locals of each defined function (the
    /// instrumentation appends its own locals after them).
    pub local_counts: Vec<u32>,
    /// Declared locals (not parameters) of each defined function: what
    /// its prologue zeroes on every call.
    pub declared_locals: Vec<u32>,
    /// For each type index, the first type index with the same signature
    /// (call_indirect compares signatures, not indices).
    pub type_canon: Vec<u32>,
    /// Function index of the `call` export.
    pub call_index: u32,
    /// Function index of the `deploy` export, if any.
    pub deploy_index: Option<u32>,
    /// Pages of linear memory at instantiation.
    pub initial_pages: u64,
    /// Pages the memory can ever have: its declared maximum, at most
    /// `MAX_MEMORY_PAGES`. Loads cost more in a memory that can grow past
    /// `SMALL_MEMORY_PAGES` (`gas::LARGE_MEMORY_LOAD_FUEL`).
    pub max_pages: u64,
    /// Defined globals (the instrumented stack counter comes after them).
    pub globals: u32,
    /// Indices of the defined globals that are mutable: with memory, all
    /// the state a message can leave behind in its instance.
    pub mutable_globals: Vec<u32>,
    /// Whether resetting memory and the mutable globals returns an instance
    /// to exactly its state after instantiation: no instruction that
    /// changes a table (passive segments, whose dropped state could not be
    /// reset, are refused outright).
    pub resettable: bool,
    /// Trampolines wasmtime compiles besides the code: one per distinct
    /// function signature and one per function exported or in an element
    /// segment. Each costs as much to compile as a few hundred bytes of
    /// ordinary code, so deploys pay for them (`gas::COMPILE_TRAMPOLINE`).
    pub trampolines: u32,
}

impl ModuleInfo {
    /// Whether the memory may grow past what the caches hold close, which
    /// makes every load dearer.
    pub fn large_memory(&self) -> bool {
        self.max_pages > SMALL_MEMORY_PAGES
    }

    /// Frame cost of function `index` (imported functions cost nothing:
    /// they run on the host).
    pub fn frame_cost(&self, index: u32) -> u32 {
        index
            .checked_sub(self.imported_funcs)
            .and_then(|i| self.frame_costs.get(i as usize).copied())
            .unwrap_or(0)
    }
}

fn limit(what: &str, value: impl std::fmt::Display, max: impl std::fmt::Display) -> DeployError {
    DeployError::Limit(format!("{what}: {value}, limit {max}"))
}

/// Refuses `value` if it is over `max`, naming `what` was counted.
fn within<T: PartialOrd + std::fmt::Display>(
    what: &str,
    value: T,
    max: T,
) -> Result<(), DeployError> {
    if value > max {
        return Err(limit(what, value, max));
    }
    Ok(())
}

fn malformed(e: wasmparser::BinaryReaderError) -> DeployError {
    let msg = e.message().to_string();
    // The validator names disabled proposals in its messages.
    if msg.contains("support is not enabled") || msg.contains("proposal not enabled") {
        DeployError::Unsupported(format!("{msg} (at byte {})", e.offset()))
    } else {
        DeployError::Malformed(format!("{msg} (at byte {})", e.offset()))
    }
}

/// Validates `code` against the deploy rules.
pub fn validate(code: &[u8]) -> Result<ModuleInfo, DeployError> {
    if code.len() > MAX_CODE_SIZE {
        return Err(DeployError::TooLarge(code.len()));
    }
    let mut validator = Validator::new_with_features(features());
    let mut walk = Walk::default();
    let mut allocs = FuncValidatorAllocations::default();
    for payload in Parser::new(0).parse_all(code) {
        let payload = payload.map_err(malformed)?;
        // The deploy rules first, so a module breaking one is refused for
        // it rather than for whatever the validator would say.
        walk.section(&payload)?;
        if let wasmparser::ValidPayload::Func(func, body) =
            validator.payload(&payload).map_err(malformed)?
        {
            let v = func.into_validator(std::mem::take(&mut allocs));
            allocs = walk.function(v, &body)?;
        }
    }
    walk.finish()
}

/// What validation gathers while it walks the module, section by section.
#[derive(Default)]
struct Walk {
    info: ModuleInfo,
    /// Parameter and result types of every function type.
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    memories: u32,
    memory_exported: bool,
    call_export: Option<u32>,
    deploy_export: Option<u32>,
    module_blocks: u32,
    defined_index: u32,
    mutates_tables: bool,
    /// Functions callable from outside the module's own code (exported, or
    /// in an element segment): wasmtime compiles an entry trampoline for
    /// each (see limits::MAX_ESCAPING_FUNCTIONS).
    escaping: std::collections::BTreeSet<u32>,
}

impl Walk {
    /// Applies the deploy rules to one section (function bodies are
    /// checked as the validator hands them out: [`Walk::function`]).
    fn section(&mut self, payload: &Payload) -> Result<(), DeployError> {
        match payload {
            Payload::Version { encoding, .. } if *encoding != wasmparser::Encoding::Module => Err(
                DeployError::Unsupported("components are not supported".into()),
            ),
            Payload::TypeSection(s) => self.types(s),
            Payload::ImportSection(s) => self.imports(s),
            Payload::FunctionSection(s) => {
                within("functions", s.count(), MAX_FUNCTIONS)?;
                for ty in s.clone() {
                    self.info.func_types.push(ty.map_err(malformed)?);
                }
                Ok(())
            }
            Payload::TableSection(s) => {
                within("tables", s.count(), MAX_TABLES)?;
                for t in s.clone() {
                    let t = t.map_err(malformed)?;
                    within("table elements", t.ty.initial, MAX_TABLE_ELEMENTS as u64)?;
                }
                Ok(())
            }
            Payload::MemorySection(s) => {
                for m in s.clone() {
                    let m = m.map_err(malformed)?;
                    self.memories += 1;
                    within("initial memory pages", m.initial, MAX_MEMORY_PAGES)?;
                    self.info.initial_pages = m.initial;
                    self.info.max_pages =
                        m.maximum.unwrap_or(MAX_MEMORY_PAGES).min(MAX_MEMORY_PAGES);
                }
                Ok(())
            }
            Payload::GlobalSection(s) => {
                within("globals", s.count(), MAX_GLOBALS)?;
                self.info.globals = s.count();
                for (i, g) in s.clone().into_iter().enumerate() {
                    if g.map_err(malformed)?.ty.mutable {
                        self.info.mutable_globals.push(i as u32);
                    }
                }
                Ok(())
            }
            Payload::ExportSection(s) => self.exports(s),
            Payload::StartSection { .. } => Err(DeployError::Unsupported(
                "a start function (initialise in the deploy export instead)".into(),
            )),
            Payload::ElementSection(s) => self.elements(s),
            Payload::DataSection(s) => {
                within("data segments", s.count(), MAX_DATA_SEGMENTS)?;
                for d in s.clone() {
                    if matches!(d.map_err(malformed)?.kind, DataKind::Passive) {
                        return Err(DeployError::Unsupported(
                            "passive data segments (memory.init is not supported)".into(),
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Function types only, within the count and arity limits; notes each
    /// type's canonical index (the first with the same signature).
    fn types(&mut self, s: &wasmparser::TypeSectionReader) -> Result<(), DeployError> {
        within("function types", s.count(), MAX_TYPES)?;
        for group in s.clone() {
            let group = group.map_err(malformed)?;
            for ty in group.types() {
                let CompositeInnerType::Func(f) = &ty.composite_type.inner else {
                    return Err(DeployError::Unsupported("only function types".into()));
                };
                let (p, r) = (f.params().len() as u32, f.results().len() as u32);
                within("function parameters", p, MAX_PARAMS)?;
                within("function results", r, MAX_RESULTS)?;
                let sig = (f.params().to_vec(), f.results().to_vec());
                let canon = self
                    .types
                    .iter()
                    .position(|t| *t == sig)
                    .unwrap_or(self.types.len());
                self.info.type_canon.push(canon as u32);
                self.types.push(sig);
            }
        }
        Ok(())
    }

    /// Only the orac host functions, each with its documented type.
    fn imports(&mut self, s: &wasmparser::ImportSectionReader) -> Result<(), DeployError> {
        for import in s.clone().into_imports() {
            let import = import.map_err(malformed)?;
            let unknown = || DeployError::UnknownImport {
                module: import.module.to_string(),
                name: import.name.to_string(),
            };
            if import.module != abi::MODULE {
                return Err(unknown());
            }
            let sig = abi::lookup(import.name).ok_or_else(unknown)?;
            let TypeRef::Func(ty) = import.ty else {
                return Err(unknown());
            };
            match self.types.get(ty as usize) {
                Some((p, r)) if p[..] == *sig.params && r[..] == *sig.results => {}
                _ => {
                    return Err(DeployError::ImportType {
                        name: import.name.to_string(),
                        expected: sig.describe(),
                    });
                }
            }
            self.info.func_types.push(ty);
            self.info.imported_funcs += 1;
        }
        Ok(())
    }

    /// No reserved names; finds the memory and the entry points, and
    /// counts exported functions as escaping.
    fn exports(&mut self, s: &wasmparser::ExportSectionReader) -> Result<(), DeployError> {
        within("exports", s.count(), MAX_EXPORTS)?;
        for e in s.clone() {
            let e = e.map_err(malformed)?;
            match (e.name, e.kind) {
                (name, _) if name.starts_with(abi::RESERVED_EXPORT_PREFIX) => {
                    return Err(DeployError::ReservedExport(e.name.into()));
                }
                ("memory", ExternalKind::Memory) if e.index == 0 => self.memory_exported = true,
                ("call", ExternalKind::Func) => self.call_export = Some(e.index),
                ("deploy", ExternalKind::Func) => self.deploy_export = Some(e.index),
                _ => {}
            }
            if e.kind == ExternalKind::Func {
                self.escaping.insert(e.index);
            }
        }
        Ok(())
    }

    /// Active segments only; counts the functions they name as escaping.
    fn elements(&mut self, s: &wasmparser::ElementSectionReader) -> Result<(), DeployError> {
        within("element segments", s.count(), MAX_ELEMENT_SEGMENTS)?;
        for e in s.clone() {
            let e = e.map_err(malformed)?;
            if matches!(e.kind, ElementKind::Passive) {
                return Err(DeployError::Unsupported(
                    "passive element segments (table.init is not supported)".into(),
                ));
            }
            match e.items {
                ElementItems::Functions(funcs) => {
                    for f in funcs {
                        self.escaping.insert(f.map_err(malformed)?);
                    }
                }
                ElementItems::Expressions(_, exprs) => {
                    for expr in exprs {
                        for op in expr.map_err(malformed)?.get_operators_reader() {
                            if let Operator::RefFunc { function_index } = op.map_err(malformed)? {
                                self.escaping.insert(function_index);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Validates one function body and records its locals and frame cost;
    /// hands back the validator's allocations for the next body.
    fn function(
        &mut self,
        mut v: FuncValidator<ValidatorResources>,
        body: &FunctionBody,
    ) -> Result<FuncValidatorAllocations, DeployError> {
        let index = (self.info.imported_funcs + self.defined_index) as usize;
        let params = self
            .types
            .get(self.info.func_types[index] as usize)
            .map(|t| t.0.len() as u32)
            .unwrap_or(0);
        let mut locals_total = params;
        let mut locals = body.get_locals_reader().map_err(malformed)?;
        for _ in 0..locals.get_count() {
            let offset = locals.original_position();
            let (count, ty) = locals.read().map_err(malformed)?;
            locals_total = locals_total.saturating_add(count);
            within("locals in one function", locals_total, MAX_LOCALS)?;
            v.define_locals(offset, count, ty).map_err(malformed)?;
        }
        let max_stack = self.operators(&mut v, body)?;
        within("operand stack depth", max_stack, MAX_OPERAND_STACK)?;
        self.info
            .frame_costs
            .push(FRAME_OVERHEAD_SLOTS + locals_total + max_stack);
        self.info.local_counts.push(locals_total);
        self.info.declared_locals.push(locals_total - params);
        self.defined_index += 1;
        Ok(v.into_allocations())
    }

    /// Runs a body's instructions through the validator and the
    /// instruction rules; returns the deepest operand stack it reaches.
    fn operators(
        &mut self,
        v: &mut FuncValidator<ValidatorResources>,
        body: &FunctionBody,
    ) -> Result<u32, DeployError> {
        let mut ops = body.get_operators_reader().map_err(malformed)?;
        let mut blocks = 0u32;
        let mut max_stack = 0u32;
        while !ops.eof() {
            let (op, offset) = ops.read_with_offset().map_err(malformed)?;
            match &op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    blocks += 1;
                    self.module_blocks += 1;
                    within("blocks in one function", blocks, MAX_BLOCKS_PER_FUNCTION)?;
                    within(
                        "blocks in the module",
                        self.module_blocks,
                        MAX_BLOCKS_PER_MODULE,
                    )?;
                }
                Operator::BrTable { targets } => {
                    within("br_table targets", targets.len(), MAX_BR_TABLE_TARGETS)?;
                }
                Operator::TableSet { .. } => self.mutates_tables = true,
                _ => {}
            }
            if let Some(name) = refused(&op) {
                return Err(DeployError::Unsupported(format!(
                    "instruction {name} (at byte {offset})"
                )));
            }
            v.op(offset, &op).map_err(malformed)?;
            max_stack = max_stack.max(v.operand_stack_height());
        }
        ops.finish().map_err(malformed)?;
        Ok(max_stack)
    }

    /// The whole-module rules, once every section has been seen.
    fn finish(self) -> Result<ModuleInfo, DeployError> {
        let mut info = self.info;
        if self.memories != 1 || !self.memory_exported {
            return Err(DeployError::MissingExport(
                "memory (exactly one linear memory, exported as \"memory\")",
            ));
        }
        info.call_index = self
            .call_export
            .ok_or(DeployError::MissingExport("call (the message entry point)"))?;
        info.deploy_index = self.deploy_export;
        info.resettable = !self.mutates_tables;
        within(
            "functions exported or in element segments",
            self.escaping.len(),
            MAX_ESCAPING_FUNCTIONS as usize,
        )?;
        let signatures = info
            .type_canon
            .iter()
            .enumerate()
            .filter(|(i, c)| **c as usize == *i)
            .count();
        info.trampolines = (signatures + self.escaping.len()) as u32;
        for index in std::iter::once(info.call_index).chain(info.deploy_index) {
            let ty = info.func_types.get(index as usize).copied();
            let empty = ty
                .and_then(|t| self.types.get(t as usize))
                .is_some_and(|(p, r)| p.is_empty() && r.is_empty());
            if index < info.imported_funcs || !empty {
                return Err(DeployError::MissingExport(
                    "call/deploy must be functions defined by the module, of type [] -> []",
                ));
            }
        }
        Ok(info)
    }
}

/// The text-format name of an instruction the deploy rules refuse, or
/// `None` if they allow it. These do work proportional to an operand,
/// which Winch does not meter (and rustc never emits them): refused rather
/// than priced. memory.fill/copy/grow are routed through metered host
/// functions instead.
fn refused(op: &Operator) -> Option<&'static str> {
    Some(match op {
        Operator::TableGrow { .. } => "table.grow",
        Operator::TableFill { .. } => "table.fill",
        Operator::TableCopy { .. } => "table.copy",
        Operator::TableInit { .. } => "table.init",
        Operator::ElemDrop { .. } => "elem.drop",
        Operator::MemoryInit { .. } => "memory.init",
        Operator::DataDrop { .. } => "data.drop",
        _ => return None,
    })
}
