using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Witness.Testing;

/// <summary>
/// The real <c>witness</c> executable (witness.dll beside the tests) run as a child process: CLI
/// commands to completion, or <c>serve</c> in the background so a test can kill it.
/// </summary>
public sealed class WitnessProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines;

    private WitnessProcess(Process process, Uri address, System.Collections.Concurrent.ConcurrentQueue<string> lines)
    {
        _process = process;
        Address = address;
        _lines = lines;
    }

    public Uri Address { get; }

    /// <summary>The lines <c>serve</c> wrote so far to standard output and error, split as a terminal or a log collector would (at CR, LF or CRLF).</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "witness.dll");

    /// <summary>What a finished command printed and how it exited.</summary>
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    /// <summary>Runs a command to completion, as a user would from a shell.</summary>
    public static async Task<Result> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Starts <c>witness serve</c> on a free loopback port and waits until it answers /healthz.</summary>
    public static Task<WitnessProcess> ServeAsync(string dataDirectory, params string[] extraArgs) => StartAsync("serve", dataDirectory, extraArgs);

    /// <summary>Starts <c>witness &lt;command&gt; --data DIR --urls URL …</c> (serve, witness) on a free loopback port and waits until it answers /healthz.</summary>
    public static async Task<WitnessProcess> StartAsync(string command, string dataDirectory, params string[] extraArgs)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var process = Process.Start(StartInfo([command, "--data", dataDirectory, "--urls", address.ToString().TrimEnd('/'), .. extraArgs]))!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"witness {command} exited with {process.ExitCode}: {string.Join("\n", lines)}");
            }

            try
            {
                if ((await probe.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return new WitnessProcess(process, address, lines);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("witness serve did not answer /healthz within 60 s");
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Only what a test passes counts, not the store or key of the shell that runs the tests.
        info.Environment.Remove("WITNESS_POSTGRES");
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment.Remove("WITNESS_SIGNING_KEY_FILE");
        info.ArgumentList.Add(Executable);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
