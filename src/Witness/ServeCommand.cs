using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Witness.Access;
using Witness.Catalog;
using Witness.Server;
using Witness.Server.Catalog;
using Witness.Server.Console;
using Witness.Server.Demo;
using Witness.Storage;

namespace Witness.Cli;

/// <summary><c>witness serve</c>: runs the server until it is stopped.</summary>
internal static class ServeCommand
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
        var postgres = WitnessCli.PostgresOption();
        var signingKey = WitnessCli.SigningKeyOption();
        var demo = new Option<bool>("--demo") { Description = $"Fill the '{DemoData.Tenant}' tenant with a month of realistic events and print an API key and console sign-ins (an Administrator and an Auditor) for it." };
        var frameAncestors = new Option<string>(FrameAncestorsOption)
        {
            Description = "Sites allowed to show the embeddable audit-log viewer (/embed) in a frame: CSP frame-ancestors sources separated by spaces. The console itself is never framable.",
            DefaultValueFactory = _ => "*",
            HelpName = "SOURCES",
        };
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
        var logFormat = new Option<string>(LogFormatOption)
        {
            Description = "How log lines are written to standard output: text (one line each) or json (one JSON object per line). Control characters a user sent are escaped in both.",
            DefaultValueFactory = _ => "text",
            HelpName = "text|json",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("serve", "Run the Witness server (SQLite in the data folder, or PostgreSQL with --postgres) with its API and web console (/console).")
        {
            data, postgres, signingKey, urls, demo, frameAncestors, catalog, preset, allowHosts, logFormat,
        };
        foreach (var option in ServeLimitOptions.Create().Concat(ServeWitnessingOptions.Create()).Concat(ServeStreamOptions.Create()))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var options = ReadOptions(parse);
            WebApplication app;
            try
            {
                app = await WitnessServer.BuildAsync(options, ct: ct);
            }
            catch (Exception ex) when (ex is InvalidOperationException or CatalogException or Microsoft.Extensions.Options.OptionsValidationException)
            {
                await Console.Error.WriteLineAsync($"witness: cannot start: {ex.Message}");
                return 1;
            }

            await using (app)
            {
                try
                {
                    await app.StartAsync(ct);
                }
                catch (IOException ex)
                {
                    await Console.Error.WriteLineAsync($"witness: cannot listen on {options.Urls}: {ex.Message}");
                    return 1;
                }

                // The bound addresses, not the configured ones: with port 0 the system picks the port.
                var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses is { Count: > 0 } bound
                    ? string.Join(";", bound)
                    : options.Urls;
                var storage = options.PostgresConnectionString is null ? $"data in {Path.GetFullPath(options.DataDirectory)}" : "store: PostgreSQL";
                Console.WriteLine($"Witness is listening on {listening} ({storage})");
                if (options.Demo)
                {
                    var key = await DemoKeyAsync(app.Services.GetRequiredService<IWitnessStore>(), options, ct);
                    Console.WriteLine($"Demo tenant '{DemoData.Tenant}': API key (events:read events:write admin):");
                    Console.WriteLine(key);
                }

                await PrintConsoleAccessAsync(app.Services.GetService<IUserStore>(), options, ct);

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
            EmbedFrameAncestors = parse.GetValue<string>(FrameAncestorsOption) ?? "*",
            PostgresConnectionString = parse.GetValue<string?>(WitnessCli.PostgresOptionName),
            SigningKeyFile = parse.GetValue<string?>(WitnessCli.SigningKeyOptionName),
            JsonLogs = parse.GetValue<string>(LogFormatOption) == "json",
        };
        foreach (var text in parse.GetValue<string[]>(PresetOption) ?? [])
        {
            if (PresetChoice.TryParse(text, out var choice, out _))
            {
                options.Presets.Add(choice!);
            }
        }

        ServeLimitOptions.Apply(parse, options);
        ServeWitnessingOptions.Apply(parse, options);
        ServeStreamOptions.Apply(parse, options);
        options.CatalogFiles.AddRange(parse.GetValue<string[]>(CatalogOption) ?? []);
        foreach (var host in parse.GetValue<string[]>(WebhookAllowHostOption) ?? [])
        {
            options.WebhookAllowedHosts.Add(host);
        }

        return options;
    }

    private const string CatalogOption = "--catalog";
    private const string LogFormatOption = "--log-format";
    private const string PresetOption = "--preset";
    private const string FrameAncestorsOption = "--embed-frame-ancestors";
    private const string WebhookAllowHostOption = "--webhook-allow-host";

    /// <summary>Where the console is, and how to sign in: the demo accounts, or how to create the first administrator.</summary>
    private static async Task PrintConsoleAccessAsync(IUserStore? users, WitnessServerOptions options, CancellationToken ct)
    {
        if (users is null)
        {
            return;
        }

        var console = $"{options.Urls.Split(';')[0].TrimEnd('/')}/console";
        if (options.Demo)
        {
            Console.WriteLine($"Console: {console}  (demo sign-ins for tenant '{DemoData.Tenant}')");
            foreach (var account in await DemoUsers.EnsureAsync(users, options.DataDirectory, options.Clock, ct))
            {
                Console.WriteLine($"  {account.Role,-13} {account.Email}  password: {account.Password}");
            }
        }
        else if (await users.CountUsersAsync(ct) == 0)
        {
            Console.WriteLine($"Console: {console}. No console users yet; create the first administrator with:");
            Console.WriteLine($"  witness users add admin@example.com --password '<a strong password>' --role Administrator --tenant <tenant> --data {options.DataDirectory}");
            Console.WriteLine($"  (or --platform instead of --tenant for a platform administrator who sees every tenant)");
        }
        else
        {
            Console.WriteLine($"Console: {console}");
        }
    }

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
