using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Witness.Access;
using Witness.Server;
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
        var allowHosts = new Option<string[]>("--webhook-allow-host")
        {
            Description = "A host name or IP that webhooks may reach although it is loopback, private or otherwise non-public (repeatable). By default deliveries go to public addresses only.",
            HelpName = "HOST",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("serve", "Run the Witness server (SQLite in the data folder).") { data, urls, demo, allowHosts };
        command.SetAction(async (parse, ct) =>
        {
            var options = new WitnessServerOptions
            {
                DataDirectory = parse.GetValue(data)!,
                Urls = parse.GetValue(urls)!,
                Demo = parse.GetValue(demo),
            };
            foreach (var host in parse.GetValue(allowHosts) ?? [])
            {
                options.WebhookAllowedHosts.Add(host);
            }

            WebApplication app;
            try
            {
                app = await WitnessServer.BuildAsync(options, ct: ct);
            }
            catch (InvalidOperationException ex)
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
