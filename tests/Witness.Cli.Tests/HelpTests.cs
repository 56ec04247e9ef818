namespace Witness.Cli.Tests;

/// <summary><c>--help</c> of every command the top-level help names, as the README's "Every command has --help" says.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("serve", "--demo")]
    [InlineData("keys create", "--scopes")]
    [InlineData("users add", "--role")]
    [InlineData("verify", "--checkpoint")]
    [InlineData("export", "--format")]
    [InlineData("import", "--tenant")]
    [InlineData("tenants delete", "--yes")]
    [InlineData("erase", "--actor-id")]
    [InlineData("signing-key show", "--origin")]
    [InlineData("backup", "--passphrase-file")]
    [InlineData("restore", "--passphrase-file")]
    [InlineData("witness", "--config")]
    public async Task A_commands_help_exits_0_and_lists_its_options(string command, string option)
    {
        var run = await WitnessProcess.RunAsync([.. command.Split(' '), "--help"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(option, run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }
}
