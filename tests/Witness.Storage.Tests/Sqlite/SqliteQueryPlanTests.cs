using Microsoft.Data.Sqlite;
using Witness.Search;
using Witness.Storage.Sqlite;

namespace Witness.Storage.Tests.Sqlite;

/// <summary>
/// A first page must cost the same at ten million events as at ten: every search is driven by an
/// index read in (occurred_at, seq) order and stops after one page. SQLite's own plan shows it: no
/// sort of the matching rows, no scan of the table.
/// </summary>
public sealed class SqliteQueryPlanTests : IAsyncLifetime
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
    [InlineData("", "ix_events_time")]
    [InlineData("actor:u_17", "ix_events_actor")]
    [InlineData("actor:ada@acme.example", "ix_events_actor")]
    [InlineData("action:inbox.create", "ix_events_action")]
    [InlineData("action:inbox.*", "ix_events_time")]
    [InlineData("type:access", "ix_events_time")]
    [InlineData("category:Inboxes outcome:failure", "ix_events_time")]
    [InlineData("ip:203.0.113.0/24", "ix_events_time")]
    [InlineData("target:inbox:24725", "SEARCH x USING PRIMARY KEY")]
    [InlineData("created:2023-06-01..2023-06-30", "ix_events_time")]
    [InlineData("actor:u_17 action:inbox.create -outcome:failure", "ix_events_actor")]
    [InlineData("\"free text\" type:access", "ix_events_time")]
    public void The_first_page_is_read_from_an_index_in_order_without_sorting(string query, string index)
    {
        var filter = SearchQueryParser.Parse(query, TimeZoneInfo.Utc);
        using var command = _connection.CreateCommand();
        // An email search is driven by the one actor id seen with that email (actor_emails).
        var emailActors = SqliteSearch.DrivingEmail(filter) is null ? null : new[] { "u_ada" };
        SqliteSearch.Build(command, 1, filter, new EventCursor(1_700_000_000_000_000, 42), 51, emailActors);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var text = string.Join(" | ", plan);
        Assert.Contains(index, text);
        Assert.DoesNotContain("TEMP B-TREE", text);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN e", StringComparison.Ordinal) && !step.Contains("INDEX", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("berlin")]
    [InlineData("\"night shift\" -outcome:failure")]
    [InlineData("(berlin OR lisbon) type:access created:2023-06-01..2023-06-30")]
    public void A_free_text_page_reads_only_the_rows_of_its_candidate_blocks_by_row_id(string query)
    {
        var filter = SearchQueryParser.Parse(query, TimeZoneInfo.Utc);
        using var command = _connection.CreateCommand();
        SqliteStore.BuildBlockRows(command, 1, filter, new EventCursor(1_700_000_000_000_000, 42), [new(1, 256, 0, 1), new(513, 768, 0, 1)], 51, null);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var text = string.Join(" | ", plan);
        Assert.Contains("SEARCH e USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)", text);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN e", StringComparison.Ordinal));

        // The personal text of split rows (migration 029) is read for the same ranges once, from the rid index that carries it
        // (030), into a list each row probes: never a lookup of each row's side row. The side rows of the page's own rows are
        // joined for their values record.
        Assert.Contains("LIST SUBQUERY", text);
        Assert.Contains("SEARCH q USING COVERING INDEX ix_event_personal_rid (rid>? AND rid<?)", text);
        Assert.DoesNotContain("CORRELATED", text);
    }
}
