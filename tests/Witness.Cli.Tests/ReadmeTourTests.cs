using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Witness.Cli.Tests;

/// <summary>The README's five-minute tour, run as written against a fresh <c>witness serve</c> process.</summary>
public sealed partial class ReadmeTourTests
{
    [Fact]
    public async Task The_readme_tour_runs_as_written_against_a_fresh_server()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryFolder.Path, "README.md"));
        var tour = readme[readme.IndexOf("## A five-minute tour", StringComparison.Ordinal)..];
        var script = TourBlock().Match(tour).Groups[1].Value;
        Assert.Contains("keys create", script);

        var folder = TempFolder.Create("witness-tour");
        try
        {
            using var server = await WitnessProcess.ServeAsync(Path.Combine(folder, "witness-data"));
            // The tour's prefix builds and runs the CLI; the test runs the same CLI already built, on the server's port.
            var runnable = script
                .Replace("dotnet run --project src/Witness --", $"dotnet {WitnessProcess.Executable}", StringComparison.Ordinal)
                .Replace("http://127.0.0.1:5080", server.Address.ToString().TrimEnd('/'), StringComparison.Ordinal);

            var info = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", runnable])
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.Environment.Remove("WITNESS_POSTGRES");
            info.Environment.Remove("WITNESS_SIGNING_KEY_FILE");
            using var bash = Process.Start(info)!;
            var output = bash.StandardOutput.ReadToEndAsync();
            var error = bash.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await bash.WaitForExitAsync(timeout.Token);
            var result = new WitnessProcess.Result(bash.ExitCode, await output, await error);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("\"status\":\"created\"", result.Output);
            Assert.Contains("\"id\":\"evt-0001\"", result.Output);
            Assert.Contains("\"ok\":true", result.Output);
            Assert.Contains("BEGIN PUBLIC KEY", result.Output);
            Assert.Contains("\"leaf_hash\"", result.Output);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex TourBlock();
}
