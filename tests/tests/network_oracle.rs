//! The README's "Oracle feeds in five minutes" against a four-validator
//! network (`orac testnet init --validators 4`) instead of a dev node, each
//! oracle node pointed at a different validator's RPC.
//!
//! What the README gives is used as it is: the oracle nodes are the
//! commands of its step 3 (their keys, and their configs in
//! `oracle/examples/` with only the addresses moved to this run's free
//! ports and node I's `rpc_url` set to validator I), the price source is
//! the same JSON file served by `python3 -m http.server`, the feed is
//! created with step 4's parameters, the stablecoin and the loan are built
//! from `contracts/examples` and deployed with `orac deploy` as in step 5,
//! and step 6 moves the price to 2,500 then 1,700. Instead of the README's
//! `sleep 5` the test polls, with timeouts for a block a second on a busy
//! machine. Each round's figures (the feed's answer, the AggregatorV3
//! view, the subscriber's callback, the liquidation) are read from a
//! validator other than the one the round's transmitter sent it through;
//! at the end the four validators hold the same chain.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy_sol_types::{SolCall, SolEvent, SolValue, sol};
use orac_oracle::abi::{AggregatorV3Interface, FeedParams, IOracleRegistry as I};
use orac_oracle::{REGISTRY, feed_address};
use orac_primitives::alloy::ToAlloy;
use orac_primitives::{Address, PrivateKey};
use orac_tests::network::Testnet;
use orac_tests::oracle::{
    Endpoint, Oracle, Rpc, Sender, free_port, logs_at, logs_of, view, view_at, wait_for_latest,
};
use orac_tests::{dev_keys, hex0x, orac_bin, workspace};
use serde_json::Value;

sol! {
    interface IErc20 {
        function approve(address spender, uint256 value) external returns (bool);
    }
    interface ILoan {
        function fund(uint256 amount) external;
        function deposit() external payable;
        function borrow(uint256 amount) external returns (uint256);
        function liquidated() external view returns (bool);
        event Liquidated(address indexed borrower, address indexed lender, uint256 collateral, uint256 debt, uint256 price, uint64 roundId, uint64 observedAt);
    }
}

/// How long a price change may take to land as a round: the nodes poll
/// once a second and a block is decided about once a second, on a machine
/// also running four validators.
const ROUND_WAIT: Duration = Duration::from_secs(120);
/// An ether, in wei.
const ETHER: u64 = 1_000_000_000_000_000_000;
/// A token (18 decimals).
fn tokens(n: u64) -> alloy_sol_types::private::U256 {
    alloy_sol_types::private::U256::from(n) * alloy_sol_types::private::U256::from(ETHER)
}

/// The README's "Oracle feeds in five minutes" section.
fn readme_section() -> String {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let start = readme
        .find("## Oracle feeds in five minutes")
        .expect("README.md has the oracle walkthrough");
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_string()
}

/// Step 3's oracle nodes: `ORAC_ORACLE_KEY=KEY orac oracle --config FILE`.
fn readme_oracles(section: &str) -> Vec<(String, PathBuf)> {
    section
        .lines()
        .filter(|l| l.contains("orac oracle --config"))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let key = words
                .iter()
                .find_map(|w| w.strip_prefix("ORAC_ORACLE_KEY="))
                .expect("a key");
            let at = words.iter().position(|w| *w == "--config").unwrap();
            (key.to_string(), workspace().join(words[at + 1]))
        })
        .collect()
}

/// Replaces `from` in `text`, which must hold it.
fn replace(text: &str, from: &str, to: &str, file: &Path) -> String {
    assert!(text.contains(from), "{} has no {from:?}", file.display());
    text.replace(from, to)
}

/// A README config moved to this run: its chain is validator `rpc`, the
/// nodes' ports 9101..9104 are `ports`, the price source's 8000 is
/// `source_port`. Nothing else changes.
fn localize(file: &Path, rpc: &str, ports: &[u16], source_port: u16) -> String {
    let mut text = std::fs::read_to_string(file).unwrap();
    text = replace(
        &text,
        "\"http://127.0.0.1:8545\"",
        &format!("\"{rpc}\""),
        file,
    );
    text = replace(
        &text,
        "http://127.0.0.1:8000/",
        &format!("http://127.0.0.1:{source_port}/"),
        file,
    );
    for (k, port) in ports.iter().enumerate() {
        let readme = format!("127.0.0.1:{}", 9101 + k);
        text = replace(&text, &readme, &format!("127.0.0.1:{port}"), file);
    }
    text
}

/// The README's price source: `python3 -m http.server PORT --directory DIR`.
struct FileServer {
    child: Child,
    port: u16,
}

impl FileServer {
    fn start(dir: &Path) -> FileServer {
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server (the README's price source)");
        let server = FileServer { child, port };
        let url = format!("http://127.0.0.1:{port}/eth-usd.json");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::blocking::get(&url).is_err() {
            assert!(Instant::now() < deadline, "the price source never served");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `echo '{"price": "P"}' > /tmp/prices/eth-usd.json`.
fn set_price(dir: &Path, price: &str) {
    std::fs::write(
        dir.join("eth-usd.json"),
        format!("{{\"price\": \"{price}\"}}\n"),
    )
    .unwrap();
}

/// Which validator transmitted `round`: the `NewRound` log's transmitter
/// is one of `signers`, and oracle node I talks to validator I.
fn transmitted_through(node: &Endpoint, round: u64, signers: &[Address]) -> usize {
    let logs = logs_of(node, I::NewRound::SIGNATURE_HASH.0);
    let log = logs
        .iter()
        .find(|l| u64::from_str_radix(&l["topics"][2].as_str().unwrap()[2..], 16) == Ok(round))
        .unwrap_or_else(|| panic!("no NewRound log for round {round}"));
    let data = hex::decode(log["data"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    // NewRound's data: answer, observedAt, signers, transmitter.
    let transmitter = &data[3 * 32 + 12..4 * 32];
    signers
        .iter()
        .position(|s| s.as_bytes() == transmitter)
        .expect("the transmitter is a signer")
}

/// Waits (on validator 0) for a round answering `answer`; returns the
/// round and a validator other than the one its transmitter used, with the
/// round there too.
fn round_answering(validators: &[Endpoint], signers: &[Address], answer: i128) -> (u64, usize) {
    let started = Instant::now();
    let (round, _) = wait_for_latest(
        &validators[0],
        &format!("a round answering {answer}"),
        ROUND_WAIT,
        |_, a| a == answer,
    );
    let sent_through = transmitted_through(&validators[0], round, signers);
    let reader = (sent_through + 1) % validators.len();
    wait_for_latest(
        &validators[reader],
        &format!("round {round} on node{reader}"),
        ROUND_WAIT,
        |r, _| r >= round,
    );
    eprintln!(
        "round {round} ({answer}) after {:?}, sent through node{sent_through}, read on node{reader}",
        started.elapsed()
    );
    (round, reader)
}

/// `orac deploy BIN --private-key KEY [--value V] ARGS` against `rpc`,
/// as step 5 runs it; returns the contract's address.
fn orac_deploy(
    rpc: &str,
    bin: &Path,
    key: &PrivateKey,
    value: Option<&str>,
    args: &[u8],
) -> Address {
    let mut cmd = Command::new(orac_bin());
    cmd.arg("deploy")
        .arg(bin)
        .args(["--private-key", &hex0x(&key.to_bytes())]);
    if let Some(v) = value {
        cmd.args(["--value", v]);
    }
    let out = cmd
        .arg(hex0x(args))
        .env("ETH_RPC_URL", rpc)
        .output()
        .expect("run orac deploy");
    assert!(
        out.status.success(),
        "orac deploy {}: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// `orac build contracts/examples/NAME` (its `.bin`), into `out`.
fn orac_build(name: &str, out: &Path) -> PathBuf {
    let dir = workspace().join("contracts/examples").join(name);
    let artifact = orac_build::build(&dir, orac_build::test_target_dir().as_deref())
        .unwrap_or_else(|e| panic!("orac build {}: {e}", dir.display()));
    let [_, bin, _] = artifact.write(&out.join(name)).unwrap();
    bin
}

/// Polls the oracle node on `port` until its `/status` of feed 1 says
/// `want`.
fn wait_for_status(port: u16, want: &str) {
    let deadline = Instant::now() + ROUND_WAIT;
    loop {
        let status: Option<Value> =
            reqwest::blocking::get(format!("http://127.0.0.1:{port}/status"))
                .and_then(|r| r.json())
                .ok();
        let feed = status.as_ref().and_then(|s| s["feeds"]["1"].as_str());
        if feed.is_some_and(|f| f.contains(want)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the oracle node on {port} never said {want:?}: {status:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The loan's `liquidated()`.
fn is_liquidated<R: Rpc>(node: &R, loan: Address) -> bool {
    view_at(node, loan, &ILoan::liquidatedCall {}).unwrap()
}

#[test]
fn the_readme_oracle_walkthrough_runs_on_four_validators() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let mut net = Testnet::init(tmp.path(), 4, 0);
    net.start_all();
    let all = [0, 1, 2, 3];
    assert!(
        net.wait_for_height(&all, 2, Duration::from_secs(60)),
        "the network decides blocks"
    );
    let validators: Vec<Endpoint> = net.urls.iter().map(|u| Endpoint::new(u)).collect();

    // Step 2: the price source.
    let prices = tmp.path().join("prices");
    std::fs::create_dir_all(&prices).unwrap();
    set_price(&prices, "3000.00");
    let source = FileServer::start(&prices);

    // Step 3: the README's four oracle nodes (dev accounts 6 to 9), node I
    // reading and writing the chain through validator I.
    let section = readme_section();
    let readme_nodes = readme_oracles(&section);
    assert_eq!(readme_nodes.len(), 4, "step 3 starts four oracle nodes");
    let keys = dev_keys();
    let signers: Vec<Address> = (6..10).map(|i| keys[i].address()).collect();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let mut oracles = Vec::new();
    for (i, (key, config)) in readme_nodes.iter().enumerate() {
        let key = PrivateKey::from_hex(key).unwrap();
        assert_eq!(
            key.address(),
            signers[i],
            "README node {} is dev account {}",
            i + 1,
            i + 6
        );
        let file = tmp.path().join(format!("node{}.toml", i + 1));
        std::fs::write(&file, localize(config, &net.urls[i], &ports, source.port)).unwrap();
        oracles.push(Oracle::start(&file, &hex0x(&key.to_bytes()), &[], ports[i]));
    }
    // "Until the feed exists they say so."
    for oracle in &oracles {
        wait_for_status(oracle.port, "unknown feed 1");
    }

    // Step 4: the feed, created by the lender (dev account 0) through
    // validator 0 with the README's parameters.
    let lender = keys[0].clone();
    let borrower = keys[1].clone();
    let params = FeedParams {
        description: "ETH / USD".into(),
        decimals: 8,
        signers: signers.iter().map(|s| s.to_alloy()).collect(),
        f: 1,
        heartbeat: 3600,
        deviationPpb: 5_000_000,
        minAnswer: alloy_sol_types::private::I256::ONE,
        maxAnswer: alloy_sol_types::private::I256::try_from(100_000_000_000_000_000u64).unwrap(),
    };
    let readme_params = format!(
        "(ETH / USD,8,[{}],1,3600,5000000,1,100000000000000000)",
        params
            .signers
            .iter()
            .map(|s| s.to_checksum(None))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(
        section.contains(&readme_params),
        "step 4 creates the feed with {readme_params}"
    );
    Sender {
        node: &validators[0],
        key: lender.clone(),
    }
    .send(
        Some(REGISTRY),
        0,
        I::createFeedCall { params }.abi_encode(),
        1_000_000,
    );
    // "Round 1 answers 300000000000, signed by 3 or 4 nodes": through the
    // registry and as an AggregatorV3 at the feed's own address.
    let (round, reader) = round_answering(&validators, &signers, 300_000_000_000);
    assert_eq!(round, 1);
    let latest = view(&validators[reader], &I::latestRoundCall { feedId: 1 }).unwrap();
    assert_eq!(latest.roundId, 1);
    assert_eq!(i128::try_from(latest.answer).unwrap(), 300_000_000_000);
    assert!(
        (3..=4).contains(&latest.signers),
        "signed by {}",
        latest.signers
    );
    let aggregator = view_at(
        &validators[reader],
        feed_address(1),
        &AggregatorV3Interface::latestRoundDataCall {},
    )
    .unwrap();
    assert_eq!(aggregator.roundId.to::<u64>(), 1);
    assert_eq!(i128::try_from(aggregator.answer).unwrap(), 300_000_000_000);
    // The node reading validator `reader` sees it there too.
    wait_for_status(oracles[reader].port, "last answer");

    // Step 5: the stablecoin and the loan, deployed with orac deploy
    // through validator 1; funded through validator 2, borrowed against
    // through validator 3.
    let out = tmp.path().join("out");
    let erc20 = orac_build("erc20", &out);
    let loan_bin = orac_build("loan", &out);
    let token = orac_deploy(
        &net.urls[1],
        &erc20,
        &lender,
        None,
        &("Dollar".to_string(), "USD".to_string(), tokens(1_000_000)).abi_encode_params(),
    );
    let loan = orac_deploy(
        &net.urls[1],
        &loan_bin,
        &lender,
        Some("100000000000000000"),
        &(token.to_alloy(), 1u64, borrower.address().to_alloy()).abi_encode_params(),
    );
    let as_lender = Sender {
        node: &validators[2],
        key: lender.clone(),
    };
    let call = IErc20::approveCall {
        spender: loan.to_alloy(),
        value: tokens(10_000),
    };
    as_lender.send(Some(token), 0, call.abi_encode(), 1_000_000);
    let call = ILoan::fundCall {
        amount: tokens(10_000),
    };
    as_lender.send(Some(loan), 0, call.abi_encode(), 2_000_000);
    let as_borrower = Sender {
        node: &validators[3],
        key: borrower.clone(),
    };
    as_borrower.send(
        Some(loan),
        2 * ETHER,
        ILoan::depositCall {}.abi_encode(),
        1_000_000,
    );
    let call = ILoan::borrowCall {
        amount: tokens(3_000),
    };
    as_borrower.send(Some(loan), 0, call.abi_encode(), 2_000_000);

    // Step 6: at 2,500 the loan is called back and left alone...
    set_price(&prices, "2500.00");
    let (round, reader) = round_answering(&validators, &signers, 250_000_000_000);
    let delivered = logs_of(&validators[reader], I::CallbackDelivered::SIGNATURE_HASH.0);
    let to_loan = |l: &&Value| {
        l["topics"][2]
            .as_str()
            .is_some_and(|t| t.ends_with(&hex::encode(loan.as_bytes())))
    };
    let rounds_delivered: Vec<u64> = delivered
        .iter()
        .filter(to_loan)
        .map(|l| {
            let data = hex::decode(l["data"].as_str().unwrap().trim_start_matches("0x")).unwrap();
            u64::from_be_bytes(data[24..32].try_into().unwrap())
        })
        .collect();
    assert!(
        rounds_delivered.contains(&round),
        "the loan was called back with round {round}: {rounds_delivered:?}"
    );
    assert!(
        !is_liquidated(&validators[reader], loan),
        "liquidated at 2,500"
    );
    assert!(
        logs_at(
            &validators[reader],
            loan,
            ILoan::Liquidated::SIGNATURE_HASH.0
        )
        .is_empty()
    );

    // ...at 1,700 the callback liquidates it.
    set_price(&prices, "1700.00");
    let (round, reader) = round_answering(&validators, &signers, 170_000_000_000);
    let liquidated = logs_at(
        &validators[reader],
        loan,
        ILoan::Liquidated::SIGNATURE_HASH.0,
    );
    assert_eq!(liquidated.len(), 1, "{liquidated:?}");
    let data = hex::decode(
        liquidated[0]["data"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
    )
    .unwrap();
    // Liquidated's data: collateral, debt, price, roundId, observedAt.
    assert_eq!(
        u64::from_be_bytes(data[3 * 32 + 24..4 * 32].try_into().unwrap()),
        round
    );
    assert!(
        is_liquidated(&validators[reader], loan),
        "liquidated() is true"
    );

    // The four validators agree on every block.
    let head = all
        .iter()
        .map(|&i| net.head(i).expect("a validator answers"))
        .min()
        .unwrap();
    assert!(net.wait_for_height(&all, head, Duration::from_secs(60)));
    net.assert_same_chain(&all, head);
    eprintln!("walkthrough on four validators: {:?}", started.elapsed());
    drop(oracles);
}
