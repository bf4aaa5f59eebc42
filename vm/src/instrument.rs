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
//! It also exports the module's mutable globals (`__orac_global_<index>`),
//! which the VM resets when it reuses an instance.
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

use crate::host::abi::{GLOBAL_EXPORT_PREFIX, STACK_GLOBAL};
use crate::limits::{FRAME_OVERHEAD_SLOTS, MAX_STACK_SLOTS};
use crate::validate::{DeployError, ModuleInfo};

struct StackInstrumenter<'a> {
    info: &'a ModuleInfo,
    /// Index of the injected global (after every defined global).
    stack_global: u32,
    /// Cost charged for a `call_indirect` of each type index.
    indirect_cost: HashMap<u32, u32>,
    global_emitted: bool,
}

impl Reencode for StackInstrumenter<'_> {
    type Error = DeployError;

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        utils::parse_global_section(self, globals, section)?;
        globals.global(stack_global_type(), &ConstExpr::i32_const(0));
        self.global_emitted = true;
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
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
            globals.global(stack_global_type(), &ConstExpr::i32_const(0));
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
        let mut f = self.new_function_with_parsed_locals(&func)?;
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
            let instruction = self.instruction(op)?;
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

fn stack_global_type() -> GlobalType {
    GlobalType {
        val_type: ValType::I32,
        mutable: true,
        shared: false,
    }
}

impl StackInstrumenter<'_> {
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
        indirect_cost,
        global_emitted: false,
    };
    let mut module = wasm_encoder::Module::new();
    reencoder
        .parse_core_module(&mut module, wasmparser::Parser::new(0), code)
        .map_err(|e| DeployError::Malformed(format!("instrumentation failed: {e}")))?;
    Ok(module.finish())
}
