using Witness.Cli;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Streams;

/// <summary><c>serve --stream-*</c>: each flag sets its <c>StreamOptions</c> value, a value outside its range is refused naming the flag, and the server checks the same ranges at start.</summary>
public sealed class StreamOptionsTests
{
    [Fact]
    public void Serve_stream_flags_set_every_stream_option_and_durations_take_their_unit()
    {
        var parse = WitnessCli.Build().Parse([
            "serve", "--stream-batch-size", "500", "--stream-poll-interval", "250ms", "--stream-lease", "30s", "--stream-retry-delay", "1.5s",
            "--stream-max-retry-delay", "2m", "--stream-failure-threshold", "1h", "--stream-syslog-confirm-after", "2s", "--stream-timeout", "15s",
            "--stream-instance-id", "eu-1",
        ]);

        Assert.Empty(parse.Errors);
        var streams = ServeCommand.ReadOptions(parse).Streams;
        Assert.Equal(500, streams.BatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(250), streams.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), streams.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(1.5), streams.RetryDelay);
        Assert.Equal(TimeSpan.FromMinutes(2), streams.MaxRetryDelay);
        Assert.Equal(TimeSpan.FromHours(1), streams.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(2), streams.SyslogConfirmAfter);
        Assert.Equal(TimeSpan.FromSeconds(15), streams.Timeout);
        Assert.Equal("eu-1", streams.InstanceId);

        // Left out, each keeps its default.
        var defaults = ServeCommand.ReadOptions(WitnessCli.Build().Parse(["serve"])).Streams;
        Assert.Equal(2000, defaults.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.PollInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), defaults.FailureThreshold);
        Assert.Null(defaults.InstanceId);
    }

    [Theory]
    [InlineData("--stream-batch-size", "0", "--stream-batch-size: 0 is out of range: 1 to 100000")]
    [InlineData("--stream-batch-size", "100001", "--stream-batch-size: 100001 is out of range: 1 to 100000")]
    [InlineData("--stream-poll-interval", "5ms", "--stream-poll-interval: 5ms is out of range: 10ms to 1h")]
    [InlineData("--stream-lease", "2h", "--stream-lease: 2h is out of range: 1s to 1h")]
    [InlineData("--stream-failure-threshold", "8d", "--stream-failure-threshold: 8d is out of range: 1ms to 7d")]
    [InlineData("--stream-timeout", "10", "--stream-timeout: '10' is not a duration")]
    [InlineData("--stream-retry-delay", "soon", "--stream-retry-delay: 'soon' is not a duration")]
    public async Task A_stream_flag_out_of_its_range_or_not_a_duration_is_a_usage_error_naming_the_flag(string flag, string value, string expected)
    {
        var error = new StringWriter();
        var exit = await WitnessCli.RunAsync(["serve", flag, value], error);

        Assert.Equal(WitnessCli.UsageError, exit);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_option_out_of_range_or_a_lease_not_longer_than_the_poll_interval_refuses_to_start_naming_the_option()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o => o.Streams.BatchSize = 0));
        Assert.Contains("Streams.BatchSize", ex.Message, StringComparison.Ordinal);

        ex = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o => o.Streams.Timeout = TimeSpan.Zero));
        Assert.Contains("Streams.Timeout", ex.Message, StringComparison.Ordinal);

        ex = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o =>
        {
            o.Streams.PollInterval = TimeSpan.FromSeconds(30);
            o.Streams.LeaseDuration = TimeSpan.FromSeconds(20);
        }));
        Assert.Contains("Streams.LeaseDuration", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Streams.PollInterval", ex.Message, StringComparison.Ordinal);

        ex = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o =>
        {
            o.Streams.RetryDelay = TimeSpan.FromMinutes(5);
            o.Streams.MaxRetryDelay = TimeSpan.FromMinutes(1);
        }));
        Assert.Contains("Streams.MaxRetryDelay", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_help_lists_every_stream_flag_with_its_range_and_default()
    {
        var help = await WitnessProcess.RunAsync("serve", "--help");

        Assert.Equal(0, help.ExitCode);
        foreach (var flag in (string[])["--stream-batch-size", "--stream-poll-interval", "--stream-lease", "--stream-retry-delay", "--stream-max-retry-delay",
                     "--stream-failure-threshold", "--stream-syslog-confirm-after", "--stream-timeout", "--stream-instance-id"])
        {
            Assert.Contains(flag, help.Output, StringComparison.Ordinal);
        }

        Assert.Contains("1 to 100000; default 2000.", help.Output, StringComparison.Ordinal);
        Assert.Contains("1s to 1h; default 20s.", help.Output, StringComparison.Ordinal);
    }
}
