using System.CommandLine;

namespace Witness.Cli;

/// <summary>The <c>witness</c> command line: every command, its options and its help.</summary>
public static class WitnessCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Witness: a multi-tenant, tamper-evident audit log.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(UsersCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(TenantsCommand.Create());
        return root;
    }

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
        DefaultValueFactory = _ => NullIfEmpty(Environment.GetEnvironmentVariable(StoreOpener.PostgresVariable)),
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
