using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Witness.Server.Tests.Privacy;

/// <summary>
/// <c>witness erase</c> run by another process on the SQLite store of a running <c>witness serve</c> (docs/erasure.md):
/// the server remembers which email-index pairs it stored, and must notice that the CLI removed the subject's, so a
/// later event of the subject is found by its email again.
/// </summary>
public sealed class ErasingWhileServingTests
{
    private const string Email = "erin.subject@example.com";

    private static JsonObject SubjectEvent() =>
        Some.Event(change: e =>
        {
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_erin", ["name"] = "Erin Subject", ["email"] = Email };
            e["context"] = new JsonObject { ["ip"] = "198.51.100.77" };
        });

    [Fact]
    public async Task Witness_erase_on_the_SQLite_store_of_a_running_server_leaves_the_server_finding_later_events_of_the_subject_by_email()
    {
        var data = TempFolder.Create("witness-erase-serving");
        try
        {
            var tenant = Some.Tenant();
            var created = await WitnessProcess.RunAsync("keys", "create", "--tenant", tenant, "--scopes", "events:write", "events:read", "--data", data);
            Assert.True(created.ExitCode == 0, created.ToString());
            using var server = await WitnessProcess.ServeAsync(data);
            using var client = new HttpClient { BaseAddress = server.Address };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Output.Trim().Split('\n')[^1]);

            // The server stores the subject's (email, actor id) pair in the email index and remembers it did.
            var sent = await client.PostAsync(Some.Batch([SubjectEvent(), Some.Event(), SubjectEvent(), SubjectEvent()]));
            Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
            Assert.Equal(3, await CountAsync(client, $"/v1/events?actor={Email}"));

            var erase = await WitnessProcess.RunAsync("erase", "--tenant", tenant, "--email", Email, "--data", data);
            Assert.True(erase.ExitCode == 0, erase.ToString());
            Assert.Contains("Erased the personal values of 3 events", erase.Output, StringComparison.Ordinal);

            // The running server reads the erased rows, and a new event of the subject is in the email index again.
            Assert.Equal(0, await CountAsync(client, $"/v1/events?actor={Email}"));
            Assert.Equal(3, await CountAsync(client, "/v1/events?actor=u_erin"));
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(Some.Batch([SubjectEvent()]))).StatusCode);
            var found = (await (await client.GetAsync($"/v1/events?actor={Email}")).JsonAsync()).GetProperty("events").EnumerateArray().ToList();
            var only = Assert.Single(found);
            Assert.Equal(Email, only.GetProperty("actor").GetProperty("email").GetString());
            Assert.Equal("Erin Subject", only.GetProperty("actor").GetProperty("name").GetString());

            var verified = await WitnessProcess.RunAsync("verify", "--tenant", tenant, "--data", data);
            Assert.True(verified.ExitCode == 0, verified.ToString());
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    private static async Task<int> CountAsync(HttpClient client, string path) =>
        (await (await client.GetAsync(path)).JsonAsync()).GetProperty("events").GetArrayLength();
}
