//! The registry's Solidity interface: what contracts, cast, ethers and the
//! oracle nodes call. docs/oracle.md documents each function and event.

use alloy_sol_types::sol;

sol! {
    /// A feed's parameters, as `createFeed` and `setConfig` take them.
    struct FeedParams {
        string description;
        uint8 decimals;
        address[] signers;
        uint8 f;
        uint64 heartbeat;
        uint64 deviationPpb;
        int256 minAnswer;
        int256 maxAnswer;
    }

    /// One stored round.
    struct RoundData {
        uint64 roundId;
        int256 answer;
        uint64 observedAt;
        uint64 includedAt;
        uint8 signers;
    }

    struct RequestData {
        address requester;
        uint64 feedId;
        bytes32 query;
        uint256 fee;
        uint64 callbackGas;
        uint64 requestedAt;
        uint64 expiresAt;
        uint8 status;
    }

    interface IOracleRegistry {
        // Feeds: ordinary transactions create and reconfigure them.
        function createFeed(FeedParams params) external returns (uint64 feedId);
        function setConfig(uint64 feedId, FeedParams params) external;
        function transferAdmin(uint64 feedId, address admin) external;
        function transmit(bytes report) external;

        // Reading.
        function feedCount() external view returns (uint64);
        function feedConfig(uint64 feedId) external view returns (FeedParams params, address admin, uint64 version, bytes32 configDigest);
        function aggregator(uint64 feedId) external view returns (address);
        function latestRound(uint64 feedId) external view returns (RoundData round);
        function latestNoOlderThan(uint64 feedId, uint64 maxAge) external view returns (RoundData round);
        function getRound(uint64 feedId, uint64 roundId) external view returns (RoundData round);
        function nextRound(uint64 feedId) external view returns (uint64);

        // Subscriptions (push).
        function subscribe(uint64 feedId, uint64 callbackGas) external payable;
        function unsubscribe(uint64 feedId) external;
        function subscription(uint64 feedId, address subscriber) external view returns (uint64 callbackGas, uint256 deposit);
        function subscribers(uint64 feedId) external view returns (address[]);

        // Request/response.
        function request(uint64 feedId, bytes32 query, uint64 callbackGas, uint64 expiresAt) external payable returns (uint64 requestId);
        function respond(bytes report) external;
        function cancelRequest(uint64 requestId) external;
        function getRequest(uint64 requestId) external view returns (RequestData request);

        event FeedCreated(uint64 indexed feedId, address indexed admin, string description);
        event ConfigSet(uint64 indexed feedId, uint64 version, bytes32 configDigest, address[] signers, uint8 f);
        event AdminTransferred(uint64 indexed feedId, address indexed admin);
        event NewRound(uint64 indexed feedId, uint64 indexed roundId, int256 answer, uint64 observedAt, uint8 signers, address transmitter);
        event AnswerOutOfBounds(uint64 indexed feedId, uint64 indexed roundId, int256 answer, int256 minAnswer, int256 maxAnswer);
        event Subscribed(uint64 indexed feedId, address indexed subscriber, uint64 callbackGas, uint256 deposit);
        event Unsubscribed(uint64 indexed feedId, address indexed subscriber, uint256 refund);
        event CallbackDelivered(uint64 indexed feedId, address indexed subscriber, uint64 roundId, uint64 gasUsed, uint256 fee);
        event CallbackFailed(uint64 indexed feedId, address indexed subscriber, uint64 roundId, uint64 gasUsed, uint256 fee, bytes reason);
        event CallbackSkipped(uint64 indexed feedId, address indexed subscriber, uint64 roundId, uint256 deposit, uint256 needed, uint256 fee);
        event CallbackOverPriced(uint64 indexed feedId, address indexed subscriber, uint64 roundId, uint256 gasPrice, uint256 maxGasPrice, uint256 fee);
        event SubscriberParked(uint64 indexed feedId, address indexed subscriber, uint64 roundId, uint8 misses, uint256 deposit);
        event OracleRequest(uint64 indexed requestId, uint64 indexed feedId, address indexed requester, bytes32 query, uint256 fee, uint64 callbackGas, uint64 expiresAt);
        event OracleResponse(uint64 indexed requestId, int256 answer, uint64 observedAt, bool callbackSucceeded);
        event RequestCancelled(uint64 indexed requestId, uint256 refund);
    }

    /// Functions the registry gained after `IOracleRegistry` was in use.
    /// Solidity-wise they belong to the same interface (docs/oracle.md
    /// lists them together); they are declared apart because `sol!`
    /// renames overloaded functions (`subscribe_0Call`, `subscribe_1Call`),
    /// which would break every user of `IOracleRegistry::subscribeCall`.
    interface IOracleRegistryV2 {
        /// `subscribe` with a gas price cap: callbacks are paid at the
        /// transmission's gas price, and rounds priced above the cap are
        /// not delivered to this subscriber.
        function subscribe(uint64 feedId, uint64 callbackGas, uint256 maxGasPrice) external payable;
        /// Everything about one subscription; `maxGasPrice` is
        /// type(uint256).max when it has no cap; `active` is false while
        /// it is parked (and when there is no subscription).
        function subscriptionState(uint64 feedId, address subscriber) external view returns (uint64 callbackGas, uint256 deposit, uint256 maxGasPrice, uint8 misses, bool active);
    }

    /// Chainlink's AggregatorV3Interface, served at each feed's own address.
    interface AggregatorV3Interface {
        function decimals() external view returns (uint8);
        function description() external view returns (string);
        function version() external view returns (uint256);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }

    /// What the registry calls on subscribers and requesters.
    interface IOracleConsumer {
        function onOracleUpdate(uint64 feedId, uint64 roundId, int256 answer, uint64 observedAt) external;
        function onOracleResponse(uint64 requestId, int256 answer, uint64 observedAt) external;
    }
}
