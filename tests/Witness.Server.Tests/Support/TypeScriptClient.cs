using System.Diagnostics;

namespace Witness.Server.Tests.Support;

/// <summary>
/// The npm packages of <c>tests/clients/typescript</c> (redocly, openapi-typescript, openapi-fetch,
/// typescript), installed there by <c>scripts/test</c> with <c>npm ci</c>, run with the machine's node.
/// </summary>
public static class TypeScriptClient
{
    /// <summary>The folder of the TypeScript client project, found from the test binaries up to the repository root.</summary>
    public static string Folder { get; } = Path.Combine(RepositoryFolder.Path, "tests", "clients", "typescript");

    /// <summary>Runs <c>node node_modules/PACKAGE/BIN args…</c> in <see cref="Folder"/> and waits for it (3 minutes at most).</summary>
    public static async Task<WitnessProcess.Result> RunAsync(string script, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var path = Path.Combine(Folder, script);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: run `npm ci` in {Folder} (scripts/test does).");
        }

        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["NO_COLOR"] = "1";
        info.Environment["REDOCLY_TELEMETRY"] = "off";
        info.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add(path);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new WitnessProcess.Result(process.ExitCode, await output, await error);
    }
}
