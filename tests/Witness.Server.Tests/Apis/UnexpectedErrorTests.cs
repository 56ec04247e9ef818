using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Witness.Access;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Apis;

/// <summary>Issue 17 item 4: an error no endpoint expected still answers problem+json, with the trace id to find it in the logs.</summary>
public sealed class UnexpectedErrorTests
{
    [Fact]
    public async Task A_store_that_fails_answers_a_problem_500_with_the_trace_id_and_nothing_is_saved()
    {
        await using var server = await RunningServer.StartAsync(sqliteOnly: true);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant, Scopes.Admin, Scopes.EventsRead);

        // The database itself refuses every new alert rule, as a full or broken disk would: a real failure of the real store.
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "witness.db")};Pooling=False"))
        {
            await db.OpenAsync();
            await using var command = db.CreateCommand();
            command.CommandText = "CREATE TRIGGER refuse_rules BEFORE INSERT ON alert_rules BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END;";
            await command.ExecuteNonQueryAsync();
        }

        var rule = new JsonObject { ["name"] = "Many sign-ins", ["kind"] = "match", ["query"] = "action:user.login" };
        using var response = await client.PostAsync("/v1/alerts/rules", Some.Json(rule));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(500, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.TryGetProperty("traceId", out var traceId) && traceId.GetString()?.Length > 0, body);
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("title").GetString()));
        Assert.DoesNotContain("the disk refused", problem.RootElement.GetRawText(), StringComparison.Ordinal);

        var list = JsonDocument.Parse(await client.GetStringAsync("/v1/alerts/rules"));
        Assert.Empty(list.RootElement.GetProperty("rules").EnumerateArray());
    }
}
