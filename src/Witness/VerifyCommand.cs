using System.CommandLine;
using Witness.Integrity;
using Witness.Verification;

namespace Witness.Cli;

/// <summary><c>witness verify --tenant T</c>: recomputes a tenant's log from the database and checks it.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var tenant = new Option<string>("--tenant") { Description = "The tenant whose log to verify.", Required = true, HelpName = "TENANT" };
        var origin = new Option<string>("--origin") { Description = "The server's checkpoint origin (its key name).", DefaultValueFactory = _ => "witness" };
        var command = new Command("verify", "Recompute a tenant's log from the database and check every event, stored hash and signed checkpoint. Exits 1 naming the first bad seq.")
        {
            data, tenant, origin,
        };
        command.SetAction(async (parse, ct) =>
        {
            var dataDirectory = parse.GetValue(data)!;
            if (!File.Exists(Path.Combine(dataDirectory, SigningKey.FileName)))
            {
                await Console.Error.WriteLineAsync($"witness verify: no signing key in '{dataDirectory}': is this a Witness data folder?");
                return 2;
            }

            using var key = SigningKey.LoadOrCreate(dataDirectory, parse.GetValue(origin)!);
            await using var store = await StoreOpener.OpenAsync(dataDirectory, ct);
            var name = parse.GetValue(tenant)!;
            var result = await new ChainVerifier(store, key.Key, key.KeyName).VerifyAsync(name, ct);
            if (result.Ok)
            {
                var purged = result.Purged > 0 ? $" ({result.Purged} purged by retention, vouched for by their kept hashes)" : "";
                Console.WriteLine($"OK: tenant '{name}': {result.Events} events{purged} verified against {result.CheckpointsChecked} signed checkpoint(s).");
                return 0;
            }

            Console.WriteLine($"FAILED: tenant '{name}': {result.Problem}");
            Console.WriteLine(result.FirstBadSeq is { } seq ? $"first bad seq: {seq}" : "first bad seq: unknown");
            return 1;
        });
        return command;
    }
}
