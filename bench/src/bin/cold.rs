//! `cold`: where loading one compiled contract from disk spends its time
//! (validate, compile, read, hash, deserialize), for the module file given
//! as the argument. The measurement behind the on-disk code cache's design
//! (`vm-adversary`'s cold-code section measures the cache itself).

use std::time::Instant;
fn main() {
    let engine = wasmtime::Engine::new(&orac_vm::engine::engine_config()).unwrap();
    let path = std::env::args().nth(1).unwrap();
    let m = std::fs::read(&path).unwrap();
    let t = Instant::now();
    let info = orac_vm::validate::validate(&m).unwrap();
    let v = t.elapsed();
    let inst = orac_vm::instrument::instrument(&m, &info).unwrap();
    let t = Instant::now();
    let module = wasmtime::Module::new(&engine, &inst).unwrap();
    let c = t.elapsed();
    let bytes = module.serialize().unwrap();
    std::fs::write("/tmp/art.cwasm", &bytes).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let b = std::fs::read("/tmp/art.cwasm").unwrap();
        let r = t.elapsed();
        let t = Instant::now();
        let _ = orac_primitives::keccak256(&b);
        let k = t.elapsed();
        let t = Instant::now();
        let _m = unsafe { wasmtime::Module::deserialize(&engine, &b) }.unwrap();
        let d = t.elapsed();
        let t = Instant::now();
        let _m = unsafe { wasmtime::Module::deserialize_file(&engine, "/tmp/art.cwasm") }.unwrap();
        let df = t.elapsed();
        println!(
            "{} KB wasm -> {} KB artifact; validate {v:?}, compile {c:?}; read {r:?}, keccak {k:?}, deserialize {d:?}, deserialize_file {df:?}",
            m.len() / 1024,
            bytes.len() / 1024
        );
    }
}
