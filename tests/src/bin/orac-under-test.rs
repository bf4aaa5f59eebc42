//! The `orac` command as the end-to-end tests run it: the same
//! [`orac_node::cli::main`] as the `orac` binary, compiled in the tests' own
//! cargo build (so with its features). A `cargo build -p orac-node` from
//! inside a test would resolve features for orac-node alone and compile a
//! second copy of most of the workspace.

fn main() -> anyhow::Result<()> {
    orac_node::cli::main()
}
