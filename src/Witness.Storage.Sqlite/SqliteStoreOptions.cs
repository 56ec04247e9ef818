namespace Witness.Storage.Sqlite;

/// <summary>Where and how the embedded store keeps its file.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file. Its folder is created when missing.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>SQLite page cache per connection, in KiB. Default 64 MiB: the hot ends of the indexes stay in memory.</summary>
    public int CacheSizeKib { get; init; } = 65_536;

    /// <summary>How long a connection waits for a lock held by another connection before failing.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Events appended between two refreshes of the query planner's statistics.</summary>
    public long OptimizeEveryEvents { get; init; } = 100_000;

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

    /// <summary>
    /// The log's clock: which UTC days are closed, so that the top lists' day counts (<see cref="KeyDayCounts"/>) may be filled for them.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Whether a count fills the closed days it needs whose day counts (<see cref="KeyDayCounts"/>) are missing or changed
    /// before it reads them (default), or scans those days and leaves the fill to a loop that runs behind
    /// (<see cref="IKeyDayCountsStore.FillClosedDaysAsync"/>, the server's), so that no request waits for a fill.
    /// </summary>
    public bool FillKeyDaysOnCount { get; init; } = true;

    public static SqliteStoreOptions InFolder(string dataDirectory, TimeProvider? clock = null) =>
        new() { DatabasePath = Path.Combine(dataDirectory, "witness.db"), Clock = clock ?? TimeProvider.System };
}
