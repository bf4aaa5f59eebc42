#!/usr/bin/env bash
# Throughput benchmark: `orac node --dev` against anvil, in the same run on
# the same machine, with the same load (see bench/README.md).
#
#   bench/run.sh                         # defaults below
#   TXS=50000 CONCURRENCY=16 bench/run.sh
#
# Environment overrides:
#   TXS=20000          transactions per run
#   SENDERS=100        sender accounts (each sends TXS/SENDERS, consecutive nonces)
#   BATCH=100          eth_sendRawTransaction calls per JSON-RPC batch
#   CONCURRENCY=8      HTTP requests in flight
#   RECIPIENTS="0 100" scenarios, one run per node each: 0 = a fresh recipient
#                      account per transaction; K = transfers among K accounts
#   PACE=mined         mined | open (see orac-bench --help)
#   ORDER=sharded      sharded | interleaved (see orac-bench --help)
#   MAX_FEE_GWEI=100   maxFeePerGas of every transaction
#   TIMEOUT=300        seconds one run may take before it counts as failed
#   NODES="orac anvil" which nodes to run (in this order)
#   ANVIL_ARGS=        extra anvil flags (e.g. --prune-history); default none
#   SKIP_BUILD=1       use the binaries already in target/release
#
# The nodes run one after the other, never at once, so they never compete
# for the cores; each run gets a freshly started node (orac on a fresh temp
# data directory). Exit status: 0 when every run mined every transaction.
set -uo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

TXS="${TXS:-20000}"
SENDERS="${SENDERS:-100}"
BATCH="${BATCH:-100}"
CONCURRENCY="${CONCURRENCY:-8}"
RECIPIENTS="${RECIPIENTS:-0 100}"
PACE="${PACE:-mined}"
ORDER="${ORDER:-sharded}"
MAX_FEE_GWEI="${MAX_FEE_GWEI:-100}"
TIMEOUT="${TIMEOUT:-300}"
NODES="${NODES:-orac anvil}"
ANVIL_ARGS="${ANVIL_ARGS:-}"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# ---- Cleanup: stop what we started, remove temp dirs ------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/orac-bench.XXXXXX")"
NODE_PID=""
stop_node() {
    [ -n "$NODE_PID" ] || return 0
    if kill -0 "$NODE_PID" 2>/dev/null; then
        kill -TERM "$NODE_PID" 2>/dev/null
        for _ in $(seq 100); do
            kill -0 "$NODE_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$NODE_PID" 2>/dev/null; then
            log "node $NODE_PID ignored SIGTERM for 10 s; sending SIGKILL"
            kill -KILL "$NODE_PID" 2>/dev/null
        fi
    fi
    wait "$NODE_PID" 2>/dev/null
    NODE_PID=""
}
cleanup() {
    stop_node
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- Build and install ------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building orac and orac-bench (release)"
    (cd "$ROOT" && cargo build --release -p orac-node -p orac-bench) || die "cargo build failed"
fi
ORAC="$TARGET_DIR/release/orac"
BENCH="$TARGET_DIR/release/orac-bench"
[ -x "$ORAC" ] || die "$ORAC missing"
[ -x "$BENCH" ] || die "$BENCH missing"

PEERS="$BENCH_DIR/.peers"
case " $NODES " in *" anvil "*)
    if [ ! -f "$PEERS/node_modules/.package-lock.json" ] ||
        [ "$PEERS/package-lock.json" -nt "$PEERS/node_modules/.package-lock.json" ]; then
        command -v npm >/dev/null || die "npm is needed to install anvil"
        # `npm install`, not `npm ci`: the registry reachable here serves
        # only the linux-x64 binary package, so the lock file cannot list the
        # other platforms' optional packages, and `npm ci` rejects it.
        log "installing anvil (npm install in bench/.peers)"
        (cd "$PEERS" && npm install --no-audit --no-fund) >&2 || die "npm install failed"
    fi
    # The platform package's binary itself, rather than the node.js wrapper
    # in .bin/, so the pid we stop is anvil's own.
    ANVIL="$(ls "$PEERS"/node_modules/@foundry-rs/anvil-*/bin/anvil 2>/dev/null | head -n 1)"
    [ -n "$ANVIL" ] || ANVIL="$PEERS/node_modules/.bin/anvil"
    [ -x "$ANVIL" ] || die "anvil not found under $PEERS/node_modules"
    ;;
esac

# ---- Starting the nodes -----------------------------------------------------
URL=""
start_orac() {
    local dir="$WORK/orac-$1"
    mkdir -p "$dir"
    "$ORAC" node --dev --datadir "$dir/data" --rpc-addr 127.0.0.1:0 \
        >"$dir/stdout" 2>"$dir/stderr" &
    NODE_PID=$!
    local addr=""
    for _ in $(seq 300); do
        addr="$(sed -n 's/^Listening on \([0-9.:]*\).*/\1/p' "$dir/stdout" | head -n 1)"
        [ -n "$addr" ] && break
        kill -0 "$NODE_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$addr" ] || { cat "$dir/stderr" >&2; die "orac did not report its address"; }
    URL="http://$addr"
}

free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

start_anvil() {
    local dir="$WORK/anvil-$1" port
    mkdir -p "$dir"
    port="$(free_port)" || die "no free port found"
    # Default settings (automine on, chain id 31337, the standard accounts).
    # anvil spills per-block state snapshots to $HOME/.foundry/anvil/tmp
    # and leaves them there on exit: give it a HOME inside $WORK.
    mkdir -p "$dir/home"
    # shellcheck disable=SC2086 # ANVIL_ARGS is a list of flags
    HOME="$dir/home" "$ANVIL" --port "$port" --silent $ANVIL_ARGS \
        >"$dir/stdout" 2>"$dir/stderr" &
    NODE_PID=$!
    URL="http://127.0.0.1:$port" # orac-bench waits (--wait) until it answers
}

# ---- Runs -------------------------------------------------------------------
# One line per run: scenario node ok tps elapsed blocks errors mined
RESULTS="$WORK/results"
: >"$RESULTS"
json_field() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1" | tr -d '"'; }

FAILED=0
for recipients in $RECIPIENTS; do
    if [ "$recipients" = 0 ]; then
        scenario="fresh-recipients"
    else
        scenario="$recipients-recipients"
    fi
    for node in $NODES; do
        log "== $scenario: $node"
        case "$node" in
            orac) start_orac "$scenario" ;;
            anvil) start_anvil "$scenario" ;;
            *) die "unknown node $node" ;;
        esac
        out="$WORK/$node-$scenario.out"
        "$BENCH" --rpc "$URL" --label "$node" --txs "$TXS" --senders "$SENDERS" \
            --batch "$BATCH" --concurrency "$CONCURRENCY" --recipients "$recipients" \
            --pace "$PACE" --order "$ORDER" --max-fee-gwei "$MAX_FEE_GWEI" \
            --timeout "$TIMEOUT" | tee "$out"
        rc=${PIPESTATUS[0]}
        stop_node
        if [ "$node" = orac ]; then
            du -sh "$WORK/orac-$scenario/data" 2>/dev/null |
                awk '{print "   disk         orac data directory: " $1}'
        else
            du -sh "$WORK/anvil-$scenario/home" 2>/dev/null |
                awk '{print "   disk         anvil state snapshots (~/.foundry/anvil/tmp): " $1}'
        fi
        rm -rf "$WORK/$node-$scenario" # free the disk before the next run
        # anvil leaves gigabytes of unsynced snapshot files behind; flush
        # them now so their writeback does not stall the next node's fsyncs.
        sync
        line="$(grep '^{' "$out" | tail -n 1)"
        if [ "$rc" != 0 ] || [ -z "$line" ]; then
            FAILED=1
            log "$node failed ($scenario): orac-bench exited $rc"
        fi
        if [ -n "$line" ]; then
            printf '%s %s %s %s %s %s %s %s %s\n' "$scenario" "$node" \
                "$(json_field "$line" ok)" "$(json_field "$line" tps)" \
                "$(json_field "$line" elapsed_s)" "$(json_field "$line" blocks)" \
                "$(json_field "$line" errors)" "$(json_field "$line" mined)" \
                "$(json_field "$line" submitted)" >>"$RESULTS"
        else
            printf '%s %s false 0 0 0 ? 0 %s\n' "$scenario" "$node" "$TXS" >>"$RESULTS"
        fi
        echo
    done
done

# ---- Summary ----------------------------------------------------------------
echo "================================================================================"
echo "orac vs anvil: $TXS value transfers from $SENDERS senders, JSON-RPC batches of $BATCH,"
echo "$CONCURRENCY concurrent HTTP requests, $ORDER order, $PACE pacing, $(nproc 2>/dev/null || echo '?') cores"
echo "(client and node share the machine; the nodes ran one after the other)."
echo
printf '%-18s %-6s %10s %9s %7s %7s %13s  %s\n' scenario node "tx/s" elapsed blocks errors mined result
while read -r scenario node ok tps elapsed blocks errors mined submitted; do
    printf '%-18s %-6s %10s %8ss %7s %7s %13s  %s\n' "$scenario" "$node" "$tps" \
        "$elapsed" "$blocks" "$errors" "$mined/$submitted" \
        "$([ "$ok" = true ] && echo ok || echo FAILED)"
done <"$RESULTS"
echo
for recipients in $RECIPIENTS; do
    if [ "$recipients" = 0 ]; then scenario="fresh-recipients"; else scenario="$recipients-recipients"; fi
    o="$(awk -v s="$scenario" '$1 == s && $2 == "orac" && $3 == "true" {print $4}' "$RESULTS")"
    a="$(awk -v s="$scenario" '$1 == s && $2 == "anvil" && $3 == "true" {print $4}' "$RESULTS")"
    if [ -n "$o" ] && [ -n "$a" ]; then
        awk -v s="$scenario" -v o="$o" -v a="$a" \
            'BEGIN { printf "ratio orac/anvil (%s): %.2f\n", s, (a > 0 ? o / a : 0) }'
    else
        echo "ratio orac/anvil ($scenario): n/a (a run failed or was skipped)"
    fi
done
echo
echo "Note: orac persists every block durably (redb commit + fdatasync before"
echo "eth_sendRawTransaction returns). anvil keeps the chain in memory: nothing"
echo "survives it; it only spills each block's full state snapshot, as JSON and"
echo "without fsync, to ~/.foundry/anvil/tmp (\"disk\" lines above; run.sh gives"
echo "anvil a temporary HOME and deletes them). Scenario fresh-recipients sends"
echo "every transfer to a new account (the state grows by TXS accounts);"
echo "K-recipients spreads the transfers over K recipient accounts."
exit "$FAILED"
