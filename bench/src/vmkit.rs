//! Shared by the `vm-bench` and `calibrate` binaries: the benchmark
//! contracts, an in-memory starting state, the block, and timing helpers.

use std::time::Instant;

use orac_primitives::{Address, H256, PrivateKey, U256, keccak256};
use orac_state::Overlay;
use orac_vm::{BlockEnv, FrameResult, TxEnv, Vm};

/// The Rust contracts (bench/contracts/*, built by bench/contracts/build.sh).
pub const TOKEN_WASM: &[u8] = include_bytes!("../contracts/token.wasm");
/// The compute contract, built like [`TOKEN_WASM`].
pub const COMPUTE_WASM: &[u8] = include_bytes!("../contracts/compute.wasm");
/// The Solidity contracts (bench/solidity/*, built by bench/solidity/build.sh).
pub const TOKEN_BIN: &str = include_str!("../solidity/Token.bin");
/// The compute contract's Solidity creation code, as [`TOKEN_BIN`].
pub const COMPUTE_BIN: &str = include_str!("../solidity/Compute.bin");

/// Selector of `transfer(address,uint256)`.
pub const SEL_TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
/// Selector of `balanceOf(address)`.
pub const SEL_BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
/// Selector of the compute contract's `work(uint256)`.
pub const SEL_WORK: [u8; 4] = [0x58, 0x58, 0xd1, 0x61];

/// The benchmark block's chain id.
pub const CHAIN_ID: u64 = 1337;
/// The benchmark block's fee recipient.
pub const COINBASE: Address = Address::repeat_byte(0xcb);
/// The benchmark block's base fee, in wei (1 gwei).
pub const BASE_FEE: u64 = 1_000_000_000;

/// The bytes of committed hex bytecode (a solc `.bin`).
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.trim()).expect("committed bytecode is hex")
}

/// A starting state held in memory: what the overlay reads through.
pub use orac_state::MemState;

/// The block every benchmark call runs in: fixed, so runs compare.
pub fn block_env() -> BlockEnv {
    BlockEnv {
        number: 1,
        timestamp: 1_700_000_000,
        coinbase: COINBASE,
        base_fee: U256::from(BASE_FEE),
        gas_limit: 30_000_000,
        chain_id: CHAIN_ID,
        prev_randao: H256::repeat_byte(0x5e),
    }
}

/// A transaction from `origin` in [`block_env`], paying the base fee.
pub fn tx_env(origin: Address) -> TxEnv {
    TxEnv {
        block: block_env(),
        origin,
        gas_price: U256::from(BASE_FEE),
        access_list: Vec::new(),
    }
}

/// A deterministic key: keccak256 of a label.
pub fn key(label: &str) -> PrivateKey {
    PrivateKey::from_bytes(keccak256(label.as_bytes()).as_bytes()).expect("a valid key")
}

/// A 32-byte ABI word holding an address.
pub fn addr_word(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_bytes());
    w
}

/// A 32-byte ABI word holding `v`.
pub fn u256_word(v: U256) -> [u8; 32] {
    v.to_big_endian()
}

/// Calldata of `transfer(to, amount)`.
pub fn transfer_input(to: &Address, amount: U256) -> Vec<u8> {
    let mut v = SEL_TRANSFER.to_vec();
    v.extend_from_slice(&addr_word(to));
    v.extend_from_slice(&u256_word(amount));
    v
}

/// Calldata of `work(n)`.
pub fn work_input(n: u64) -> Vec<u8> {
    let mut v = SEL_WORK.to_vec();
    v.extend_from_slice(&u256_word(U256::from(n)));
    v
}

/// Solidity's slot of `balanceOf[a]` (mapping at slot 0).
pub fn balance_slot(a: &Address) -> H256 {
    let mut pre = [0u8; 64];
    pre[..32].copy_from_slice(&addr_word(a));
    keccak256(pre)
}

/// A small deterministic PRNG (splitmix64), so every run does the same work.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number below `n` (slightly biased; fine for picking work).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The median of `v` (NaN for none): robust to the odd slow run.
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Seconds `f` takes.
pub fn secs(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// A message call through the VM (must run on the execution stack).
pub fn vm_call(
    vm: &Vm,
    state: &mut Overlay,
    from: Address,
    to: Address,
    input: &[u8],
    gas: u64,
) -> FrameResult {
    vm.call(
        state,
        tx_env(from),
        from,
        to,
        U256::zero(),
        input,
        gas,
        false,
    )
    .expect("in-memory state never fails")
}

/// Deploys `module` (wrapped in the deploy envelope) at `address`.
pub fn vm_deploy(vm: &Vm, state: &mut Overlay, from: Address, address: Address, module: &[u8]) {
    let data = orac_vm::envelope::wrap(module);
    let r = vm
        .create(
            state,
            tx_env(from),
            from,
            address,
            U256::zero(),
            &data,
            100_000_000,
        )
        .expect("in-memory state never fails");
    assert!(r.success, "deploy failed: {:?}", r.error);
}

/// Formats a number with thousands separators.
pub fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let (sign, digits) = s.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", &s));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}
