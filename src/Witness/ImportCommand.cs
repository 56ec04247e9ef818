using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Witness.Events;
using Witness.Integrity;
using Witness.Server;

namespace Witness.Cli;

/// <summary>
/// <c>witness import FILE --tenant T</c>: loads NDJSON (a Witness export, or one JSON event per line
/// from another system) with the API's validation. Every line is checked first and nothing is
/// stored when one is bad; then events go in batches of up to 1,000 with a progress display.
/// Idempotent on event ids: running it again after an interruption skips what is already there.
/// </summary>
internal static class ImportCommand
{
    public const int BatchSize = 1000;
    private const int ErrorsShown = 50;

    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The NDJSON file: one event per line, or a Witness export (format=ndjson)." };
        var tenant = new Option<string>("--tenant") { Description = "The tenant to import into; a tenant named in the events is replaced by it.", Required = true, HelpName = "TENANT" };
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var origin = new Option<string>("--origin") { Description = "The server's checkpoint origin (its key name), for the checkpoint signed at the end.", DefaultValueFactory = _ => "witness" };
        var url = new Option<string?>("--url") { Description = "Import through a running server's API instead of the data folder.", HelpName = "URL" };
        var key = new Option<string?>("--key") { Description = "The API key (events:write) for --url.", HelpName = "KEY" };
        var command = new Command("import", "Load events from an NDJSON file, with the same validation as the API, in batches; safe to run again.")
        {
            file, tenant, data, postgres, signingKey, origin, url, key,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(url) is not null && result.GetValue(key) is null)
            {
                result.AddError("--url needs --key, an API key with the events:write scope.");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            var name = parse.GetValue(tenant)!;
            if (!EventParser.IsValidTenant(name))
            {
                await Console.Error.WriteLineAsync("witness import: --tenant must be 1–64 characters of A-Z a-z 0-9 . _ -");
                return 2;
            }

            if (!path.Exists)
            {
                await Console.Error.WriteLineAsync($"witness import: no file {path.FullName}");
                return 2;
            }

            IImportTarget opened;
            try
            {
                opened = parse.GetValue(url) is { } baseUrl
                    ? new ApiImportTarget(new Uri(baseUrl), parse.GetValue(key)!)
                    : new StoreImportTarget(await CommandHost.OpenAsync(parse.GetValue(data)!, parse.GetValue(postgres), ct),
                        ExistingSigningKey(parse.GetValue(data)!, parse.GetValue(signingKey), parse.GetValue(origin)!));
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"witness import: {ex.Message}");
                return 2;
            }

            try
            {
                await using var target = opened;
                return await RunAsync(path, name, target, ct);
            }
            catch (CliException ex)
            {
                await Console.Error.WriteLineAsync($"witness import: {ex.Message}");
                return ex.ExitCode;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, string tenant, IImportTarget target, CancellationToken ct)
    {
        var parser = new EventParser(TimeProvider.System);
        var problems = new List<string>();
        long events = 0;
        await foreach (var (lineNumber, json, parsed, errors) in ReadAsync(file, tenant, parser, ct))
        {
            var all = errors.Count > 0 || parsed is null ? errors : await target.CheckAsync(parsed, ct);
            if (all.Count > 0)
            {
                problems.AddRange(all.Select(e => $"line {lineNumber}: {(e.Field.Length == 0 ? "event" : e.Field)}: {e.Message}"));
            }
            else if (json is not null)
            {
                events++;
            }
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems.Take(ErrorsShown))
            {
                await Console.Error.WriteLineAsync(problem);
            }

            if (problems.Count > ErrorsShown)
            {
                await Console.Error.WriteLineAsync($"… and {problems.Count - ErrorsShown} more");
            }

            await Console.Error.WriteLineAsync($"witness import: nothing was imported: {Counted.Of(problems.Count, "problem")} in {file.Name}; fix them and run the import again.");
            return 1;
        }

        long added = 0, already = 0;
        var rejected = new List<string>();
        async Task ImportAllAsync(Action<int> advanced)
        {
            var batch = new List<(JsonObject, SubmittedEvent)>(BatchSize);
            var lines = new List<long>(BatchSize);
            async Task FlushAsync()
            {
                var outcomes = await target.AppendAsync(batch, ct);
                for (var i = 0; i < outcomes.Count; i++)
                {
                    switch (outcomes[i].Result)
                    {
                        case ImportResult.Added: added++; break;
                        case ImportResult.AlreadyThere: already++; break;
                        default: rejected.Add($"line {lines[i]}: {outcomes[i].Error?.Field}: {outcomes[i].Error?.Message}"); break;
                    }
                }

                advanced(batch.Count);
                batch.Clear();
                lines.Clear();
            }

            await foreach (var (lineNumber, json, parsed, _) in ReadAsync(file, tenant, parser, ct))
            {
                if (json is null || parsed is null)
                {
                    continue;
                }

                batch.Add((json, parsed));
                lines.Add(lineNumber);
                if (batch.Count == BatchSize)
                {
                    await FlushAsync();
                }
            }

            if (batch.Count > 0)
            {
                await FlushAsync();
            }
        }

        // A bar redraws itself with ANSI codes, which only a terminal understands; a log or a pipe gets one plain line per batch.
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Ansi)
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask($"Importing into {tenant.EscapeMarkup()}", maxValue: Math.Max(events, 1));
                    await ImportAllAsync(n => task.Increment(n));
                    task.Value = task.MaxValue;
                });
        }
        else
        {
            long done = 0;
            await ImportAllAsync(n =>
            {
                done += n;
                Console.WriteLine($"Sent {done} of {Counted.Of(events, "event")}");
            });
        }

        foreach (var problem in rejected.Take(ErrorsShown))
        {
            await Console.Error.WriteLineAsync(problem);
        }

        Console.WriteLine($"Imported {Counted.Of(added, "event")} into tenant '{tenant}'; {already} {(already == 1 ? "was" : "were")} already there; {rejected.Count} rejected.");
        if (await target.FinishAsync(tenant, ct) is { } signed)
        {
            Console.WriteLine(signed);
        }

        return rejected.Count > 0 ? 1 : 0;
    }

    /// <summary>The server's signing key when the data folder has one or a key file is named; the import never creates one.</summary>
    private static SigningKey? ExistingSigningKey(string dataDirectory, string? keyFile, string origin) =>
        keyFile is not null || File.Exists(Path.Combine(dataDirectory, SigningKey.FileName))
            ? ServerSigningKey.Load(new WitnessServerOptions { DataDirectory = dataDirectory, SigningKeyFile = keyFile, Origin = origin })
            : null;

    /// <summary>Each line with its event as sent and as parsed, or the problems that make it invalid.</summary>
    private static async IAsyncEnumerable<(long Line, JsonObject? Json, SubmittedEvent? Parsed, IReadOnlyList<ValidationError> Errors)> ReadAsync(
        FileInfo file, string tenant, EventParser parser, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(file.FullName, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: true,
            new FileStreamOptions { Options = FileOptions.SequentialScan, BufferSize = 64 * 1024 });
        long number = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            number++;
            JsonObject? json = null;
            IReadOnlyList<ValidationError>? unreadable = null;
            try
            {
                json = ImportLine.Normalize(line, number, tenant);
            }
            catch (EventValidationException ex)
            {
                unreadable = ex.Errors;
            }

            if (unreadable is not null)
            {
                yield return (number, null, null, unreadable);
                continue;
            }

            if (json is null)
            {
                continue;
            }

            var errors = new List<ValidationError>();
            using var doc = JsonDocument.Parse(json.ToJsonString());
            var parsed = parser.ParseEvent(doc.RootElement, "", tenant, TimeProvider.System.GetUtcNow(), errors);
            yield return (number, json, parsed, errors);
        }
    }
}
