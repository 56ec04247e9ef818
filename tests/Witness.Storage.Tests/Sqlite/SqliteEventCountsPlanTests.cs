using Microsoft.Data.Sqlite;
using Witness.Search;
using Witness.Storage.Sqlite;

namespace Witness.Storage.Tests.Sqlite;

/// <summary>
/// A month's histogram must not read the month's events when the filter only tests action, type,
/// outcome or category: the counts are read from <c>event_counts</c> by its primary key, the slots in
/// key order without sorting.
/// </summary>
public sealed class SqliteEventCountsPlanTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"witness-plan-{Guid.NewGuid():N}");
    private SqliteConnection _connection = null!;

    public async Task InitializeAsync()
    {
        await using (var store = new SqliteStore(SqliteStoreOptions.InFolder(_folder)))
        {
            await store.InitializeAsync(CancellationToken.None);
        }

        _connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "witness.db")};Pooling=False");
        _connection.Open();
    }

    public Task DisposeAsync()
    {
        _connection.Dispose();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("")]
    [InlineData("action:inbox.*")]
    [InlineData("action:user.login outcome:failure")]
    [InlineData("type:access -category:Macros")]
    [InlineData("(action:user.login OR type:webhook_failure)")]
    public void The_histogram_of_a_filter_on_kept_columns_reads_the_counts_by_their_key_in_slot_order(string query)
    {
        var filter = SearchQueryParser.Parse(query, TimeZoneInfo.Utc);
        Assert.True(EventCountSlots.Serve(filter, 900));

        var slots = Plan(filter, "slot", 1);
        var actions = Plan(filter, "type, action", 2);

        Assert.Contains("SEARCH e USING PRIMARY KEY (tenant_id=? AND slot>? AND slot<?)", slots);
        Assert.DoesNotContain("TEMP B-TREE", slots);
        Assert.DoesNotContain("events", slots);
        Assert.Contains("SEARCH e USING PRIMARY KEY (tenant_id=? AND slot>? AND slot<?)", actions);
    }

    [Theory]
    [InlineData("actor:u_17")]
    [InlineData("ip:203.0.113.0/24")]
    [InlineData("target:inbox:24725")]
    [InlineData("\"free text\"")]
    [InlineData("(action:user.login OR actor:u_17)")]
    public void A_filter_on_anything_else_is_not_served_by_the_counts(string query) =>
        Assert.False(EventCountSlots.Serve(SearchQueryParser.Parse(query, TimeZoneInfo.Utc), 900));

    private string Plan(EventFilter filter, string keys, int keyCount)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteStore.AggregateSql(command, 1, filter, (2_000_000, 2_002_976), keys, keyCount);
        var plan = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join(" | ", plan);
    }
}
