using Witness.Cli;
using Witness.Events;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Checkpoints;

public sealed class CheckpointsForEveryWriterTests
{
    [Fact]
    public async Task Events_another_writer_appends_to_the_store_are_signed_within_a_checkpoint_interval()
    {
        await using var server = await RunningServer.StartAsync(o => o.CheckpointInterval = TimeSpan.FromMilliseconds(300));
        var tenant = Some.Tenant();

        // Another instance on the same store, which signs nothing itself.
        await using (var other = await CommandHost.OpenAsync(server.DataDirectory, server.Options.PostgresConnectionString, CancellationToken.None))
        {
            var ingestor = other.Intake.Ingestor;
            var parser = new EventParser(TimeProvider.System);
            for (var i = 0; i < 7; i++)
            {
                var body = System.Text.Encoding.UTF8.GetBytes(Some.Event(tenant).ToJsonString());
                var result = await ingestor.AppendAsync(parser.ParseRequest(body, null, out _), CancellationToken.None);
                Assert.Null(result.Conflict);
            }
        }

        var checkpoint = await Eventually.GetAsync(async () =>
            await server.Store.LatestCheckpointAsync(tenant, CancellationToken.None) is { Size: 7 } signed ? signed : null, "a checkpoint of the 7 events");
        Assert.StartsWith($"witness/{tenant}\n7\n", checkpoint.Note);
    }

    [Fact]
    public async Task An_import_into_the_data_folder_signs_a_checkpoint_at_its_end()
    {
        await using var server = await RunningServer.StartAsync();
        var tenant = Some.Tenant();
        var file = Path.Combine(server.DataDirectory, "events.ndjson");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 25).Select(i => Some.Event(tenant, change: e => e["id"] = $"imp-{i}").ToJsonString()));

        var run = await WitnessProcess.RunAsync(["import", file, "--tenant", tenant, .. server.StoreArgs()]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"Signed a checkpoint of tenant '{tenant}' at size 25", run.Output);
        Assert.Equal(25, (await server.Store.LatestCheckpointAsync(tenant, CancellationToken.None))!.Size);
        var verify = await WitnessProcess.RunAsync(["verify", "--tenant", tenant, .. server.StoreArgs()]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task The_demo_data_is_checkpointed_as_soon_as_the_server_starts()
    {
        await using var server = await RunningServer.StartAsync(o => o.Demo = true);

        var size = (await server.Store.GetFrontierAsync("demo", CancellationToken.None))!.Size;
        Assert.True(size >= 3000);
        Assert.Equal(size, (await server.Store.LatestCheckpointAsync("demo", CancellationToken.None))!.Size);
    }
}
