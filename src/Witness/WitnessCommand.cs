using System.CommandLine;
using System.CommandLine.Help;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Witness.Server.Witnessing;

namespace Witness.Cli;

/// <summary><c>witness witness</c>: runs a C2SP tlog-witness server with its own data folder and key (docs/witnessing.md).</summary>
internal static class WitnessCommand
{
    public const string Name = "witness";

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The witness's own folder: its Ed25519 key and the checkpoints it cosigned.", DefaultValueFactory = _ => "witness-witness-data", HelpName = "DIR" };
        var name = new Option<string>("--name") { Description = "The witness's key name, such as witness.example.org/w1.", Required = true, HelpName = "NAME" };
        var config = new Option<string>("--config") { Description = "A JSON file of the logs it witnesses: {\"logs\": [{\"origin\": \"audit.example.com/heads\", \"keys\": [\"<verifier key>\"]}]} (witness signing-key show prints the log's keys).", Required = true, HelpName = "FILE" };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, separated by ';'.", DefaultValueFactory = _ => "http://127.0.0.1:5090", HelpName = "URLS" };
        var command = new Command(Name, "Run a witness (C2SP tlog-witness): POST /add-checkpoint cosigns a log's checkpoint only when it is a consistent extension of the last one it cosigned.")
        {
            data, name, config, urls, WitnessCli.VerboseOption,
            // Parsed as a root of its own (WitnessCli.RunAsync), so it gets no --help unless it adds one.
            new HelpOption(),
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new WitnessRoleOptions { DataDirectory = parse.GetValue(data)!, Name = parse.GetValue(name)!, ConfigFile = parse.GetValue(config)!, Urls = parse.GetValue(urls)! };
            WebApplication app;
            try
            {
                app = WitnessRole.Build(options);
            }
            catch (Exception ex) when (ex is FormatException or IOException or ArgumentException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"witness: cannot start the witness: {ex.Message}");
                return 1;
            }

            await using (app)
            {
                await app.StartAsync(ct);
                Console.WriteLine($"Witness {options.Name} is listening on {options.Urls}");
                Console.WriteLine($"Verifier key: {app.Services.GetRequiredService<WitnessedLogs>().Key.CosignerVerifierKey}");
                await app.WaitForShutdownAsync(ct);
            }

            return 0;
        });
        return command;
    }
}
