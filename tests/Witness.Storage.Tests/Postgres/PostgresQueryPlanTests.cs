using Npgsql;
using Witness.Search;
using Witness.Storage.Postgres;
using Witness.Storage.Tests.Conformance;

namespace Witness.Storage.Tests.Postgres;

/// <summary>
/// A first page must cost the same at ten million events as at ten: for every filter, PostgreSQL can
/// read the page from an index in (occurred_at, seq) order in each month partition and merge them,
/// never sorting the matching rows. With sorting and table scans priced out, the plan still holds
/// no sort, which means such an index path exists for the query as the store writes it.
/// </summary>
public sealed class PostgresQueryPlanTests(PostgresDatabaseFixture fixture) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task An_actors_email_is_read_from_the_email_indexes_of_split_rows_and_of_rows_stored_before_never_by_a_scan()
    {
        // The two email indexes (event_personal's for split rows, ix_events_email for rows stored before) give the email's rows;
        // they are sorted by time then (the matches of one email, not the tenant).
        var plan = await PlanAsync("actor:ada@acme.example", "SET enable_seqscan = off");

        var text = string.Join(Environment.NewLine, plan);
        Assert.Contains("ix_event_personal_email", text, StringComparison.Ordinal);
        Assert.Contains("_actor_email_occurred_at_seq_idx", text, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, step => step.Contains("Seq Scan on event", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "_tenant_id_occurred_at_seq_received_at_")]
    [InlineData("actor:u_17", "_actor_id_occurred_at_seq_idx")]
    [InlineData("action:inbox.create", "_occurred_at_seq_")]
    [InlineData("action:inbox.*", "_tenant_id_occurred_at_seq_received_at_")]
    [InlineData("type:access", "_tenant_id_occurred_at_seq_received_at_")]
    [InlineData("category:Inboxes outcome:failure", "_tenant_id_occurred_at_seq_received_at_")]
    [InlineData("ip:203.0.113.0/24", "_tenant_id_occurred_at_seq_received_at_")]
    [InlineData("target:inbox:24725", "event_targets_")]
    [InlineData("created:2023-06-01..2023-06-30", "_tenant_id_occurred_at_seq_received_at_")]
    [InlineData("actor:u_17 action:inbox.create -outcome:failure", "_occurred_at_seq_idx")]
    [InlineData("\"free text\" type:access", "_tenant_id_occurred_at_seq_received_at_")]
    public async Task The_first_page_is_read_from_an_index_in_order_without_sorting(string query, string index)
    {
        var plan = await PlanAsync(query, "SET enable_sort = off; SET enable_seqscan = off");

        var text = string.Join(Environment.NewLine, plan);
        Assert.Contains(index, text, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, step => step.TrimStart('-', '>', ' ').StartsWith("Sort", StringComparison.Ordinal) && !step.StartsWith("Sort Key", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("Seq Scan on events_", StringComparison.Ordinal) || step.Contains("Seq Scan on event_targets_", StringComparison.Ordinal));
    }

    /// <summary>The lines of PostgreSQL's plan (EXPLAIN, no costs) for the first page of <paramref name="query"/> as the store writes it, under <paramref name="settings"/>.</summary>
    private async Task<List<string>> PlanAsync(string query, string settings)
    {
        await using (var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = fixture.Database.ConnectionString }))
        {
            await store.InitializeAsync(CancellationToken.None);
        }

        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using (var set = new NpgsqlCommand(settings, connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand { Connection = connection };
        PostgresSearch.Build(command, 1, SearchQueryParser.Parse(query, TimeZoneInfo.Utc), new EventCursor(1_700_000_000_000_000, 42), 51);
        command.CommandText = "EXPLAIN (COSTS OFF) " + command.CommandText;
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0).Trim());
        }

        return plan;
    }
}
