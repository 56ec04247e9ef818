namespace Witness.Storage.Postgres;

/// <summary>How the PostgreSQL store connects and what it keeps ready.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>
    /// An Npgsql connection string. Its role runs the migrations when any are pending (it must then
    /// own the schema); all other work runs as <see cref="ApplicationRole"/> when that role exists.
    /// </summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// The role that ingest and reads run as (<c>SET ROLE</c> at connection start): it may read and
    /// append, never update or delete an event. Default <c>witness_app</c>, created by the first
    /// migration when the connecting role may create roles. When the connecting role is not a member,
    /// the store works with the connecting role's own rights.
    /// </summary>
    public string ApplicationRole { get; init; } = "witness_app";

    /// <summary>
    /// The role retention purges as: the only one besides the schema owner that may delete events.
    /// Default <c>witness_retention</c>. When the connecting role is not a member, purges run with the
    /// connecting role's own rights (and fail, logged, when it may not delete events).
    /// </summary>
    public string RetentionRole { get; init; } = "witness_retention";

    /// <summary>Month partitions created ahead of the current one at start. Default 2.</summary>
    public int MonthsAhead { get; init; } = 2;

    /// <summary>How often a group commit is tried again when PostgreSQL aborts it for a deadlock between instances. Default 5.</summary>
    public int DeadlockRetries { get; init; } = 5;

    /// <summary>
    /// After a group met a client id that was already stored, how many of the following groups look up
    /// their client ids before appending instead of letting the unique key of <c>event_ids</c> catch a
    /// repeat (which makes the group run twice). Default 1,000.
    /// </summary>
    public int GroupsLookingUpIdsAfterRepeat { get; init; } = 1_000;

    /// <summary>The clock that says which month partitions to create at start.</summary>
    /// <summary>
    /// The most events one free-text block holds (<see cref="Witness.Search.TextBlock"/>). Larger blocks
    /// cost less to write and index, smaller ones read fewer rows per candidate. Default 64.
    /// </summary>
    public int TextBlockEvents { get; init; } = Witness.Search.TextBlock.DefaultMaxEvents;

    /// <summary>
    /// Whether start indexes the events stored before the free-text block index existed (once, after
    /// the upgrade). Searches find those events either way; until they are indexed, they are read as a scan.
    /// </summary>
    public bool IndexTextBacklogAtStart { get; init; } = true;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Whether a count fills the closed days it needs whose day counts (<see cref="KeyDayCounts"/>) are missing or changed
    /// before it reads them (default), or scans those days and leaves the fill to a loop that runs behind
    /// (<see cref="IKeyDayCountsStore.FillClosedDaysAsync"/>, the server's), so that no request waits for a fill.
    /// </summary>
    public bool FillKeyDaysOnCount { get; init; } = true;
}
