//! Embeds the contract SDK's sources (contracts/sdk, contracts/sdk-macros,
//! and oracle/abi, the oracle registry's ABI the SDK depends on) and the
//! workspace's Cargo.toml and Cargo.lock in orac-build, so that
//! `orac new` can write a crate that builds anywhere: with the SDK copied
//! into it and the dependency versions this workspace was built and tested
//! with (src/scaffold.rs). The file list is read from the directories here
//! rather than kept by hand, so a new SDK source file cannot be left out.

use std::path::{Path, PathBuf};

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let contracts = here.parent().expect("contracts/build has a parent");
    let workspace = contracts.parent().expect("contracts/ is in the workspace");
    let mut code = String::from(
        "/// The SDK's files: (path under `vendor/`, contents), manifests first.\n\
         pub(crate) const SDK_FILES: &[(&str, &str)] = &[\n",
    );
    // Vendored under their package names: what a reader of the new crate's
    // Cargo.toml looks for.
    for (root, package) in [
        (contracts.join("sdk"), "orac-sdk"),
        (contracts.join("sdk-macros"), "orac-sdk-macros"),
        (workspace.join("oracle").join("abi"), "orac-oracle-abi"),
    ] {
        println!("cargo:rerun-if-changed={}", root.display());
        let mut files = vec![root.join("Cargo.toml")];
        rust_sources(&root.join("src"), &mut files);
        for file in files {
            let rel = file.strip_prefix(&root).expect("under the crate");
            let rel = rel.to_str().expect("UTF-8 path").replace('\\', "/");
            code.push_str(&format!(
                "    ({:?}, include_str!({:?})),\n",
                format!("{package}/{rel}"),
                file.display().to_string()
            ));
        }
    }
    code.push_str("];\n");
    for (name, file) in [
        ("WORKSPACE_MANIFEST", "Cargo.toml"),
        ("WORKSPACE_LOCK", "Cargo.lock"),
    ] {
        code.push_str(&format!(
            "pub(crate) const {name}: &str = include_str!({:?});\n",
            workspace.join(file).display().to_string()
        ));
    }
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("sdk_files.rs"), code).expect("write OUT_DIR/sdk_files.rs");
}
