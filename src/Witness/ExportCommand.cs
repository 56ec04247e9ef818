using System.CommandLine;
using System.Net.Http.Headers;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Export;
using Witness.Export.Pdf;
using Witness.Ingest;
using Witness.Integrity;
using Witness.Search;
using Witness.Server;
using Witness.Server.Auditing;
using Witness.Storage;

namespace Witness.Cli;

/// <summary>
/// <c>witness export</c>: writes a tenant's events to a file with the same writers as the API, reading
/// the data folder directly (and recording the export in the tenant's log) or the API with a key.
/// The file appears only when it is complete.
/// </summary>
internal static class ExportCommand
{
    private static readonly string[] Formats = ["csv", "json", "ndjson", "pdf"];

    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var tenant = new Option<string>("--tenant") { Description = "The tenant to export.", Required = true, HelpName = "TENANT" };
        var format = new Option<string>("--format") { Description = "csv, json, ndjson (verifiable with witness verify --file) or pdf.", Required = true, HelpName = "FORMAT" };
        format.AcceptOnlyFromAmong(Formats);
        var output = new Option<string>("--out") { Description = "The file to write; replaced only once the export is complete.", Required = true, HelpName = "FILE" };
        var origin = new Option<string>("--origin") { Description = "The server's checkpoint origin (its key name).", DefaultValueFactory = _ => "witness" };
        var url = new Option<string?>("--url") { Description = "Export through a running server's API instead of the data folder.", HelpName = "URL" };
        var key = new Option<string?>("--key") { Description = "The API key (events:read) for --url.", HelpName = "KEY" };
        var filters = new FilterOptions();
        var command = new Command("export", "Export a tenant's events (all filters of GET /v1/events) to a CSV, JSON, NDJSON or PDF file.")
        {
            data, postgres, signingKey, tenant, format, output, origin, url, key,
        };
        foreach (var option in filters.All)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.GetValue(url) is not null && result.GetValue(key) is null)
            {
                result.AddError("--url needs --key, an API key with the events:read scope.");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(tenant)!;
            var given = filters.Given(parse);
            var target = Path.GetFullPath(parse.GetValue(output)!);
            var partial = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.partial");
            try
            {
                long rows;
                await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
                {
                    rows = parse.GetValue(url) is { } baseUrl
                        ? await ViaApiAsync(baseUrl, parse.GetValue(key)!, name, parse.GetValue(format)!, given, file, ct)
                        : await FromStoreAsync(new StoreLocation(parse.GetValue(data)!, parse.GetValue(postgres), parse.GetValue(signingKey)), parse.GetValue(origin)!, name, parse.GetValue(format)!, given, file, ct);
                }

                File.Move(partial, target, overwrite: true);
                Console.WriteLine(rows >= 0 ? $"Exported {Counted.Of(rows, "event")} of tenant '{name}' to {target}" : $"Exported tenant '{name}' to {target}");
                return 0;
            }
            catch (CliException ex)
            {
                await Console.Error.WriteLineAsync($"witness export: {ex.Message}");
                return ex.ExitCode;
            }
            finally
            {
                File.Delete(partial);
            }
        });
        return command;
    }

    private static async Task<long> FromStoreAsync(StoreLocation location, string origin, string tenant, string format, Dictionary<string, string> given, Stream file, CancellationToken ct)
    {
        if (!EventParser.IsValidTenant(tenant))
        {
            throw new CliException("--tenant must be 1–64 characters of A-Z a-z 0-9 . _ -");
        }

        if (location.SigningKeyFile is null && !File.Exists(Path.Combine(location.DataDirectory, SigningKey.FileName)))
        {
            throw new CliException($"no signing key in '{location.DataDirectory}': is this a Witness data folder? (or name the key with --signing-key)");
        }

        SigningKey key;
        CommandHost opened;
        try
        {
            key = ServerSigningKey.Load(new WitnessServerOptions { DataDirectory = location.DataDirectory, SigningKeyFile = location.SigningKeyFile, Origin = origin });
            opened = await CommandHost.OpenAsync(location.DataDirectory, location.Postgres, ct);
        }
        catch (InvalidOperationException ex)
        {
            throw new CliException(ex.Message);
        }

        using var ownedKey = key;
        await using var host = opened;
        var store = host.Store;
        if (await store.GetFrontierAsync(tenant, ct) is null)
        {
            throw new CliException($"no tenant named '{tenant}' has events in this store; `witness tenants list` shows the tenants");
        }

        var settings = await store.GetSettingsAsync(tenant, ct);
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(settings.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
        EventFilter filter;
        try
        {
            filter = EventFilterBinder.FromParameters(n => given.GetValueOrDefault(n), zone);
        }
        catch (SearchSyntaxException ex)
        {
            throw new CliException(ex.Message);
        }

        var clock = TimeProvider.System;
        var exporter = new EventExporter(store, new CheckpointIssuer(store, key, clock), clock,
            [new CsvExportWriter(), new JsonExportWriter(), new NdjsonExportWriter(), new PdfExportWriter()]);
        var writer = exporter.Find(format)!;
        var source = await exporter.PrepareAsync(tenant, filter, given, zone, ct);
        long rows;
        try
        {
            rows = await writer.WriteAsync(source, file, ct);
        }
        catch (ExportTooLargeException ex)
        {
            throw new CliException(ex.Message);
        }

        // The export leaves the log like any other: it is recorded in the tenant's log.
        var actor = new EventActor { Type = ActorTypes.Service, Id = "witness-cli", Name = $"witness export ({Environment.UserName})" };
        await host.ReadAuditor.RecordExportAsync(tenant, actor, null, given, writer.Format, rows, ct);
        return rows;
    }

    private static async Task<long> ViaApiAsync(string baseUrl, string key, string tenant, string format, Dictionary<string, string> given, Stream file, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var query = string.Join("&", given.Append(new("format", format)).Append(new("tenant", tenant))
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        using var response = await http.GetAsync($"/v1/events/export?{query}", HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException($"the server answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}", 1);
        }

        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await body.CopyToAsync(file, ct);
        return -1;
    }

    /// <summary>Where the store and the signing key are: the data folder, or PostgreSQL and a key file.</summary>
    private sealed record StoreLocation(string DataDirectory, string? Postgres, string? SigningKeyFile);
}
