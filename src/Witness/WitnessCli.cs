using System.CommandLine;

namespace Witness.Cli;

/// <summary>The <c>witness</c> command line: every command, its options and its help.</summary>
internal static class WitnessCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Witness: a multi-tenant, tamper-evident audit log. (`witness witness --help`: run a witness that cosigns other logs' checkpoints.)");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(UsersCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(TenantsCommand.Create());
        root.Subcommands.Add(EraseCommand.Create());
        root.Subcommands.Add(SigningKeyCommand.Create());
        root.Subcommands.Add(Backup.BackupCommand.Backup());
        root.Subcommands.Add(Backup.BackupCommand.Restore());
        root.Options.Add(VerboseOption);
        return root;
    }

    /// <summary><c>--verbose</c>: an unexpected failure prints its stack trace after the one-line message.</summary>
    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "Print the stack trace of an unexpected failure after its one-line message.",
        Recursive = true,
    };

    /// <summary>Exit code of a usage error: an unknown or missing option, a bad value.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// Runs <paramref name="args"/>: a usage error prints one line per problem and exits 2; a failure a
    /// command did not report itself prints one line (<c>witness COMMAND: message</c>, the stack trace
    /// only with <c>--verbose</c>) and exits 1, or the <see cref="CliException"/>'s code.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        // `witness witness` cannot be a subcommand of a root command itself named witness (the parser's tokens collide).
        var parse = args is [WitnessCommand.Name, ..] ? WitnessCommand.Create().Parse(args[1..]) : Build().Parse(args);
        var name = parse.CommandResult.Command is RootCommand ? "witness" : $"witness {parse.CommandResult.Command.Name}";
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
            {
                await error.WriteLineAsync($"{name}: {problem.Message}");
            }

            await error.WriteLineAsync($"Run '{name} --help' for its options.");
            return UsageError;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException ex)
        {
            await error.WriteLineAsync($"{name}: {ex.Message}");
            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync($"{name}: cancelled");
            return 130;
        }
        catch (Exception ex)
        {
            await error.WriteLineAsync($"{name}: {Describe(ex)}");
            if (parse.GetValue(VerboseOption))
            {
                await error.WriteLineAsync(ex.ToString());
            }

            return 1;
        }
    }

    /// <summary>The one line a user needs: what failed and why, without the exception's type or stack.</summary>
    private static string Describe(Exception ex) => ex switch
    {
        HttpRequestException http when http.HttpRequestError == HttpRequestError.ConnectionError => $"cannot connect to the server: {http.Message}",
        HttpRequestException http => $"the request to the server failed: {http.Message}",
        UnauthorizedAccessException or IOException => ex.Message,
        _ => $"{ex.Message.Split('\n')[0]} (run again with --verbose for details)",
    };

    /// <summary>The <c>--data DIR</c> option every command that touches the store takes.</summary>
    public static Option<string> DataOption() => new("--data")
    {
        Description = "The data folder: the SQLite file and the checkpoint signing key.",
        DefaultValueFactory = _ => "witness-data",
        HelpName = "DIR",
    };

    /// <summary>The <c>--postgres</c> option every command that touches the store takes; defaults to <c>WITNESS_POSTGRES</c>.</summary>
    public const string PostgresOptionName = "--postgres";

    public const string SigningKeyOptionName = "--signing-key";

    public static Option<string?> PostgresOption() => new(PostgresOptionName)
    {
        Description = "Use PostgreSQL instead of SQLite: an Npgsql connection string such as \"Host=db;Username=witness;Password=...;Database=witness\". Default: the WITNESS_POSTGRES environment variable.",
        DefaultValueFactory = _ => NullIfEmpty(Environment.GetEnvironmentVariable(CommandHost.PostgresVariable)),
        HelpName = "CONNECTION STRING",
    };

    /// <summary>The <c>--signing-key FILE</c> option of the commands that sign or check checkpoints; defaults to <c>WITNESS_SIGNING_KEY_FILE</c>.</summary>
    public static Option<string?> SigningKeyOption() => new(SigningKeyOptionName)
    {
        Description = "A PEM file with the checkpoint signing key (P-256), shared by every instance on one PostgreSQL database. Default: the WITNESS_SIGNING_KEY_FILE environment variable, else checkpoint-signing-key.pem in the data folder.",
        DefaultValueFactory = _ => NullIfEmpty(Environment.GetEnvironmentVariable(Server.ServerSigningKey.FileVariable)),
        HelpName = "FILE",
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
