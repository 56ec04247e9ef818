using Microsoft.Data.Sqlite;
using Witness.Search;
using Witness.Storage.Sqlite;

namespace Witness.Storage.Tests.Sqlite;

/// <summary>
/// A month's histogram must not read the month's events when the filter only tests action, type,
/// outcome or category: the counts are read from <c>event_counts</c> by its primary key, in key order
/// without sorting. Other filters and the top lists read indexes that carry what they count, never the rows.
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

        var plan = Plan(SqliteStore.AggregateSql, filter);

        Assert.Contains("SEARCH e USING PRIMARY KEY (tenant_id=? AND slot>? AND slot<?)", plan);
        Assert.DoesNotContain("events", plan);
        if (query.Length == 0)
        {
            // The month unfiltered: its tens of thousands of rows are grouped in key order as they are read.
            Assert.DoesNotContain("TEMP B-TREE", plan);
        }
    }

    [Theory]
    [InlineData("target:inbox:24725", "SEARCH e USING COVERING INDEX ix_events_time (tenant_id=? AND occurred_at=? AND seq=?)")]
    [InlineData("target:inbox:24725 -outcome:failure -actor:u_17", "SEARCH e USING COVERING INDEX ix_events_time (tenant_id=? AND occurred_at=? AND seq=?)")]
    [InlineData("ip:203.0.113.0/24 -outcome:failure", "SEARCH e USING COVERING INDEX ix_events_time (tenant_id=? AND occurred_at>? AND occurred_at<?)")]
    [InlineData("-actor:u_17 -actor:ada@acme.example", "SEARCH e USING COVERING INDEX ix_events_time (tenant_id=? AND occurred_at>? AND occurred_at<?)")]
    public void The_scan_of_a_filter_the_counts_do_not_serve_reads_an_index_that_carries_every_column_it_counts(string query, string step)
    {
        var filter = SearchQueryParser.Parse(query, TimeZoneInfo.Utc) with { From = DateTimeOffset.UnixEpoch, To = DateTimeOffset.UnixEpoch.AddDays(30) };

        foreach (var keys in new[] { "({0}.occurred_at - 1) / 900000000, e.type, e.action", "coalesce(e.actor_id, e.actor_email)", "e.ip" })
        {
            var plan = Plan((command, tenant, f, _) =>
            {
                var (from, alias, where) = SqliteStore.ScanSource(command, tenant, f, null);
                return $"SELECT {string.Format(System.Globalization.CultureInfo.InvariantCulture, keys, alias)}, count(*), sum(e.outcome = 'failure') FROM {from} WHERE {where} GROUP BY 1";
            }, filter);

            Assert.Contains(step, plan);
            Assert.DoesNotContain("INTEGER PRIMARY KEY", plan);
        }
    }

    [Theory]
    [InlineData("actor:u_17")]
    [InlineData("ip:203.0.113.0/24")]
    [InlineData("target:inbox:24725")]
    [InlineData("\"free text\"")]
    [InlineData("(action:user.login OR actor:u_17)")]
    public void A_filter_on_anything_else_is_not_served_by_the_counts(string query) =>
        Assert.False(EventCountSlots.Serve(SearchQueryParser.Parse(query, TimeZoneInfo.Utc), 900));

    private string Plan(Func<SqliteCommand, long, EventFilter, (long, long), string> sql, EventFilter filter)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql(command, 1, filter, (2_000_000, 2_002_976));
        var plan = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join(" | ", plan);
    }
}
