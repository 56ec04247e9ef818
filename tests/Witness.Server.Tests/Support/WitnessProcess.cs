using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Witness.Server.Tests.Support;

/// <summary>
/// The real <c>witness</c> executable run as a separate process (<c>dotnet witness.dll …</c> from the
/// test output folder), for what only processes show: several instances on one database, a kill -9.
/// </summary>
public sealed partial class WitnessProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private WitnessProcess(Process process, StringBuilder output, Uri address)
    {
        _process = process;
        _output = output;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Everything the process wrote so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    [GeneratedRegex(@"Witness is listening on (\S+) ")]
    private static partial Regex ListeningLine();

    /// <summary>Starts <c>witness serve</c> with <paramref name="arguments"/> on a free loopback port and waits until it listens.</summary>
    public static async Task<WitnessProcess> ServeAsync(params string[] arguments)
    {
        var process = Start(["serve", "--urls", "http://127.0.0.1:0", .. arguments]);
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(string? line)
        {
            if (line is null)
            {
                listening.TrySetException(new InvalidOperationException($"witness serve exited before listening:\n{output}"));
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
            return new WitnessProcess(process, output, address);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Runs a <c>witness</c> command to its end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await stdout + await stderr);
    }

    private static Process Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "witness.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the test passes counts.
        start.Environment.Remove("WITNESS_POSTGRES");
        start.Environment.Remove("WITNESS_SIGNING_KEY_FILE");
        return Process.Start(start) ?? throw new InvalidOperationException("could not start witness");
    }

    /// <summary>kill -9: the process ends at once, in the middle of whatever it was doing.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
