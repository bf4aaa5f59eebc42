//! `orac db inspect`: what a node's database holds, table by table (as
//! geth's `db inspect`), to see where disk goes.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use orac_state::{Db, DbConfig};

#[derive(Args)]
pub(crate) struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Rows and bytes per table of a stopped node's database.
    Inspect(InspectArgs),
}

#[derive(Args)]
struct InspectArgs {
    /// The node's data directory (the one holding chain.redb).
    #[arg(long)]
    datadir: PathBuf,
}

pub(crate) fn run(args: DbArgs) -> anyhow::Result<()> {
    let DbCommand::Inspect(args) = args.command;
    let path = args.datadir.join("chain.redb");
    if !path.exists() {
        anyhow::bail!("no database at {}", path.display());
    }
    let meta = std::fs::metadata(&path)?;
    let file_bytes = meta.len();
    // redb grows its file ahead of use; unwritten pages take no disk.
    let disk_bytes = std::os::unix::fs::MetadataExt::blocks(&meta) * 512;
    let config = DbConfig {
        cache_size: 16 << 20,
        check_integrity_on_open: false,
        ..DbConfig::default()
    };
    let db = Db::open(&path, &config)
        .with_context(|| format!("cannot open {} (is a node running on it?)", path.display()))?;
    let snapshot = db.snapshot()?;
    let sizes = snapshot.table_sizes()?;
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    println!(
        "{:<22} {:>12} {:>12} {:>12} {:>12}",
        "table", "rows", "data MiB", "tree MiB", "free MiB"
    );
    let (mut data, mut tree, mut free) = (0, 0, 0);
    for t in &sizes {
        println!(
            "{:<22} {:>12} {:>12.1} {:>12.1} {:>12.1}",
            t.name,
            t.entries,
            mib(t.stored_bytes),
            mib(t.metadata_bytes),
            mib(t.fragmented_bytes)
        );
        data += t.stored_bytes;
        tree += t.metadata_bytes;
        free += t.fragmented_bytes;
    }
    println!(
        "{:<22} {:>12} {:>12.1} {:>12.1} {:>12.1}",
        "all tables",
        "",
        mib(data),
        mib(tree),
        mib(free)
    );
    println!(
        "file {:.1} MiB ({:.1} MiB on disk; the rest are holes); pages no table uses: {:.1} MiB",
        mib(file_bytes),
        mib(disk_bytes),
        mib(file_bytes.saturating_sub(data + tree + free))
    );
    let churn = snapshot.journal_churn()?;
    if churn.rows > 0 {
        let share = |n: u64, of: u64| 100.0 * n as f64 / of.max(1) as f64;
        println!(
            "trie journal: {} commits kept; they added {} nodes and replaced {}, \
             {} of them ({:.0} % of the added) added within the same window",
            churn.rows,
            churn.added,
            churn.replaced,
            churn.replaced_from_window,
            share(churn.replaced_from_window, churn.added)
        );
    }
    Ok(())
}
