//! Deterministic stack bounding.
//!
//! wasmtime's own stack-overflow trap fires at a depth that depends on the
//! machine, the compiler and the frame layout — different nodes could
//! disagree on whether a deep call succeeds. So before compiling, every
//! module is rewritten to keep its own count:
//!
//! * a mutable i32 global, exported as `__orac_stack`, holds the stack
//!   height in *slots*;
//! * around every `call` to a defined function and every `call_indirect`,
//!   the callee's frame cost is added, checked against the limit (trapping
//!   with `unreachable` if exceeded) and subtracted again on return.
//!
//! It also keeps track of which parts of linear memory a message wrote, so
//! that an instance the VM reuses is reset cheaply (`instance.rs`):
//!
//! * a second mutable global, the *dirty mask* (i64, exported as
//!   `__orac_dirty`), has bit `c` set when a byte of the 2 KiB chunk `c`
//!   may have been written;
//! * before every store the chunk of its effective address is marked; a
//!   store of up to 8 bytes can spill into the next chunk, which the reset
//!   accounts for;
//! * the host marks what host functions write (`host::write`), including
//!   `memory.fill` and `memory.copy`, which run on the host (below).
//!
//! And it makes every instruction whose work grows with an operand pay for
//! that work before doing it. Winch meters a fixed fuel cost per
//! instruction, so `memory.fill`, `memory.copy` and `memory.grow` become
//! calls to host functions appended to the module's imports
//! (`abi::INTERNAL_FUNCTIONS`), which charge per byte or per page first
//! (`host::bulk`). The module's own functions move up by that many indices.
//!
//! Marks beyond bit 63 wrap (shifts are modulo 64): only instances of at
//! most 128 KiB of memory are reused, where no store that succeeds can
//! reach past bit 63; marking too much is harmless. The module's mutable
//! globals are exported too (`__orac_global_<index>`), to be reset.
//!
//! A frame's cost is `FRAME_OVERHEAD_SLOTS + params + locals + max operand
//! stack`, computed by the validator. For `call_indirect` the callee is not
//! known statically, so the most expensive function of a matching signature
//! is charged. The host seeds the counter of each new instance with the
//! height of the frames already running in the transaction (nested calls
//! share one budget) and charges the entry function itself.

use std::collections::HashMap;

use wasm_encoder::reencode::{Reencode, utils};
use wasm_encoder::{ConstExpr, ExportKind, Function, GlobalType, Instruction, SectionId, ValType};
use wasmparser::Operator;

use crate::gas;
use crate::host::abi::{
    DIRTY_GLOBAL, GLOBAL_EXPORT_PREFIX, INTERNAL_FUNCTIONS, MEMORY_COPY, MEMORY_FILL, MEMORY_GROW,
    MODULE, STACK_GLOBAL,
};
use crate::instance::DIRTY_CHUNK_SHIFT;
use crate::limits::{FRAME_OVERHEAD_SLOTS, MAX_STACK_SLOTS};
use crate::validate::{DeployError, ModuleInfo};

struct StackInstrumenter<'a> {
    info: &'a ModuleInfo,
    /// Index of the injected stack counter (after every defined global).
    stack_global: u32,
    /// Index of the injected dirty mask (after the stack counter).
    dirty_global: u32,
    /// Defined-function index of the next body.
    next_body: u32,
    /// Cost charged for a `call_indirect` of each type index.
    indirect_cost: HashMap<u32, u32>,
    global_emitted: bool,
    imports_emitted: bool,
    /// Type index of the first internal function's type (appended after
    /// the module's types, one per internal function).
    first_internal_type: u32,
}

impl Reencode for StackInstrumenter<'_> {
    type Error = DeployError;

    fn function_index(
        &mut self,
        func: u32,
    ) -> Result<u32, wasm_encoder::reencode::Error<DeployError>> {
        Ok(if func < self.info.imported_funcs {
            func
        } else {
            func + INTERNAL_FUNCTIONS.len() as u32
        })
    }

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        utils::parse_type_section(self, types, section)?;
        for sig in INTERNAL_FUNCTIONS {
            types.ty().function(
                sig.params.iter().map(|t| val_type(*t)),
                sig.results.iter().map(|t| val_type(*t)),
            );
        }
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        utils::parse_import_section(self, imports, section)?;
        self.add_imports(imports);
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        utils::parse_global_section(self, globals, section)?;
        add_globals(globals);
        self.global_emitted = true;
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        // A module without imports gets an import section for the internal
        // functions just before the first section that must follow it.
        if !self.imports_emitted
            && !matches!(
                before,
                Some(SectionId::Type | SectionId::Import | SectionId::Custom)
            )
        {
            let mut imports = wasm_encoder::ImportSection::new();
            self.add_imports(&mut imports);
            module.section(&imports);
        }
        // A module without globals gets a global section just before the
        // first section that must follow it.
        let follows_globals = match before {
            None => true,
            Some(id) => matches!(
                id,
                SectionId::Export
                    | SectionId::Start
                    | SectionId::Element
                    | SectionId::DataCount
                    | SectionId::Code
                    | SectionId::Data
            ),
        };
        if !self.global_emitted && follows_globals && before != Some(SectionId::Global) {
            let mut globals = wasm_encoder::GlobalSection::new();
            add_globals(&mut globals);
            module.section(&globals);
            self.global_emitted = true;
        }
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        utils::parse_export_section(self, exports, section)?;
        exports.export(STACK_GLOBAL, ExportKind::Global, self.stack_global);
        exports.export(DIRTY_GLOBAL, ExportKind::Global, self.dirty_global);
        // Mutable globals are exported so that an instance kept for reuse
        // can be reset (see `instance.rs`); nothing else can reach them.
        for g in &self.info.mutable_globals {
            exports.export(
                &format!("{GLOBAL_EXPORT_PREFIX}{g}"),
                ExportKind::Global,
                *g,
            );
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        let mut locals = Vec::new();
        for pair in func.get_locals_reader()? {
            let (count, ty) = pair?;
            locals.push((count, self.val_type(ty)?));
        }
        // Scratch locals for the memory marks, after the function's own.
        let first = self
            .info
            .local_counts
            .get(self.next_body as usize)
            .copied()
            .unwrap_or(0);
        self.next_body += 1;
        let scratch = Scratch {
            addr: first,
            x: first + 1,
            i64: first + 2,
            f32: first + 3,
            f64: first + 4,
        };
        // SCRATCH_LOCALS of them.
        locals.extend([
            (2, ValType::I32),
            (1, ValType::I64),
            (1, ValType::F32),
            (1, ValType::F64),
        ]);
        let mut f = Function::new(locals);
        // Every call zeroes the function's declared locals and the scratch
        // locals: charged on entry, as `nop`s (free at run time,
        // `gas::NOP_FUEL` each).
        let zeroed = self
            .info
            .declared_locals
            .get(self.next_body as usize - 1)
            .copied()
            .unwrap_or(0)
            + SCRATCH_LOCALS;
        for _ in 0..gas::local_zeroing_nops(zeroed) {
            f.instruction(&Instruction::Nop);
        }
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            let cost = match &op {
                Operator::Call { function_index }
                    if *function_index >= self.info.imported_funcs =>
                {
                    Some(self.info.frame_cost(*function_index))
                }
                Operator::CallIndirect { type_index, .. } => Some(
                    self.indirect_cost
                        .get(type_index)
                        .copied()
                        .unwrap_or(FRAME_OVERHEAD_SLOTS),
                ),
                _ => None,
            };
            if let Some(Write::Store { offset, value }) = writes(&op, &scratch) {
                self.mark_store(&mut f, &scratch, offset, value);
            }
            if self.info.large_memory() && is_load(&op) {
                for _ in 0..gas::LARGE_MEMORY_LOAD_NOPS {
                    f.instruction(&Instruction::Nop);
                }
            }
            let internal = match &op {
                Operator::MemoryFill { .. } => Some(MEMORY_FILL),
                Operator::MemoryCopy { .. } => Some(MEMORY_COPY),
                Operator::MemoryGrow { .. } => Some(MEMORY_GROW),
                _ => None,
            };
            let instruction = match internal {
                // Same operands and results as the instruction it replaces
                // (a module has one memory, so its index is always 0).
                Some(i) => Instruction::Call(self.info.imported_funcs + i),
                None => self.instruction(op)?,
            };
            match cost {
                Some(cost) => {
                    self.enter(&mut f, cost);
                    f.instruction(&instruction);
                    self.leave(&mut f, cost);
                }
                None => {
                    f.instruction(&instruction);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}

/// How many scratch locals every function gets.
const SCRATCH_LOCALS: u32 = 5;

/// The scratch locals added to every function.
struct Scratch {
    addr: u32,
    x: u32,
    i64: u32,
    f32: u32,
    f64: u32,
}

/// How an instruction writes linear memory.
enum Write {
    /// A store at `address + offset`; `value` is the local that holds the
    /// stored value while the mark is computed.
    Store { offset: u64, value: u32 },
}

fn writes(op: &Operator, s: &Scratch) -> Option<Write> {
    let store = |memarg: &wasmparser::MemArg, value| {
        Some(Write::Store {
            offset: memarg.offset,
            value,
        })
    };
    match op {
        Operator::I32Store { memarg }
        | Operator::I32Store8 { memarg }
        | Operator::I32Store16 { memarg } => store(memarg, s.x),
        Operator::I64Store { memarg }
        | Operator::I64Store8 { memarg }
        | Operator::I64Store16 { memarg }
        | Operator::I64Store32 { memarg } => store(memarg, s.i64),
        Operator::F32Store { memarg } => store(memarg, s.f32),
        Operator::F64Store { memarg } => store(memarg, s.f64),
        _ => None,
    }
}

fn is_load(op: &Operator) -> bool {
    matches!(
        op,
        Operator::I32Load { .. }
            | Operator::I64Load { .. }
            | Operator::F32Load { .. }
            | Operator::F64Load { .. }
            | Operator::I32Load8S { .. }
            | Operator::I32Load8U { .. }
            | Operator::I32Load16S { .. }
            | Operator::I32Load16U { .. }
            | Operator::I64Load8S { .. }
            | Operator::I64Load8U { .. }
            | Operator::I64Load16S { .. }
            | Operator::I64Load16U { .. }
            | Operator::I64Load32S { .. }
            | Operator::I64Load32U { .. }
    )
}

/// The injected globals: the stack counter, then the dirty mask.
fn add_globals(globals: &mut wasm_encoder::GlobalSection) {
    let mutable = |val_type| GlobalType {
        val_type,
        mutable: true,
        shared: false,
    };
    globals.global(mutable(ValType::I32), &ConstExpr::i32_const(0));
    globals.global(mutable(ValType::I64), &ConstExpr::i64_const(0));
}

impl StackInstrumenter<'_> {
    /// Appends the internal host functions to an import section.
    fn add_imports(&mut self, imports: &mut wasm_encoder::ImportSection) {
        for (i, sig) in INTERNAL_FUNCTIONS.iter().enumerate() {
            imports.import(
                MODULE,
                sig.name,
                wasm_encoder::EntityType::Function(self.first_internal_type + i as u32),
            );
        }
        self.imports_emitted = true;
    }

    fn enter(&self, f: &mut Function, cost: u32) {
        let g = self.stack_global;
        f.instruction(&Instruction::GlobalGet(g))
            .instruction(&Instruction::I32Const(cost as i32))
            .instruction(&Instruction::I32Add)
            .instruction(&Instruction::GlobalSet(g))
            .instruction(&Instruction::GlobalGet(g))
            .instruction(&Instruction::I32Const(MAX_STACK_SLOTS as i32))
            .instruction(&Instruction::I32GtU)
            .instruction(&Instruction::If(wasm_encoder::BlockType::Empty))
            .instruction(&Instruction::Unreachable)
            .instruction(&Instruction::End);
    }

    /// `[addr value] -> [addr value]`, marking the chunk of
    /// `addr + offset`.
    fn mark_store(&self, f: &mut Function, s: &Scratch, offset: u64, value: u32) {
        f.instruction(&Instruction::LocalSet(value))
            .instruction(&Instruction::LocalTee(s.addr))
            .instruction(&Instruction::GlobalGet(self.dirty_global))
            .instruction(&Instruction::I64Const(1))
            .instruction(&Instruction::LocalGet(s.addr));
        if offset != 0 {
            // Wraps past 4 GiB, where the store itself traps.
            f.instruction(&Instruction::I32Const(offset as u32 as i32))
                .instruction(&Instruction::I32Add);
        }
        f.instruction(&Instruction::I32Const(DIRTY_CHUNK_SHIFT as i32))
            .instruction(&Instruction::I32ShrU)
            .instruction(&Instruction::I64ExtendI32U)
            .instruction(&Instruction::I64Shl)
            .instruction(&Instruction::I64Or)
            .instruction(&Instruction::GlobalSet(self.dirty_global))
            .instruction(&Instruction::LocalGet(value));
    }

    fn leave(&self, f: &mut Function, cost: u32) {
        let g = self.stack_global;
        f.instruction(&Instruction::GlobalGet(g))
            .instruction(&Instruction::I32Const(cost as i32))
            .instruction(&Instruction::I32Sub)
            .instruction(&Instruction::GlobalSet(g));
    }
}

/// Rewrites a validated module with the stack counter.
pub fn instrument(code: &[u8], info: &ModuleInfo) -> Result<Vec<u8>, DeployError> {
    // call_indirect checks signatures structurally, so group functions by
    // their type's canonical signature.
    let mut by_sig: HashMap<u32, u32> = HashMap::new();
    for (i, ty) in info.func_types.iter().enumerate() {
        let canon = info.type_canon.get(*ty as usize).copied().unwrap_or(*ty);
        let cost = info.frame_cost(i as u32);
        let e = by_sig.entry(canon).or_insert(FRAME_OVERHEAD_SLOTS);
        *e = (*e).max(cost);
    }
    let indirect_cost = info
        .type_canon
        .iter()
        .enumerate()
        .map(|(t, canon)| {
            (
                t as u32,
                by_sig.get(canon).copied().unwrap_or(FRAME_OVERHEAD_SLOTS),
            )
        })
        .collect();
    let mut reencoder = StackInstrumenter {
        info,
        stack_global: info.globals,
        dirty_global: info.globals + 1,
        next_body: 0,
        indirect_cost,
        global_emitted: false,
        imports_emitted: false,
        first_internal_type: info.type_canon.len() as u32,
    };
    let mut module = wasm_encoder::Module::new();
    reencoder
        .parse_core_module(&mut module, wasmparser::Parser::new(0), code)
        .map_err(|e| DeployError::Malformed(format!("instrumentation failed: {e}")))?;
    Ok(module.finish())
}

fn val_type(t: wasmparser::ValType) -> ValType {
    match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        // Internal functions take and return numbers only.
        _ => ValType::I32,
    }
}
