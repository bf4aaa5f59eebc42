;; A test consumer of the oracle registry. Messages from the registry are
;; callbacks: calldata words 2 and 3 go to storage slots 0 and 1 (round
;; and answer of an update; answer and observation time of a response), then
;; CALLBACK_TAIL runs (nothing, a revert, or an endless loop). Any other
;; message, and the constructor's arguments, are forwarded to the registry
;; with the message's value, so the contract subscribes, unsubscribes and
;; requests as itself (a refusal's revert data comes back unchanged).
(module
  (import "orac" "storage_write" (func $storage_write (param i32 i32)))
  (import "orac" "calldata_size" (func $calldata_size (result i32)))
  (import "orac" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "orac" "revert" (func $revert (param i32 i32)))
  (import "orac" "caller" (func $caller (param i32)))
  (import "orac" "call_value" (func $call_value (param i32)))
  (import "orac" "call" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "orac" "return_data_size" (func $return_data_size (result i32)))
  (import "orac" "return_data_copy" (func $return_data_copy (param i32 i32 i32)))
  (memory (export "memory") 1)
  ;; The registry's address, "orac" and sixteen zero bytes.
  (data (i32.const 1000) "orac\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  ;; Slot keys 0 and 1.
  (data (i32.const 1100) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 1132) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\01")

  (func $forward
    (local $n i32)
    (local.set $n (call $calldata_size))
    (call $calldata_copy (i32.const 4096) (i32.const 0) (local.get $n))
    (call $call_value (i32.const 1200))
    (if (call $call (i32.const 1000) (i32.const 1200) (i32.const 4096) (local.get $n) (i64.const -1))
      (then
        (local.set $n (call $return_data_size))
        (call $return_data_copy (i32.const 4096) (i32.const 0) (local.get $n))
        (call $revert (i32.const 4096) (local.get $n)))))

  (func $from_registry (result i32)
    (call $caller (i32.const 1300))
    (i32.and
      (i32.eq (i32.load (i32.const 1300)) (i32.load (i32.const 1000)))
      (i64.eq (i64.or (i64.load (i32.const 1304)) (i64.load (i32.const 1312))) (i64.const 0))))

  ;; Recursion `n` deep; at the bottom, a call to an account without code
  ;; (the shape that once left the registry's stack base near the limit for
  ;; the next subscriber). Tails use it; without a bottom it never ends.
  (func $deep (param $n i32)
    (if (local.get $n)
      (then (call $deep (i32.sub (local.get $n) (i32.const 1))))
      (else (drop (call $call (i32.const 1100) (i32.const 1100) (i32.const 0) (i32.const 0) (i64.const 0))))))
  (func $endless (param $n i32) (call $endless (i32.add (local.get $n) (i32.const 1))))

  (func (export "deploy") (call $forward))

  (func (export "call")
    (if (call $from_registry)
      (then
        (call $calldata_copy (i32.const 4096) (i32.const 36) (i32.const 64))
        (call $storage_write (i32.const 1100) (i32.const 4096))
        (call $storage_write (i32.const 1132) (i32.const 4128))
        CALLBACK_TAIL)
      (else (call $forward)))))
