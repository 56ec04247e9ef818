using System.Text.Json;
using Witness.Integrity;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Witnessing;

/// <summary>Real <c>witness witness</c> processes configured to witness a log's heads log, and reading what Witness says of them.</summary>
internal static class WitnessSetup
{
    /// <summary>A fresh origin prefix, so that series of the process-wide metrics are this test's own.</summary>
    public static string NewOrigin() => $"audit-{Guid.NewGuid():N}"[..18] + ".example.com";

    /// <summary>Creates the log's keys in <paramref name="keyFolder"/> (before the witnesses learn its verifier key); the Ed25519 verifier key.</summary>
    public static string CreateLogKeys(string keyFolder, string origin)
    {
        using (SigningKey.LoadOrCreate(keyFolder, origin))
        {
        }

        return Ed25519NoteKey.LoadOrCreate(Path.Combine(keyFolder, SigningKey.FileName + Ed25519NoteKey.FileSuffix), origin).VerifierKey;
    }

    /// <summary>Starts a witness of <c>&lt;origin&gt;/heads</c> trusting <paramref name="logKey"/>; the process and its cosignature/v1 verifier key.</summary>
    public static async Task<(WitnessProcess Process, string Key)> StartWitnessAsync(string folder, string name, string origin, string logKey)
    {
        var config = Path.Combine(folder, $"{name}-logs.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { logs = new[] { new { origin = $"{origin}/heads", keys = new[] { logKey } } } }));
        var process = await WitnessProcess.StartAsync("witness", Path.Combine(folder, name), "--name", $"witness.example.org/{name}", "--config", config);
        var key = await Eventually.GetAsync(
            () => Task.FromResult(process.Lines.FirstOrDefault(l => l.StartsWith("Verifier key: ", StringComparison.Ordinal))?["Verifier key: ".Length..]),
            "the witness's verifier key line");
        return (process, key);
    }

    public static async Task<JsonElement> StatusAsync(HttpClient client) => await (await client.GetAsync("/v1/witnessing")).JsonAsync();

    /// <summary>Waits until the heads log is witnessed by the policy at its latest size.</summary>
    public static async Task<JsonElement> WitnessedAsync(HttpClient client) =>
        await Eventually.GetValueAsync(async () =>
        {
            var status = await StatusAsync(client);
            return status.GetProperty("size").GetInt64() > 0 && status.GetProperty("last_witnessed") is { ValueKind: JsonValueKind.Object } last
                && last.GetProperty("size").GetInt64() == status.GetProperty("size").GetInt64() ? (JsonElement?)status : null;
        }, "the heads log witnessed at its latest size");

    /// <summary>The size and root hash in a checkpoint note's body.</summary>
    public static (long Size, byte[] Root) BodyOf(string note)
    {
        var lines = note.Split('\n');
        return (long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture), Convert.FromBase64String(lines[2]));
    }
}
