using System.Diagnostics;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Deploy;

public sealed class SystemdUnitTests
{
    [Fact]
    public async Task The_systemd_unit_passes_systemd_analyze_verify_and_keeps_its_sandbox()
    {
        var repo = FindRepository();
        var unit = await File.ReadAllTextAsync(Path.Combine(repo, "deploy", "witness.service"));
        foreach (var setting in (string[])["DynamicUser=yes", "StateDirectory=witness", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "ProtectHome=yes", "PrivateTmp=yes"])
        {
            Assert.Contains(setting, unit);
        }

        // verify also checks that ExecStart's program exists: a stand-in executable at a temporary path.
        var folder = TempFolder.Create("witness-unit");
        try
        {
            var program = Path.Combine(folder, "witness");
            await File.WriteAllTextAsync(program, "#!/bin/sh\nexit 0\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var copy = Path.Combine(folder, "witness.service");
            await File.WriteAllTextAsync(copy, unit.Replace("/opt/witness/witness", program, StringComparison.Ordinal));

            var analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("systemd-analyze is not installed: scripts/test installs the Debian package 'systemd'");
            using var process = Process.Start(new ProcessStartInfo(analyze, ["verify", copy]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder })!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();

            Assert.True(process.ExitCode == 0 && error.Trim().Length == 0, $"systemd-analyze verify: exit {process.ExitCode}\n{await output}\n{error}");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Witness.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the repository (Witness.slnx) was not found above the test binaries");
    }
}
