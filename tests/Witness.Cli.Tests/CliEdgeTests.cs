
namespace Witness.Cli.Tests;

/// <summary>How the <c>witness</c> process reports: one line per error, exit 2 for usage, 1 for a failed operation, plain progress off a terminal.</summary>
public sealed class CliEdgeTests : IAsyncLifetime
{
    private RunningServer _server = null!;
    private string _folder = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(sqliteOnly: true);
        _folder = TempFolder.Create("witness-cli-edges");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempFolder.Delete(_folder);
    }

    [Fact]
    public async Task An_unreachable_server_is_one_line_and_exit_1_and_verbose_adds_the_stack_trace()
    {
        var url = $"http://127.0.0.1:{WitnessProcess.FreePort()}";
        string[] args = ["export", "--tenant", "acme", "--format", "csv", "--out", Path.Combine(_folder, "x.csv"), "--url", url, "--key", "wk_x"];

        var run = await WitnessProcess.RunAsync(args);

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("witness export: cannot connect to the server", line);
        Assert.DoesNotContain("   at ", run.Error);

        var verbose = await WitnessProcess.RunAsync([.. args, "--verbose"]);
        Assert.Equal(1, verbose.ExitCode);
        Assert.Contains("   at ", verbose.Error);
    }

    [Fact]
    public async Task A_missing_output_folder_is_one_line_and_exit_1()
    {
        var run = await WitnessProcess.RunAsync(["export", .. _server.StoreArgs(), "--tenant", "acme", "--format", "csv", "--out", Path.Combine(_folder, "no-such-folder", "x.csv")]);

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no-such-folder", line);
    }

    [Theory]
    [InlineData("verify", "--file", "export.ndjson")]
    [InlineData("export", "--tenant", "acme")]
    [InlineData("verify", "--tenant", "acme", "--no-such-option")]
    public async Task A_usage_error_exits_2_with_one_line_per_problem_and_no_stack_trace(params string[] args)
    {
        var run = await WitnessProcess.RunAsync(args);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("witness ", run.Error);
        Assert.Contains("--help", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task Import_off_a_terminal_prints_plain_lines_and_export_of_one_event_says_1_event()
    {
        var tenant = Some.Tenant();
        using var client = await _server.ClientForAsync(tenant);
        await client.PostAsync(Some.Event(tenant, change: e => e["id"] = "only-1"));
        var file = Path.Combine(_folder, "one.ndjson");

        var export = await WitnessProcess.RunAsync(["export", .. _server.StoreArgs(), "--tenant", tenant, "--format", "ndjson", "--action", "inbox.create", "--out", file]);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains($"Exported 1 event of tenant '{tenant}'", export.Output);

        var import = await WitnessProcess.RunAsync(["import", file, "--tenant", Some.Tenant(), .. _server.StoreArgs()]);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("Sent 1 of 1 event", import.Output);
        Assert.DoesNotContain("\u001b[", import.Output + import.Error);
    }
}
