using Microsoft.Data.Sqlite;
using Witness.Retention;
using Witness.Search;
using Witness.Server.Tests.Support;
using Witness.Storage.Sqlite;
using Witness.Storage.Tests.Conformance;

namespace Witness.Storage.Tests.Sqlite;

/// <summary>
/// The trigram index events_text (migration 006) holds exactly the events the table holds: written in
/// the transaction of the append, gone with a request rolled back out of a group commit or an event
/// purged by retention, and filled from the existing events when the migration runs.
/// </summary>
public sealed class SqliteTextIndexTests : IDisposable
{
    private readonly string _folder = TempFolder.Create("witness-sqlite-text");

    public void Dispose() => TempFolder.Delete(_folder);

    [Fact]
    public async Task A_request_rolled_back_from_a_group_commit_leaves_nothing_in_the_index()
    {
        await using var store = await OpenAsync();
        var tenant = Submit.Tenant();
        await store.AppendAsync(Submit.Request(Submit.Event(tenant, change: e => { e["id"] = "dup"; e["description"] = "kept original"; })));

        var group = await store.AppendAsync(
            [
                Submit.Request(Submit.Event(tenant, change: e => e["description"] = "kept alpha")),
                Submit.Request(Submit.Event(tenant, change: e => e["description"] = "rolledback one"), Submit.Event(tenant, change: e => { e["id"] = "dup"; e["description"] = "rolledback two"; })),
                Submit.Request(Submit.Event(tenant, change: e => e["description"] = "kept omega")),
            ],
            Submit.Now,
            CancellationToken.None);

        Assert.NotNull(group[1].Conflict);
        Assert.Equal([1L, 2L, 3L], Indexed(tenant, "kept"));
        Assert.Empty(Indexed(tenant, "rolledback"));
        Assert.Equal(Containing(tenant, "kept"), Indexed(tenant, "kept"));
    }

    [Fact]
    public async Task Purged_events_leave_the_index_and_the_rest_stay()
    {
        await using var store = await OpenAsync();
        var tenant = Submit.Tenant();
        var other = Submit.Tenant();
        var size = RetentionBlocks.BlockSize;
        await store.AppendManyAsync(tenant, size + 5, i => Submit.Event(tenant, change: e => e["description"] = $"shared words {i}"));
        await store.AppendManyAsync(other, 3, i => Submit.Event(other, change: e => e["description"] = $"shared words {i}"));

        await ((IRetentionStore)store).PurgeAsync(tenant, Submit.Now.AddSeconds(1), size, CancellationToken.None);

        Assert.Equal(Enumerable.Range(size + 1, 5).Select(i => (long)i), Indexed(tenant, "shared"));
        Assert.Equal([1L, 2L, 3L], Indexed(other, "shared"));
    }

    [Fact]
    public async Task The_migration_indexes_the_events_already_stored()
    {
        var tenant = Submit.Tenant();
        await using (var store = await OpenAsync())
        {
            await store.AppendManyAsync(tenant, 20, i => Submit.Event(tenant, change: e => e["description"] = i % 2 == 0 ? "even berlin" : "odd lisbon"));
        }

        // The store as it was before migration 006: no index, no triggers.
        Execute("DROP TRIGGER events_text_insert; DROP TRIGGER events_text_delete; DROP TABLE events_text; DELETE FROM schema_migrations WHERE version = 6");

        await using (var store = await OpenAsync())
        {
            Assert.Equal(Containing(tenant, "berlin"), Indexed(tenant, "berlin"));
            Assert.Equal(10, Indexed(tenant, "lisbon").Count);
            var page = await store.SearchAsync(tenant, SearchQueryParser.Parse("berlin OR lisbon", TimeZoneInfo.Utc), 50, null, CancellationToken.None);
            Assert.Equal(20, page.Events.Count);
        }
    }

    [Fact]
    public async Task A_rare_word_is_read_by_rid_from_the_index_and_a_short_one_is_not()
    {
        await (await OpenAsync()).DisposeAsync();
        using var connection = Open();
        var filter = SearchQueryParser.Parse("(berlin OR lisbon) -\"night shift\"", TimeZoneInfo.Utc);
        var match = SqliteTextIndex.Query(filter.Terms);

        Assert.Equal("(\"ber\" AND \"erl\" AND \"rli\" AND \"lin\") OR (\"lis\" AND \"isb\" AND \"sbo\" AND \"bon\")", match);
        Assert.Null(SqliteTextIndex.Query(SearchQueryParser.Parse("ab -berlin", TimeZoneInfo.Utc).Terms));
        Assert.Null(SqliteTextIndex.Query(SearchQueryParser.Parse("berlin OR ab", TimeZoneInfo.Utc).Terms));
        using var command = connection.CreateCommand();
        SqliteSearch.Build(command, 1, filter, null, 51, textCandidates: match);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, step => step.Contains("events_text VIRTUAL TABLE", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.StartsWith("SEARCH e USING INTEGER PRIMARY KEY", StringComparison.Ordinal));
    }

    private async Task<SqliteStore> OpenAsync()
    {
        var store = new SqliteStore(SqliteStoreOptions.InFolder(_folder));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "witness.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private void Execute(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // The seqs the index names for a word (of three or more characters, so it has trigrams).
    private List<long> Indexed(string tenant, string word) => Seqs(
        $"SELECT x.rowid - t.id * {1L << 40} FROM events_text x, tenants t WHERE t.name = $tenant AND events_text MATCH $m " +
        $"AND x.rowid BETWEEN t.id * {1L << 40} AND t.id * {1L << 40} + {(1L << 40) - 1} ORDER BY x.rowid",
        tenant, SqliteTextIndex.Query([new FilterTerm(FilterField.Text, word)])!);

    // The seqs whose stored search text holds the word.
    private List<long> Containing(string tenant, string word) => Seqs(
        "SELECT e.seq FROM events e JOIN tenants t ON t.id = e.tenant_id WHERE t.name = $tenant AND instr(e.search_text, $m) > 0 ORDER BY e.seq",
        tenant, word);

    private List<long> Seqs(string sql, string tenant, string match)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$m", match);
        var seqs = new List<long>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            seqs.Add(reader.GetInt64(0));
        }

        return seqs;
    }
}
