//! The wire format of reports, the argument of the registry's `transmit`
//! and `respond`: `abi.encode(AbiReport)`, and the domain strings of the
//! digests oracle nodes sign. docs/oracle.md specifies both; `orac-oracle`
//! builds, signs and checks reports in this format.

use alloy_sol_types::sol;

sol! {
    /// One node's signed observation, as it travels in a report.
    struct AbiObservation {
        uint64 observedAt;
        int256 value;
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    /// A report: the argument of the registry's `transmit` and `respond`.
    struct AbiReport {
        uint64 feedId;
        bytes32 configDigest;
        uint64 round;
        AbiObservation[] observations;
    }
}

/// Domain separator of observation digests: nothing else orac signs (a
/// transaction, another version of this format) can be replayed as one.
pub const OBSERVATION_TYPE: &str = "orac.oracle.Observation(uint256 chainId,address registry,uint64 feedId,bytes32 configDigest,uint64 round,uint64 observedAt,int256 value)";

/// Domain separator of answers to requests (request/response): `round` is
/// the request id, and no feed observation can pass for a response or the
/// other way round.
pub const RESPONSE_TYPE: &str = "orac.oracle.Response(uint256 chainId,address registry,uint64 feedId,bytes32 configDigest,uint64 requestId,uint64 observedAt,int256 value)";

/// Most signers one feed may have: bounds the work of verifying a report
/// (one signature recovery each) and of reconfiguring.
pub const MAX_SIGNERS: usize = 31;

/// Decimals a feed's answers may be scaled by (an i128 holds 38 digits).
pub const MAX_DECIMALS: u8 = 36;
