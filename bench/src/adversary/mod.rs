//! The adversarial benchmark behind `vm-adversary`: contract shapes an
//! attacker would write, run through the real VM and measured against a
//! reference loop in the same run.
//!
//! * [`time`]: nanoseconds per gas of hand-written shape families (control
//!   flow, locals, memory access patterns, bulk memory, host calls, calls,
//!   growth, creation) at several sizes;
//! * [`search`]: random loop bodies over the whole instruction set the
//!   deploy rules admit, hill-climbed towards the slowest per gas;
//! * [`stack`]: native stack bytes per charged stack slot of frame shapes,
//!   generated and hand-written;
//! * [`compile`]: compile time per KB and peak memory of module shapes,
//!   known bombs and a random search;
//! * [`cold`]: calls to contracts whose compiled code is on disk only.
//!
//! The gas schedule's rule is that no admitted module runs slower than 10×
//! the reference per gas (docs/gas.md); this is where that is checked.

pub mod cold;
pub mod compile;
pub mod search;
pub mod stack;
pub mod time;
pub mod wat;

use std::time::Instant;

use orac_primitives::{Address, U256};
use orac_state::Overlay;
use orac_vm::{FrameResult, Vm, VmConfig};

use crate::vmkit::{MemState, median, tx_env};

/// The account that sends every call, funded.
pub const SENDER: Address = Address::repeat_byte(0xa1);
/// Where the shape under test lives.
pub const TARGET: Address = Address::repeat_byte(0xc0);
/// Where a shape's helper contract lives (e.g. the callee of a call loop).
pub const HELPER: Address = Address::repeat_byte(0xc1);

/// A contract to measure: its module, the calldata it is called with, and
/// an optional helper contract installed at [`HELPER`].
#[derive(Clone)]
pub struct Shape {
    /// The shape's name in the report.
    pub name: String,
    /// The contract's module.
    pub module: Vec<u8>,
    /// The calldata of every call.
    pub input: Vec<u8>,
    /// A contract installed at [`HELPER`], if the shape calls one.
    pub helper: Option<Vec<u8>>,
    /// Run with the VM's module cache empty, so code it makes (say, the
    /// modules it creates) is compiled in every run, not just the warm-up.
    pub cold: bool,
}

impl Shape {
    /// A shape called with empty calldata, no helper, caches warm.
    pub fn new(name: impl Into<String>, module: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            module,
            input: Vec::new(),
            helper: None,
            cold: false,
        }
    }

    /// A shape run with the module cache empty (see [`Shape::cold`]).
    pub fn cold(name: impl Into<String>, module: Vec<u8>) -> Self {
        Self {
            cold: true,
            ..Self::new(name, module)
        }
    }

    /// The same shape called with `input`.
    pub fn input(mut self, input: Vec<u8>) -> Self {
        self.input = input;
        self
    }

    /// The same shape with `module` installed at [`HELPER`].
    pub fn helper(mut self, module: Vec<u8>) -> Self {
        self.helper = Some(module);
        self
    }
}

/// One timed run.
#[derive(Clone, Debug)]
pub struct Run {
    /// Wall time of the call, in seconds.
    pub secs: f64,
    /// Gas it used.
    pub gas: u64,
    /// How it ended (out of gas, for the shapes meant to run forever).
    pub result: FrameResult,
}

impl Run {
    /// Nanoseconds per gas: the figure the 10x rule bounds.
    pub fn ns_per_gas(&self) -> f64 {
        self.secs * 1e9 / self.gas.max(1) as f64
    }
}

/// Runs shapes on one VM (module caches warm after the first run, as on a
/// node that has seen the contract before).
pub struct Runner {
    /// The VM every shape runs on.
    pub vm: Vm,
}

impl Default for Runner {
    fn default() -> Self {
        Self::new()
    }
}

impl Runner {
    /// A runner on a VM with the default configuration.
    pub fn new() -> Self {
        Self {
            vm: Vm::new(&VmConfig::default()).expect("engine"),
        }
    }

    /// A fresh state with the sender funded and the shape (and its helper)
    /// installed as deployed code.
    pub fn state(&self, shape: &Shape) -> Overlay {
        let mut st = MemState::default();
        st.fund(SENDER, U256::from(10u64).pow(U256::from(30)));
        st.install(TARGET, &shape.module);
        if let Some(h) = &shape.helper {
            st.install(HELPER, h);
        }
        st.overlay()
    }

    /// Runs `shape` once with `gas`, on a fresh state. Must be called on
    /// the execution stack (`orac_vm::on_execution_stack`).
    pub fn run(&self, shape: &Shape, gas: u64) -> Run {
        let mut state = self.state(shape);
        if shape.cold {
            self.vm.engine().clear_memory_cache();
        }
        let t = Instant::now();
        let result = self
            .vm
            .call(
                &mut state,
                tx_env(SENDER),
                SENDER,
                TARGET,
                U256::zero(),
                &shape.input,
                gas,
                false,
            )
            .expect("in-memory state never fails");
        let secs = t.elapsed().as_secs_f64();
        Run {
            secs,
            gas: gas - result.gas_left,
            result,
        }
    }

    /// Median ns/gas of `runs` runs after a warm-up (which compiles the
    /// code), with the last run's result.
    pub fn measure(&self, shape: &Shape, gas: u64, runs: usize) -> (f64, Run) {
        let mut last = self.run(shape, gas);
        let mut v = Vec::new();
        for _ in 0..runs.max(1) {
            last = self.run(shape, gas);
            v.push(last.ns_per_gas());
        }
        (median(&v), last)
    }
}
