//! `orac`: the command-line entry point ([`orac_node::cli`]).

fn main() -> anyhow::Result<()> {
    orac_node::cli::main()
}
