using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Witness.Client.Tests.Support;

/// <summary>
/// A program beside the tests (witness.dll, HelpDesk.dll) run with <c>dotnet</c> as a child process on a loopback port,
/// waited for until it answers, and killed with SIGKILL when a test wants a crash.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    public static string PathOf(string dll) => Path.Combine(AppContext.BaseDirectory, dll);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string dll, params string[] args)
    {
        using var process = Process.Start(StartInfo(dll, args, null, null))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts <paramref name="dll"/> with <c>--urls</c> on <paramref name="port"/> and waits until <paramref name="probePath"/> answers.</summary>
    public static async Task<ChildProcess> StartAsync(string dll, int port, string probePath, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var address = new Uri($"http://127.0.0.1:{port}");
        var process = Process.Start(StartInfo(dll, [.. args, "--urls", address.ToString().TrimEnd('/')], environment, workingDirectory))!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        // A .NET process's start (JIT, migrations, a signing key) takes seconds on a quiet machine and over a minute
        // at a load of 60 on two cores.
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{dll} exited with {process.ExitCode}");
            }

            try
            {
                if ((await probe.GetAsync(probePath)).IsSuccessStatusCode)
                {
                    return new ChildProcess(process, address);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"{dll} did not answer {probePath} within {StartTimeout.TotalSeconds} s");
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ProcessStartInfo StartInfo(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        info.Environment.Remove("WITNESS_POSTGRES");
        info.Environment.Remove("WITNESS_SIGNING_KEY_FILE");
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        info.ArgumentList.Add(PathOf(dll));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
