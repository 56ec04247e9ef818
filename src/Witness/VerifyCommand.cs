using System.CommandLine;
using Witness.Integrity;
using Witness.Server;
using Witness.Storage;
using Witness.Verification;

namespace Witness.Cli;

/// <summary><c>witness verify --tenant T</c>: recomputes a tenant's log from the database and checks it.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var tenant = new Option<string>("--tenant") { Description = "The tenant whose log to verify.", Required = true, HelpName = "TENANT" };
        var origin = new Option<string>("--origin") { Description = "The server's checkpoint origin (its key name).", DefaultValueFactory = _ => "witness" };
        var command = new Command("verify", "Recompute a tenant's log from the database and check every event, stored hash and signed checkpoint. Exits 1 naming the first bad seq.")
        {
            data, postgres, signingKey, tenant, origin,
        };
        command.SetAction(async (parse, ct) =>
        {
            var dataDirectory = parse.GetValue(data)!;
            var keyFile = parse.GetValue(signingKey);
            if (keyFile is null && !File.Exists(Path.Combine(dataDirectory, SigningKey.FileName)))
            {
                await Console.Error.WriteLineAsync($"witness verify: no signing key in '{dataDirectory}': is this a Witness data folder? (or name the key with --signing-key)");
                return 2;
            }

            SigningKey key;
            IWitnessStore store;
            try
            {
                key = ServerSigningKey.Load(new WitnessServerOptions { DataDirectory = dataDirectory, SigningKeyFile = keyFile, Origin = parse.GetValue(origin)! });
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"witness verify: {ex.Message}");
                return 2;
            }

            using var ownedKey = key;
            try
            {
                store = await StoreOpener.OpenAsync(dataDirectory, parse.GetValue(postgres), ct);
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"witness verify: {ex.Message}");
                return 2;
            }

            await using var ownedStore = store;
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
