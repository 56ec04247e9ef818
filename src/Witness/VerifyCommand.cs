using System.CommandLine;
using Witness.Checkpoints;
using Witness.Export;
using Witness.Integrity;
using Witness.Server;
using Witness.Storage;
using Witness.Verification;

namespace Witness.Cli;

/// <summary>
/// <c>witness verify --tenant T</c>: recomputes a tenant's log from the database and checks it.
/// <c>witness verify --file F --public-key K</c>: checks a verifiable NDJSON export offline.
/// Both exit 1 naming the first bad seq.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var tenant = new Option<string?>("--tenant") { Description = "The tenant whose log to verify in the store.", HelpName = "TENANT" };
        var file = new Option<FileInfo?>("--file") { Description = "An NDJSON export (format=ndjson) to verify offline, with no network and no database.", HelpName = "FILE" };
        var publicKey = new Option<FileInfo[]>("--public-key")
        {
            Description = "With --file: a PEM public key that signs the log's checkpoints (GET /v1/public-key). Repeatable: an export across a key rotation " +
                "needs every key its checkpoints name (GET /v1/public-keys lists them; the export's header says which).",
            HelpName = "KEY.pem",
            AllowMultipleArgumentsPerToken = false,
        };
        var origin = new Option<string>("--origin") { Description = "The server's checkpoint origin (its key name).", DefaultValueFactory = _ => "witness" };
        var checkpoints = new Option<FileInfo[]>("--checkpoint")
        {
            Description = "With --tenant: a signed checkpoint kept outside the database (the note text, or the JSON GET /v1/checkpoints/latest answers). " +
                "Repeatable. Fails unless the log is a consistent extension of each: only such a checkpoint reveals a tail cut off by someone who can write the database. " +
                "A checkpoint of the heads log (such as the last one witnesses cosigned, GET /tiles/heads/checkpoint) checks the heads log the same way.",
            HelpName = "FILE",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("verify", "Check that nothing in a log was changed, removed, reordered or inserted: a tenant's log in the data folder (--tenant), or an NDJSON export offline (--file with --public-key). Exits 1 naming the first bad seq.")
        {
            data, postgres, signingKey, tenant, file, publicKey, origin, checkpoints,
        };
        command.Validators.Add(result =>
        {
            var hasTenant = result.GetValue(tenant) is not null;
            var hasFile = result.GetValue(file) is not null;
            if (hasTenant == hasFile)
            {
                result.AddError("Give either --tenant (verify a log in the data folder) or --file (verify an export offline), not both.");
            }
            else if (hasFile && result.GetValue(checkpoints) is { Length: > 0 })
            {
                result.AddError("--checkpoint goes with --tenant: an export carries its own signed checkpoint.");
            }
            else if (hasFile && result.GetValue(publicKey) is not { Length: > 0 })
            {
                result.AddError("--file needs --public-key: the PEM key that signs the log's checkpoints (GET /v1/public-key).");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(file) is { } export)
            {
                return await VerifyFileAsync(export, parse.GetValue(publicKey)!, ct);
            }

            var notes = new List<string>();
            foreach (var note in parse.GetValue(checkpoints) ?? [])
            {
                try
                {
                    notes.Add(ReadNote(await File.ReadAllTextAsync(note.FullName, ct)));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or FormatException)
                {
                    await Console.Error.WriteLineAsync($"witness verify: cannot read the checkpoint {note.FullName}: {ex.Message}");
                    return 2;
                }
            }

            var dataDirectory = parse.GetValue(data)!;
            var keyFile = parse.GetValue(signingKey);
            if (keyFile is null && !File.Exists(Path.Combine(dataDirectory, SigningKey.FileName)))
            {
                await Console.Error.WriteLineAsync($"witness verify: no signing key in '{dataDirectory}': is this a Witness data folder? (or name the key with --signing-key)");
                return 2;
            }

            SigningKey key;
            CommandHost opened;
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
                opened = await CommandHost.OpenAsync(dataDirectory, parse.GetValue(postgres), ct);
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"witness verify: {ex.Message}");
                return 2;
            }

            await using var host = opened;
            var store = host.Store;
            var name = parse.GetValue(tenant)!;
            var tenants = await store.ListTenantsAsync(ct);
            if (!tenants.Contains(name))
            {
                // A mistyped name would otherwise verify as an empty log.
                var known = tenants.Count == 0 ? "it has none" : $"it has {string.Join(", ", tenants.Order().Take(10).Select(t => $"'{t}'"))}{(tenants.Count > 10 ? $" and {tenants.Count - 10} more" : "")}";
                await Console.Error.WriteLineAsync($"witness verify: no tenant '{name}' in this store ({known})");
                return 2;
            }

            using var keys = await SigningKeyRegistry.TrustedKeysAsync(store, key.Key, ct);
            if (await HeadsProblemAsync(store, keys, key, notes, ct) is { } headsProblem)
            {
                Console.WriteLine($"FAILED: {headsProblem}");
                return 1;
            }

            var result = await new ChainVerifier(store, keys, key.KeyName).VerifyAsync(name, notes, ct);
            if (result.Ok)
            {
                var purged = result.Purged > 0 ? $" ({result.Purged} purged by retention, vouched for by their kept hashes)" : "";
                var outside = result.OutsideCheckpoints > 0 ? $" and {result.OutsideCheckpoints} kept outside" : "";
                Console.WriteLine($"OK: tenant '{name}': {Counted.Of(result.Events, "event")}{purged} verified against {Counted.Of(result.CheckpointsChecked, "signed checkpoint")}{outside}, as of size {result.Size}.");
                return 0;
            }

            Console.WriteLine($"FAILED: tenant '{name}' as of size {result.Size}: {result.Problem}");
            Console.WriteLine(result.FirstBadSeq is { } seq ? $"first bad seq: {seq}"
                : result.CheckpointSize is { } size ? $"bad checkpoint: size {size}"
                : "first bad seq: unknown");
            return 1;
        });
        return command;
    }

    /// <summary>
    /// Takes the heads-log checkpoints out of <paramref name="notes"/> (docs/witnessing.md) and checks the store's heads
    /// log against each: signed by a trusted key, and extended consistently. Null when all pass, else the problem.
    /// </summary>
    private static async Task<string?> HeadsProblemAsync(IWitnessStore store, CheckpointKeys keys, SigningKey key, List<string> notes, CancellationToken ct)
    {
        var origin = LogOrigins.Heads(key.KeyName);
        var heads = notes.Where(n => n.StartsWith(origin + "\n", StringComparison.Ordinal)).ToList();
        notes.RemoveAll(heads.Contains);
        foreach (var note in heads)
        {
            if (!keys.TryVerify(note, key.KeyName, out var checkpoint, out _) || checkpoint is null)
            {
                return $"the heads checkpoint given {keys.WhyUnsigned(note)}";
            }

            if (store is IHeadsLogStore headsStore && await new HeadsLog(headsStore, key, TimeProvider.System).ProblemWithAsync(checkpoint, ct) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>A checkpoint file's note: the file is the note text, or the JSON of GET /v1/checkpoints/latest (its "note").</summary>
    private static string ReadNote(string text)
    {
        if (!text.TrimStart().StartsWith('{'))
        {
            return text;
        }

        using var doc = System.Text.Json.JsonDocument.Parse(text);
        return doc.RootElement.TryGetProperty("note", out var note) && note.ValueKind == System.Text.Json.JsonValueKind.String
            ? note.GetString()!
            : throw new FormatException("the JSON has no \"note\": save the answer of GET /v1/checkpoints/latest, or the note text alone");
    }

    private static async Task<int> VerifyFileAsync(FileInfo export, FileInfo[] publicKeyFiles, CancellationToken ct)
    {
        var keys = new List<System.Security.Cryptography.ECDsa>();
        using var owned = new KeyList(keys);
        foreach (var publicKeyFile in publicKeyFiles)
        {
            try
            {
                keys.Add(SigningKey.ImportPublicKeyPem(await File.ReadAllTextAsync(publicKeyFile.FullName, ct)));
            }
            catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"witness verify: cannot read the public key {publicKeyFile.FullName}: {ex.Message}");
                return 2;
            }
        }

        {
            ExportVerification result;
            try
            {
                await using var stream = new FileStream(export.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan | FileOptions.Asynchronous);
                result = await ExportVerifier.VerifyAsync(stream, keys, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"witness verify: cannot read {export.FullName}: {ex.Message}");
                return 2;
            }

            if (result.Ok)
            {
                Console.WriteLine($"OK: export of tenant '{result.Tenant}': {Counted.Of(result.Events, "event")} verified against the signed checkpoint of size {result.CheckpointSize}.");
                return 0;
            }

            Console.WriteLine($"FAILED: {export.Name}: {result.Problem}");
            if (result.Seq is not null || result.EventId is not null || result.Line is not null)
            {
                Console.WriteLine(string.Join(", ", new[]
                {
                    result.Seq is { } seq ? $"first bad seq: {seq}" : null,
                    result.EventId is { } id ? $"id: {id}" : null,
                    result.Line is { } line ? $"line: {line}" : null,
                }.Where(p => p is not null)));
            }

            return 1;
        }
    }

    /// <summary>Disposes the public keys read from the command line.</summary>
    private sealed class KeyList(List<System.Security.Cryptography.ECDsa> keys) : IDisposable
    {
        public void Dispose() => keys.ForEach(k => k.Dispose());
    }
}
