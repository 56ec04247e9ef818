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
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        return root;
    }

    /// <summary>The <c>--data DIR</c> option every command that touches the store takes.</summary>
    public static Option<string> DataOption() => new("--data")
    {
        Description = "The data folder: the SQLite file and the checkpoint signing key.",
        DefaultValueFactory = _ => "witness-data",
        HelpName = "DIR",
    };
}
