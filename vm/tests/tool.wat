;; A multi-tool test contract: the first calldata byte picks an operation
;; exercising one host function or rule. Calldata is copied to 65536.
(module
  (import "orac" "storage_read" (func $storage_read (param i32 i32)))
  (import "orac" "storage_write" (func $storage_write (param i32 i32)))
  (import "orac" "storage_remove" (func $storage_remove (param i32)))
  (import "orac" "calldata_size" (func $calldata_size (result i32)))
  (import "orac" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "orac" "set_return" (func $set_return (param i32 i32)))
  (import "orac" "revert" (func $revert (param i32 i32)))
  (import "orac" "caller" (func $caller (param i32)))
  (import "orac" "origin" (func $origin (param i32)))
  (import "orac" "address" (func $address (param i32)))
  (import "orac" "call_value" (func $call_value (param i32)))
  (import "orac" "balance" (func $balance (param i32 i32)))
  (import "orac" "block_number" (func $block_number (result i64)))
  (import "orac" "block_timestamp" (func $block_timestamp (result i64)))
  (import "orac" "block_gas_limit" (func $block_gas_limit (result i64)))
  (import "orac" "coinbase" (func $coinbase (param i32)))
  (import "orac" "chain_id" (func $chain_id (result i64)))
  (import "orac" "base_fee" (func $base_fee (param i32)))
  (import "orac" "gas_price" (func $gas_price (param i32)))
  (import "orac" "prevrandao" (func $prevrandao (param i32)))
  (import "orac" "gas_left" (func $gas_left (result i64)))
  (import "orac" "emit_log" (func $emit_log (param i32 i32 i32 i32)))
  (import "orac" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "orac" "static_call" (func $static_call (param i32 i32 i32 i64) (result i32)))
  (import "orac" "return_data_size" (func $return_data_size (result i32)))
  (import "orac" "return_data_copy" (func $return_data_copy (param i32 i32 i32)))
  (import "orac" "create" (func $create (param i32 i32 i32 i32) (result i32)))
  (import "orac" "create2" (func $create2 (param i32 i32 i32 i32 i32) (result i32)))
  (import "orac" "keccak256" (func $keccak256 (param i32 i32 i32)))
  (import "orac" "ecrecover" (func $ecrecover (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 3)
  (global $depth (mut i32) (i32.const 0))

  ;; Returns [status byte] ++ the last sub-call's return data, from 0.
  (func $status_and_return_data (param $status i32) (param $at i32)
    (local $rl i32)
    (i32.store8 (i32.const 0) (local.get $status))
    (local.set $rl (call $return_data_size))
    (call $return_data_copy (local.get $at) (i32.const 0) (local.get $rl))
    (call $set_return (i32.const 0) (i32.add (local.get $at) (local.get $rl))))

  (func $rec (param $n i32)
    (global.set $depth (local.get $n))
    (call $rec (i32.add (local.get $n) (i32.const 1))))

  (func (export "deploy")
    (local $n i32)
    (local.set $n (call $calldata_size))
    (if (i32.ge_u (local.get $n) (i32.const 32)) (then
      (call $calldata_copy (i32.const 65536) (i32.const 0) (i32.const 32))
      (i32.store8 (i32.const 531) (i32.const 0xff))
      (call $storage_write (i32.const 500) (i32.const 65536)))))

  (func (export "call")
    (local $n i32) (local $op i32) (local $k i32) (local $status i32)
    (local.set $n (call $calldata_size))
    (call $calldata_copy (i32.const 65536) (i32.const 0) (local.get $n))
    (local.set $op (i32.load8_u (i32.const 65536)))

    ;; 1: store key=cd[1..33] value=cd[33..65]
    (if (i32.eq (local.get $op) (i32.const 1)) (then
      (call $storage_write (i32.const 65537) (i32.const 65569)) (return)))
    ;; 2: load key=cd[1..33] -> 32 bytes
    (if (i32.eq (local.get $op) (i32.const 2)) (then
      (call $storage_read (i32.const 65537) (i32.const 0))
      (call $set_return (i32.const 0) (i32.const 32)) (return)))
    ;; 3: remove key
    (if (i32.eq (local.get $op) (i32.const 3)) (then
      (call $storage_remove (i32.const 65537)) (return)))
    ;; 4: revert with cd[1..]
    (if (i32.eq (local.get $op) (i32.const 4)) (then
      (call $revert (i32.const 65537) (i32.sub (local.get $n) (i32.const 1))) (return)))
    ;; 5: environment
    (if (i32.eq (local.get $op) (i32.const 5)) (then
      (call $caller (i32.const 0))
      (call $origin (i32.const 20))
      (call $address (i32.const 40))
      (call $call_value (i32.const 60))
      (call $balance (i32.const 0) (i32.const 92))
      (i64.store (i32.const 124) (call $block_number))
      (i64.store (i32.const 132) (call $block_timestamp))
      (i64.store (i32.const 140) (call $block_gas_limit))
      (call $coinbase (i32.const 148))
      (i64.store (i32.const 168) (call $chain_id))
      (call $base_fee (i32.const 176))
      (call $gas_price (i32.const 208))
      (call $prevrandao (i32.const 240))
      (i64.store (i32.const 272) (call $gas_left))
      (i32.store (i32.const 280) (local.get $n))
      (call $set_return (i32.const 0) (i32.const 284)) (return)))
    ;; 6: log: count=cd[1], topics, then data
    (if (i32.eq (local.get $op) (i32.const 6)) (then
      (local.set $k (i32.load8_u (i32.const 65537)))
      (call $emit_log (i32.const 65538) (local.get $k)
        (i32.add (i32.const 65538) (i32.mul (local.get $k) (i32.const 32)))
        (i32.sub (local.get $n) (i32.add (i32.const 2) (i32.mul (local.get $k) (i32.const 32)))))
      (return)))
    ;; 7: call addr=cd[1..21] value=cd[21..53] gas=i64le cd[53..61] data=cd[61..]
    (if (i32.eq (local.get $op) (i32.const 7)) (then
      (call $status_and_return_data
        (call $call (i32.const 65537) (i32.const 65557) (i32.const 65597)
          (i32.sub (local.get $n) (i32.const 61)) (i64.load (i32.const 65589)))
        (i32.const 1)) (return)))
    ;; 8: static_call addr=cd[1..21] gas=i64le cd[21..29] data=cd[29..]
    (if (i32.eq (local.get $op) (i32.const 8)) (then
      (call $status_and_return_data
        (call $static_call (i32.const 65537) (i32.const 65565)
          (i32.sub (local.get $n) (i32.const 29)) (i64.load (i32.const 65557)))
        (i32.const 1)) (return)))
    ;; 9: create value=cd[1..33] code=cd[33..] -> [status][address][return data]
    (if (i32.eq (local.get $op) (i32.const 9)) (then
      (call $status_and_return_data
        (call $create (i32.const 65537) (i32.const 65569)
          (i32.sub (local.get $n) (i32.const 33)) (i32.const 1))
        (i32.const 21)) (return)))
    ;; 10: create2 value=cd[1..33] salt=cd[33..65] code=cd[65..]
    (if (i32.eq (local.get $op) (i32.const 10)) (then
      (call $status_and_return_data
        (call $create2 (i32.const 65537) (i32.const 65601)
          (i32.sub (local.get $n) (i32.const 65)) (i32.const 65569) (i32.const 1))
        (i32.const 21)) (return)))
    ;; 11: keccak256(cd[1..])
    (if (i32.eq (local.get $op) (i32.const 11)) (then
      (call $keccak256 (i32.const 65537) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0))
      (call $set_return (i32.const 0) (i32.const 32)) (return)))
    ;; 12: ecrecover hash=cd[1..33] v=cd[33] r=cd[34..66] s=cd[66..98]
    (if (i32.eq (local.get $op) (i32.const 12)) (then
      (i32.store8 (i32.const 0)
        (call $ecrecover (i32.const 65537) (i32.load8_u (i32.const 65569))
          (i32.const 65570) (i32.const 65602) (i32.const 1)))
      (call $set_return (i32.const 0) (i32.const 21)) (return)))
    ;; 13: loop forever
    (if (i32.eq (local.get $op) (i32.const 13)) (then
      (loop $l (br $l))))
    ;; 14: grow memory until refused, return the page count
    (if (i32.eq (local.get $op) (i32.const 14)) (then
      (block $done (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $l)))
      (i32.store (i32.const 0) (memory.size))
      (call $set_return (i32.const 0) (i32.const 4)) (return)))
    ;; 15: unbounded recursion
    (if (i32.eq (local.get $op) (i32.const 15)) (then
      (call $rec (i32.const 0)) (return)))
    ;; 16: count levels in slot 0 and call ourselves again, forever
    (if (i32.eq (local.get $op) (i32.const 16)) (then
      (call $storage_read (i32.const 300) (i32.const 332))
      (i32.store8 (i32.const 363) (i32.add (i32.load8_u (i32.const 363)) (i32.const 1)))
      (call $storage_write (i32.const 300) (i32.const 332))
      (call $address (i32.const 400))
      (drop (call $call (i32.const 400) (i32.const 1000) (i32.const 65536)
        (local.get $n) (i64.const -1))) (return)))
    ;; 17: oversized return data
    (if (i32.eq (local.get $op) (i32.const 17)) (then
      (call $set_return (i32.const 0) (i32.const 0x200000)) (return)))
    ;; 18: out-of-bounds pointer
    (if (i32.eq (local.get $op) (i32.const 18)) (then
      (call $storage_read (i32.const -16) (i32.const 0)) (return)))
    ;; 19: send value cd[21..53] to cd[1..21] (no data)
    (if (i32.eq (local.get $op) (i32.const 19)) (then
      (call $status_and_return_data
        (call $call (i32.const 65537) (i32.const 65557) (i32.const 0) (i32.const 0) (i64.const -1))
        (i32.const 1)) (return)))
    ;; 20: store key/value then revert
    (if (i32.eq (local.get $op) (i32.const 20)) (then
      (call $storage_write (i32.const 65537) (i32.const 65569))
      (call $emit_log (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
      (call $revert (i32.const 0) (i32.const 0)) (return)))
    ;; 21: call cd[1..21] with data cd[21..] (all gas), then record the
    ;;     status + 1 in slot 1 and log it: the caller carries on either way
    (if (i32.eq (local.get $op) (i32.const 21)) (then
      (local.set $status (call $call (i32.const 65537) (i32.const 1000) (i32.const 65557)
        (i32.sub (local.get $n) (i32.const 21)) (i64.const -1)))
      (i32.store8 (i32.const 431) (i32.const 1))
      (i32.store8 (i32.const 463) (i32.add (local.get $status) (i32.const 1)))
      (call $storage_write (i32.const 400) (i32.const 432))
      (call $emit_log (i32.const 0) (i32.const 0) (i32.const 463) (i32.const 1))
      (return)))
    ;; 22: grow memory by cd[1] pages once, return the result of memory.grow
    (if (i32.eq (local.get $op) (i32.const 22)) (then
      (i32.store (i32.const 0) (memory.grow (i32.load8_u (i32.const 65537))))
      (call $set_return (i32.const 0) (i32.const 4)) (return)))
    ;; 23: big log (64 KiB + 1)
    (if (i32.eq (local.get $op) (i32.const 23)) (then
      (call $emit_log (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 65537)) (return)))
    (call $revert (i32.const 0) (i32.const 0)))
)
