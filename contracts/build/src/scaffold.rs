//! `orac new`: a contract crate that builds anywhere.
//!
//! The new crate carries its own copy of the SDK (`vendor/orac-sdk`,
//! `vendor/orac-sdk-macros` and `vendor/orac-oracle-abi`, the oracle
//! registry's ABI the SDK uses; embedded in this library at build time by
//! build.rs) and depends on it by relative path, plus a `Cargo.lock`
//! pinning the SDK's dependencies to the versions this workspace's own
//! Cargo.lock was built and tested with. Why a copy, and not the
//! alternatives:
//!
//! * A path to the SDK where `orac` was built (what `orac new` used to
//!   write) only works on that machine, in that checkout: an installed
//!   `orac` scaffolds crates that build nowhere else.
//! * A git dependency on the project's repository needs the network on
//!   every fresh machine (CI included) and a published tag matching this
//!   `orac`; nothing here can guarantee either.
//! * A path `orac` fills in at build time would leave `cargo test` (which
//!   never goes through `orac`) without the SDK.
//!
//! The copy builds offline, with plain cargo, from any directory (moved,
//! cloned, on another machine), and the crate's directory is then all the
//! source a module is built from: what someone verifying a deployed
//! contract against its sources needs, as with Foundry's `lib/`. The cost:
//! the SDK does not change under the crate when `orac` is upgraded;
//! `vendor/README.md` says how to move to another version.
//!
//! The lockfile pins every crate the SDK needs at the version in the
//! workspace's Cargo.lock, so a machine that built `orac` from this
//! repository already has all of them: a first build needs no network.
//! It is the SDK's part of the workspace lock, trimmed by cargo itself
//! (`cargo update --workspace --offline`, which keeps every locked version
//! and drops what the new crate's features do not use), so that cargo
//! finds nothing to change and `--locked` builds pass. Without cargo (or
//! its offline index) the untrimmed lock is left: same versions, and the
//! first build trims it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/sdk_files.rs"));

/// The SDK version this library embeds (the workspace's version).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The counter contract `orac new` writes, with `Counter` renamed.
const TEMPLATE: &str = include_str!("../template/lib.rs");

/// Packages the new crate vendors; a crate of the same name would clash.
const VENDORED: [&str; 3] = ["orac-sdk", "orac-sdk-macros", "orac-oracle-abi"];

/// Why `orac new` could not write the crate.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// Not a name cargo accepts for a package.
    #[error(
        "{0:?} is not a valid crate name (letters, digits, - and _, not starting with a digit)"
    )]
    InvalidName(String),
    /// The name of a crate the scaffold vendors.
    #[error("{0:?} is the name of the SDK crate the new crate vendors: pick another")]
    Reserved(String),
    /// Something is already at the new crate's path.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The SDK or lockfile embedded at build time is not what this code
    /// expects (a bug of this build of orac, caught by its unit tests).
    #[error("the SDK embedded in this orac is inconsistent: {0}")]
    Embedded(String),
}

/// A crate [`new_crate`] wrote.
#[derive(Clone, Debug)]
pub struct NewCrate {
    /// The new crate's directory.
    pub root: PathBuf,
    /// Whether cargo trimmed Cargo.lock to what the crate uses (see the
    /// module's documentation); if not, its first build will.
    pub lock_trimmed: bool,
}

/// Writes a new contract crate `name` in `parent` (which must not hold a
/// `name` already).
pub fn new_crate(parent: &Path, name: &str) -> Result<NewCrate, ScaffoldError> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return Err(ScaffoldError::InvalidName(name.to_string()));
    }
    // `orac_sdk` and `orac-sdk` are the same crate name to rustc.
    if VENDORED.contains(&name.replace('_', "-").as_str()) {
        return Err(ScaffoldError::Reserved(name.to_string()));
    }
    let root = parent.join(name);
    if root.exists() {
        return Err(ScaffoldError::Exists(root));
    }
    let files = [
        ("Cargo.toml".to_string(), manifest(name)),
        ("Cargo.lock".to_string(), lockfile(name)?),
        (".gitignore".to_string(), "/target\n/out\n".to_string()),
        (
            "src/lib.rs".to_string(),
            TEMPLATE.replace("Counter", &type_name(name)),
        ),
    ];
    for (path, text) in files.into_iter().chain(vendored_sdk()?) {
        write(&root.join(path), &text)?;
    }
    let lock_trimmed = std::process::Command::new("cargo")
        .args(["update", "--workspace", "--offline", "--quiet"])
        .current_dir(&root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    Ok(NewCrate { root, lock_trimmed })
}

fn write(path: &Path, text: &str) -> Result<(), ScaffoldError> {
    let io = |source| ScaffoldError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}

/// `my-token` → `MyToken`: the contract's type name.
fn type_name(name: &str) -> String {
    name.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn manifest(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
# The orac SDK {SDK_VERSION}, copied here by `orac new` so that this crate
# builds anywhere, offline too (see vendor/README.md).
orac-sdk = {{ path = "vendor/orac-sdk" }}

# A contract crate is its own workspace (the vendored SDK is part of it).
[workspace]
"#
    )
}

fn vendor_readme() -> String {
    format!(
        r#"# The orac contract SDK {SDK_VERSION}, vendored

`orac new` copied the contract SDK (`orac-sdk`, its procedural macros
`orac-sdk-macros` and the oracle registry's ABI `orac-oracle-abi`) of orac
{SDK_VERSION} here, and the crate depends on it by
relative path. So the crate:

* builds on any machine, with plain `cargo` or `orac build`, without an orac
  checkout; `Cargo.lock` pins the SDK's dependencies (from crates.io) to
  the versions orac {SDK_VERSION} was tested with, so a machine that built orac
  needs no network at all;
* builds the same bytes wherever it is built: these sources and
  `Cargo.lock` are everything the module is made of, which is what anyone
  verifying the deployed contract against its sources needs.

Leave these files as they are. To move to another SDK version, replace the
three directories with those of a crate made by that version's `orac new`; the
next build adjusts `Cargo.lock` if the SDK's dependencies changed.
"#
    )
}

/// The SDK's files under `vendor/`, their manifests made standalone (the
/// originals inherit version, edition and license from the workspace).
fn vendored_sdk() -> Result<Vec<(String, String)>, ScaffoldError> {
    let workspace: toml::Table = WORKSPACE_MANIFEST
        .parse()
        .map_err(|e| ScaffoldError::Embedded(format!("workspace Cargo.toml: {e}")))?;
    let inherited = workspace
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.as_table())
        .ok_or_else(|| ScaffoldError::Embedded("no [workspace.package]".into()))?;
    let mut out = vec![("vendor/README.md".to_string(), vendor_readme())];
    for (path, text) in SDK_FILES {
        let text = if path.ends_with("/Cargo.toml") {
            standalone_manifest(path, text, inherited)?
        } else {
            text.to_string()
        };
        out.push((format!("vendor/{path}"), text));
    }
    Ok(out)
}

fn standalone_manifest(
    path: &str,
    text: &str,
    inherited: &toml::Table,
) -> Result<String, ScaffoldError> {
    let bad = |what: String| ScaffoldError::Embedded(format!("{path}: {what}"));
    let mut out = format!("# Copied from orac {SDK_VERSION} by `orac new` (see ../README.md).\n");
    for line in text.lines() {
        let inherits = line
            .trim()
            .strip_suffix(".workspace = true")
            .filter(|k| !k.contains([' ', '=']));
        let line = match inherits {
            Some(key) => {
                let value = inherited
                    .get(key)
                    .ok_or_else(|| bad(format!("{key} is not in [workspace.package]")))?;
                format!("{key} = {value}")
            }
            // The macros and the oracle ABI sit next to the SDK, under
            // their package names.
            None => line
                .replace("path = \"../sdk-macros\"", "path = \"../orac-sdk-macros\"")
                .replace(
                    "path = \"../../oracle/abi\"",
                    "path = \"../orac-oracle-abi\"",
                ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    // What cargo will read must not refer to a workspace, or to a
    // directory that is not vendored.
    let doc: toml::Table = out.parse().map_err(|e| bad(format!("{e}")))?;
    let inheriting = |t: Option<&toml::Value>| {
        t.and_then(|t| t.as_table())
            .into_iter()
            .flatten()
            .any(|(_, v)| v.get("workspace").is_some())
    };
    if inheriting(doc.get("package")) {
        return Err(bad("still inherits from the workspace".into()));
    }
    for deps in ["dependencies", "build-dependencies", "dev-dependencies"] {
        if inheriting(doc.get(deps)) {
            return Err(bad(format!("[{deps}] inherit from the workspace")));
        }
        for (name, dep) in doc
            .get(deps)
            .and_then(|d| d.as_table())
            .into_iter()
            .flatten()
        {
            if let Some(p) = dep.get("path").and_then(|p| p.as_str())
                && !VENDORED.iter().any(|v| p == format!("../{v}"))
            {
                return Err(bad(format!("{name} is a path dependency on {p}")));
            }
        }
    }
    Ok(out)
}

/// One `[[package]]` of a Cargo.lock.
#[derive(Clone, Debug)]
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    /// As written: `name`, `name version` or `name version (source)`.
    dependencies: Vec<String>,
}

fn str_field(t: &toml::Value, key: &str) -> Option<String> {
    t.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

fn parse_lock(text: &str) -> Result<Vec<Locked>, String> {
    let doc: toml::Table = text.parse().map_err(|e| format!("Cargo.lock: {e}"))?;
    let packages = doc
        .get("package")
        .and_then(|p| p.as_array())
        .ok_or("Cargo.lock has no [[package]]")?;
    packages
        .iter()
        .map(|p| {
            Ok(Locked {
                name: str_field(p, "name").ok_or("a [[package]] without a name")?,
                version: str_field(p, "version").ok_or("a [[package]] without a version")?,
                source: str_field(p, "source"),
                checksum: str_field(p, "checksum"),
                dependencies: p
                    .get("dependencies")
                    .and_then(|d| d.as_array())
                    .map(|d| {
                        d.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Finds the package a dependency entry names.
fn resolve<'a>(all: &'a [Locked], entry: &str) -> Option<&'a Locked> {
    let mut parts = entry.splitn(3, ' ');
    let name = parts.next()?;
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    all.iter().find(|p| {
        p.name == name
            && version.is_none_or(|v| p.version == v)
            && source.is_none_or(|s| p.source.as_deref() == Some(s))
    })
}

/// Orders versions as cargo does (numerically; a pre-release before its
/// release), which is the order of packages in a Cargo.lock.
fn version_key(v: &str) -> (Vec<u64>, bool, String) {
    let (core, pre) = v.split_once('-').map_or((v, None), |(c, p)| (c, Some(p)));
    let core = core.split('+').next().unwrap_or(core);
    let numbers = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
    (numbers, pre.is_none(), pre.unwrap_or_default().to_string())
}

/// A Cargo.lock for a new crate `root` whose one dependency is the vendored
/// SDK: every package the SDK reaches in the workspace's Cargo.lock, plus
/// the root, written as cargo writes locks. The workspace lock lists the
/// dependencies its own feature choices enable, so this can hold packages
/// the crate does not use; cargo drops them without changing any version.
pub fn lockfile(root: &str) -> Result<String, ScaffoldError> {
    lock_subset(WORKSPACE_LOCK, root).map_err(ScaffoldError::Embedded)
}

fn lock_subset(workspace_lock: &str, root: &str) -> Result<String, String> {
    let all = parse_lock(workspace_lock)?;
    // Everything the SDK depends on, transitively.
    let mut keep: BTreeSet<usize> = BTreeSet::new();
    let mut todo = vec!["orac-sdk".to_string()];
    while let Some(entry) = todo.pop() {
        let p = resolve(&all, &entry)
            .ok_or_else(|| format!("the workspace's Cargo.lock has no {entry}"))?;
        let index = all.iter().position(|q| std::ptr::eq(q, p)).expect("found");
        if keep.insert(index) {
            todo.extend(p.dependencies.iter().cloned());
        }
    }
    let mut packages: Vec<Locked> = keep.iter().map(|&i| all[i].clone()).collect();
    packages.push(Locked {
        name: root.to_string(),
        version: "0.1.0".to_string(),
        source: None,
        checksum: None,
        dependencies: vec!["orac-sdk".to_string()],
    });
    // Packages in name, version, source order, as cargo writes them.
    packages.sort_by(|a, b| {
        (&a.name, version_key(&a.version), &a.source).cmp(&(
            &b.name,
            version_key(&b.version),
            &b.source,
        ))
    });
    // Cargo names a dependency by name alone when one version of it is
    // locked, by name and version when several are (and adds the source
    // only when that is still ambiguous). That depends on the whole lock,
    // so names must be recomputed for the subset.
    let mut versions: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for p in &packages {
        *versions
            .entry(&p.name)
            .or_default()
            .entry(&p.version)
            .or_default() += 1;
    }
    let reference = |p: &Locked| {
        let of_name = &versions[p.name.as_str()];
        if of_name.len() == 1 && of_name[p.version.as_str()] == 1 {
            p.name.clone()
        } else if of_name[p.version.as_str()] == 1 {
            format!("{} {}", p.name, p.version)
        } else {
            format!(
                "{} {} ({})",
                p.name,
                p.version,
                p.source.as_deref().unwrap_or_default()
            )
        }
    };
    let mut out = String::from(
        "# This file is automatically @generated by Cargo.\n\
         # It is not intended for manual editing.\n\
         version = 4\n",
    );
    for p in &packages {
        let mut deps = p
            .dependencies
            .iter()
            .map(|d| {
                resolve(&all, d)
                    .map(reference)
                    .ok_or_else(|| format!("the workspace's Cargo.lock has no {d}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        deps.sort();
        deps.dedup();
        out.push_str(&format!(
            "\n[[package]]\nname = \"{}\"\nversion = \"{}\"\n",
            p.name, p.version
        ));
        if let Some(s) = &p.source {
            out.push_str(&format!("source = \"{s}\"\n"));
        }
        if let Some(c) = &p.checksum {
            out.push_str(&format!("checksum = \"{c}\"\n"));
        }
        if !deps.is_empty() {
            out.push_str("dependencies = [\n");
            for d in deps {
                out.push_str(&format!(" \"{d}\",\n"));
            }
            out.push_str("]\n");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        let dir = std::env::temp_dir();
        for bad in ["", "1up", "a b", "x/y", "ü"] {
            assert!(matches!(
                new_crate(&dir, bad),
                Err(ScaffoldError::InvalidName(_))
            ));
        }
        for reserved in ["orac-sdk", "orac_sdk", "orac-sdk-macros"] {
            assert!(matches!(
                new_crate(&dir, reserved),
                Err(ScaffoldError::Reserved(_))
            ));
        }
        assert_eq!(type_name("my-token_v2"), "MyTokenV2");
    }

    #[test]
    fn the_vendored_sdk_stands_alone() {
        let files = vendored_sdk().unwrap();
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        for expected in [
            "vendor/orac-sdk/Cargo.toml",
            "vendor/orac-sdk/src/lib.rs",
            "vendor/orac-sdk/src/math.rs",
            "vendor/orac-sdk-macros/Cargo.toml",
            "vendor/orac-sdk-macros/src/lib.rs",
        ] {
            assert!(paths.contains(&expected), "{expected} in {paths:?}");
        }
        // Every source file of the SDK, as build.rs found them.
        let on_disk = |dir: &str| {
            let src = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(dir)
                .join("src");
            std::fs::read_dir(src).unwrap().count()
        };
        let vendored = |dir: &str| paths.iter().filter(|p| p.starts_with(dir)).count();
        assert_eq!(vendored("vendor/orac-sdk/src/"), on_disk("sdk"));
        assert_eq!(
            vendored("vendor/orac-sdk-macros/src/"),
            on_disk("sdk-macros")
        );
        let sdk: toml::Table = files[1].1.parse().unwrap();
        assert_eq!(files[1].0, "vendor/orac-sdk/Cargo.toml");
        assert_eq!(sdk["package"]["version"].as_str(), Some(SDK_VERSION));
        assert_eq!(sdk["package"]["edition"].as_str(), Some("2024"));
        assert_eq!(
            sdk["dependencies"]["orac-sdk-macros"]["path"].as_str(),
            Some("../orac-sdk-macros")
        );
        assert_eq!(
            sdk["dependencies"]["orac-oracle-abi"]["path"].as_str(),
            Some("../orac-oracle-abi")
        );
        let abi_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../oracle/abi/src");
        assert_eq!(
            vendored("vendor/orac-oracle-abi/src/"),
            std::fs::read_dir(abi_src).unwrap().count()
        );
    }

    #[test]
    fn the_lock_is_the_sdks_part_of_the_workspaces() {
        let lock = lockfile("hello").unwrap();
        let subset = parse_lock(&lock).unwrap();
        let all = parse_lock(WORKSPACE_LOCK).unwrap();
        let find = |name: &str| subset.iter().find(|p| p.name == name);
        assert_eq!(find("hello").unwrap().dependencies, ["orac-sdk"]);
        assert!(find("alloy-sol-types").is_some() && find("syn-solidity").is_some());
        assert!(find("orac-vm").is_none() && find("tokio").is_none());
        // Same versions and checksums as the workspace: nothing to fetch.
        for p in subset.iter().filter(|p| p.name != "hello") {
            assert!(
                all.iter().any(|q| q.name == p.name
                    && q.version == p.version
                    && q.checksum == p.checksum),
                "{} {}",
                p.name,
                p.version
            );
        }
    }

    /// What `orac new` leaves is a lock cargo agrees with: it keeps every
    /// version of the workspace's lock, only trimmed (`--locked` passes).
    #[test]
    fn cargo_only_trims_the_lock() {
        let parent = std::env::temp_dir().join(format!("orac-scaffold-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&parent);
        let made = new_crate(&parent, "probe_lock").unwrap();
        assert!(
            made.lock_trimmed,
            "cargo update --workspace --offline failed"
        );
        let trimmed =
            parse_lock(&std::fs::read_to_string(made.root.join("Cargo.lock")).unwrap()).unwrap();
        let untrimmed = parse_lock(&lockfile("probe_lock").unwrap()).unwrap();
        assert!(trimmed.len() < untrimmed.len(), "nothing trimmed");
        for p in &trimmed {
            assert!(
                untrimmed
                    .iter()
                    .any(|q| q.name == p.name && q.version == p.version),
                "cargo changed or added {} {}",
                p.name,
                p.version
            );
        }
        let status = std::process::Command::new("cargo")
            .args(["update", "--workspace", "--offline", "--locked", "--quiet"])
            .current_dir(&made.root)
            .status()
            .unwrap();
        assert!(status.success(), "cargo would rewrite the lock");
        assert!(matches!(
            new_crate(&parent, "probe_lock"),
            Err(ScaffoldError::Exists(_))
        ));
        std::fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn dependency_names_are_as_short_as_cargo_writes_them() {
        let lock = r#"version = 4

[[package]]
name = "orac-sdk"
version = "0.1.0"
dependencies = [
 "dup 1.0.0",
 "dup 2.0.0",
 "only 1.0.0",
]

[[package]]
name = "dup"
version = "1.0.0"
source = "registry+x"

[[package]]
name = "dup"
version = "2.0.0"
source = "registry+x"

[[package]]
name = "only"
version = "1.0.0"
source = "registry+x"

[[package]]
name = "only"
version = "0.9.0"
source = "registry+x"
"#;
        let out = lock_subset(lock, "app").unwrap();
        // `only` had two versions in the workspace, one here; `dup` keeps
        // its versions; packages in name and version order.
        assert!(
            out.contains(" \"dup 1.0.0\",\n \"dup 2.0.0\",\n \"only\",\n"),
            "{out}"
        );
        assert!(!out.contains("0.9.0"));
        let names: Vec<_> = parse_lock(&out)
            .unwrap()
            .into_iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        assert_eq!(
            names,
            [
                "app 0.1.0",
                "dup 1.0.0",
                "dup 2.0.0",
                "only 1.0.0",
                "orac-sdk 0.1.0"
            ]
        );
        assert!(lock_subset(lock.replace("\"only 1.0.0\"", "\"gone\"").as_str(), "app").is_err());
    }
}
