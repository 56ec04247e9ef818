using System.Diagnostics;

namespace Witness.Server.Tests.Support;

/// <summary>
/// Witnessing/go/src/witnesscheck, built once per test run with the Debian Go toolchain in GOPATH mode against
/// Debian's golang.org/x/mod (sumdb/note, sumdb/tlog): Go's own checker of notes, proofs, tiles and cosignatures.
/// </summary>
public static class GoChecker
{
    private static readonly Lazy<Task<string>> Binary = new(BuildAsync);

    // The binary and the notes of this test run, in one folder deleted when the run ends (however its tests ended).
    private static readonly Lazy<string> Work = new(() =>
    {
        var folder = TempFolder.Create("witnesscheck");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TempFolder.Delete(folder);
        return folder;
    });

    /// <summary>Runs the checker; exit 0 and a line starting with OK when the check passed.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunWithBearerAsync(null, args);

    /// <summary>Runs the checker sending <paramref name="bearer"/> (an API key) with its HTTP requests.</summary>
    public static async Task<(int ExitCode, string Output)> RunWithBearerAsync(string? bearer, params string[] args)
    {
        var binary = await Binary.Value;
        var (exit, output) = await RunProcessAsync(binary, args, bearer is null ? [] : new() { ["WITNESSCHECK_BEARER"] = bearer });
        return (exit, output.Trim());
    }

    /// <summary>Writes <paramref name="text"/> to a temporary file for the checker to read.</summary>
    public static string WriteNote(string text)
    {
        var path = Path.Combine(Work.Value, $"note-{Guid.NewGuid():N}");
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<string> BuildAsync()
    {
        var repo = AppContext.BaseDirectory;
        var source = new DirectoryInfo(repo);
        while (source is not null && !File.Exists(Path.Combine(source.FullName, "Witness.slnx")))
        {
            source = source.Parent;
        }

        var gopath = Path.Combine(source?.FullName ?? throw new InvalidOperationException("the repository (Witness.slnx) was not found"), "tests", "Witness.Server.Tests", "Witnessing", "go");
        var binary = Path.Combine(Work.Value, "witnesscheck");
        var (exit, text) = await RunProcessAsync("go", ["build", "-o", binary, "witnesscheck"], new()
        {
            ["GOPATH"] = $"{gopath}:/usr/share/gocode",
            ["GO111MODULE"] = "off",
            // One build cache for every run, so only the first compiles the standard library.
            ["GOCACHE"] = Path.Combine(Path.GetTempPath(), "witness-witnesscheck-gocache"),
            ["CGO_ENABLED"] = "0",
        });
        return exit == 0 ? binary : throw new InvalidOperationException($"go build witnesscheck failed (install golang-go and golang-golang-x-mod-dev): {text}");
    }

    private static async Task<(int, string)> RunProcessAsync(string file, string[] args, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // The first build compiles net/http, which takes minutes on a loaded machine.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
