using System.Diagnostics;
using System.Net;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Health;

public sealed class HealthEndpointsTests
{
    [Fact]
    public async Task A_started_server_is_live_and_ready_with_every_check_described()
    {
        await using var server = await RunningServer.StartAsync();
        using var client = server.Client();

        var live = await client.GetAsync("/healthz/live");
        var ready = await client.GetAsync("/healthz/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = (await ready.JsonAsync()).GetProperty("checks");
        var store = checks.GetProperty("store");
        Assert.Equal("Healthy", store.GetProperty("status").GetString());
        Assert.Contains("writable", store.GetProperty("description").GetString());
        Assert.Contains(RunningServer.OnPostgres ? "fsync=on" : "synchronous=2", store.GetProperty("description").GetString());
        Assert.Equal("Healthy", checks.GetProperty("signing_key").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_fails_while_the_sqlite_file_cannot_be_written_and_recovers_after()
    {
        await using var server = await RunningServer.StartAsync(sqliteOnly: true);
        using var client = server.Client();
        var file = Path.Combine(server.DataDirectory, "witness.db");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/ready")).StatusCode);

        await MakeReadOnlyAsync(file, true);
        try
        {
            var ready = await client.GetAsync("/healthz/ready");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var store = (await ready.JsonAsync()).GetProperty("checks").GetProperty("store");
            Assert.Equal("Unhealthy", store.GetProperty("status").GetString());
            Assert.Contains("not writable", store.GetProperty("description").GetString());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);
        }
        finally
        {
            await MakeReadOnlyAsync(file, false);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/ready")).StatusCode);
    }

    [Fact]
    public async Task A_readiness_probe_keeps_the_servers_sqlite_locks_so_a_command_beside_it_leaves_its_wal_and_sees_its_commits()
    {
        await using var server = await RunningServer.StartAsync(sqliteOnly: true);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        await Some.SendManyAsync(client, tenant, 2);
        Assert.Equal(HttpStatusCode.OK, (await server.Client().GetAsync("/healthz/ready")).StatusCode);

        // Another process opens and closes the database, as any witness command beside a running server does.
        var before = await EventsSeenByAnotherProcessAsync(server, tenant);
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "witness.db-wal")), "the server's WAL was deleted");
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "witness.db-shm")), "the server's shared memory was deleted");

        await Some.SendManyAsync(client, tenant, 3);

        Assert.Equal(before + 3, await EventsSeenByAnotherProcessAsync(server, tenant));
    }

    private static async Task<long> EventsSeenByAnotherProcessAsync(RunningServer server, string tenant)
    {
        var listed = await WitnessProcess.RunAsync(["tenants", "list", .. server.StoreArgs()]);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var line = listed.Output.Split('\n').Single(l => l.StartsWith(tenant + "\t", StringComparison.Ordinal));
        return long.Parse(line.Split('\t')[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Write-protects the file: by mode bits, which root ignores, so as root by the immutable attribute.</summary>
    private static async Task MakeReadOnlyAsync(string file, bool readOnly)
    {
        if (!OperatingSystem.IsWindows() && Environment.UserName != "root")
        {
            File.SetUnixFileMode(file, readOnly ? UnixFileMode.UserRead : UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return;
        }

        using var chattr = Process.Start(new ProcessStartInfo("chattr", [readOnly ? "+i" : "-i", file]) { RedirectStandardError = true })!;
        var error = await chattr.StandardError.ReadToEndAsync();
        await chattr.WaitForExitAsync();
        Assert.True(chattr.ExitCode == 0, $"chattr failed: {error}");
    }
}
