using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Server;
using Witness.Server.Witnessing;

namespace Witness.Bench;

/// <summary>
/// <c>ingest --witnesses N</c>: N witnesses (the same code as <c>witness witness</c>) on loopback in this process,
/// configured for the heads log of a server about to start in the given folder, so the timed ingest runs
/// with every heads checkpoint submitted to them.
/// </summary>
internal static class BenchWitnesses
{
    public static async Task<(IReadOnlyList<WebApplication> Apps, Action<WitnessServerOptions> Configure)> StartAsync(string folder, int count)
    {
        const string origin = "witness";
        using (SigningKey.LoadOrCreate(folder, origin))
        {
        }

        var logKey = Ed25519NoteKey.LoadOrCreate(Path.Combine(folder, SigningKey.FileName + Ed25519NoteKey.FileSuffix), origin).VerifierKey;
        var config = Path.Combine(folder, "witnessed-logs.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { logs = new[] { new { origin = LogOrigins.Heads(origin), keys = new[] { logKey } } } }));
        var apps = new List<WebApplication>();
        var endpoints = new List<WitnessEndpoint>();
        for (var i = 0; i < count; i++)
        {
            var app = WitnessRole.Build(new WitnessRoleOptions { DataDirectory = Path.Combine(folder, $"witness-{i}"), Name = $"bench.example/w{i}", ConfigFile = config, Urls = "http://127.0.0.1:0" });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            endpoints.Add(WitnessEndpoint.Parse($"{app.Services.GetRequiredService<WitnessedLogs>().Key.CosignerVerifierKey}={address}"));
            apps.Add(app);
        }

        return (apps, options => options.Witnessing.Witnesses.AddRange(endpoints));
    }
}
