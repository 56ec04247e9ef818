using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Witness.Access;
using Witness.Catalog;
using Witness.Server;
using Witness.Server.Catalog;
using Witness.Server.Demo;
using Witness.Storage;

namespace Witness.Cli;

/// <summary><c>witness serve</c>: runs the server until it is stopped.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var urls = new Option<string>("--urls")
        {
            Description = "Addresses to listen on, separated by ';'.",
            DefaultValueFactory = _ => "http://127.0.0.1:5080",
            HelpName = "URLS",
        };
        var demo = new Option<bool>("--demo") { Description = $"Fill the '{DemoData.Tenant}' tenant with a month of realistic events and print an API key for it." };
        var allowHosts = new Option<string[]>(WebhookAllowHostOption)
        {
            Description = "A host name or IP that webhooks may reach although it is loopback, private or otherwise non-public (repeatable). By default deliveries go to public addresses only.",
            HelpName = "HOST",
            AllowMultipleArgumentsPerToken = false,
        };
        var catalog = new Option<string[]>(CatalogOption)
        {
            Description = "A JSON catalog file written to the global layer of the action catalog at every start. Repeatable.",
            HelpName = "FILE",
        };
        catalog.Validators.Add(result =>
        {
            foreach (var path in result.GetValueOrDefault<string[]>() ?? [])
            {
                try
                {
                    CatalogFile.Load(path);
                }
                catch (CatalogException ex)
                {
                    foreach (var problem in ex.Errors)
                    {
                        result.AddError($"--catalog: {ex.Origin ?? path}: {problem.Field}: {problem.Message}");
                    }
                }
            }
        });
        var preset = new Option<string[]>(PresetOption)
        {
            Description = $"A shipped catalog written at every start: NAME into the global layer, NAME:TENANT into one tenant's. Repeatable. Presets: {string.Join(", ", CatalogFile.PresetNames)}.",
            HelpName = "NAME[:TENANT]",
        };
        preset.Validators.Add(result =>
        {
            foreach (var text in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!PresetChoice.TryParse(text, out _, out var error))
                {
                    result.AddError($"--preset {text}: {error}");
                }
            }
        });
        var command = new Command("serve", "Run the Witness server (SQLite in the data folder).") { data, urls, demo, catalog, preset, allowHosts };
        command.SetAction(async (parse, ct) =>
        {
            var options = ReadOptions(parse);
            WebApplication app;
            try
            {
                app = await WitnessServer.BuildAsync(options, ct: ct);
            }
            catch (Exception ex) when (ex is InvalidOperationException or CatalogException)
            {
                await Console.Error.WriteLineAsync($"witness: cannot start: {ex.Message}");
                return 1;
            }

            await using (app)
            {
                await app.StartAsync(ct);
                Console.WriteLine($"Witness is listening on {options.Urls} (data in {Path.GetFullPath(options.DataDirectory)})");
                if (options.Demo)
                {
                    var key = await DemoKeyAsync(app.Services.GetRequiredService<IWitnessStore>(), options, ct);
                    Console.WriteLine($"Demo tenant '{DemoData.Tenant}': API key (events:read events:write admin):");
                    Console.WriteLine(key);
                }

                await app.WaitForShutdownAsync(ct);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The server options a parsed <c>serve</c> command line asks for.</summary>
    /// <exception cref="InvalidOperationException">The parse result has errors, or is not of the serve command.</exception>
    public static WitnessServerOptions ReadOptions(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.Errors.Count > 0 || parse.CommandResult.Command.Name != "serve")
        {
            throw new InvalidOperationException("not a valid serve command line: " + string.Join("; ", parse.Errors.Select(e => e.Message)));
        }

        var options = new WitnessServerOptions
        {
            DataDirectory = parse.GetRequiredValue<string>("--data"),
            Urls = parse.GetRequiredValue<string>("--urls"),
            Demo = parse.GetValue<bool>("--demo"),
        };
        foreach (var text in parse.GetValue<string[]>(PresetOption) ?? [])
        {
            PresetChoice.TryParse(text, out var choice, out _);
            options.Presets.Add(choice!);
        }

        options.CatalogFiles.AddRange(parse.GetValue<string[]>(CatalogOption) ?? []);
        foreach (var host in parse.GetValue<string[]>(WebhookAllowHostOption) ?? [])
        {
            options.WebhookAllowedHosts.Add(host);
        }

        return options;
    }

    private const string CatalogOption = "--catalog";
    private const string PresetOption = "--preset";
    private const string WebhookAllowHostOption = "--webhook-allow-host";

    /// <summary>The demo tenant's key: created once and kept in the data folder, so every demo start prints the same key.</summary>
    private static async Task<string> DemoKeyAsync(IWitnessStore store, WitnessServerOptions options, CancellationToken ct)
    {
        var path = Path.Combine(options.DataDirectory, "demo-api-key");
        if (File.Exists(path))
        {
            return (await File.ReadAllTextAsync(path, ct)).Trim();
        }

        var (key, record) = ApiKeys.Create(DemoData.Tenant, Scopes.All, "demo", options.Clock.GetUtcNow());
        await store.CreateApiKeyAsync(record, ct);
        await File.WriteAllTextAsync(path, key + "\n", ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }
}
