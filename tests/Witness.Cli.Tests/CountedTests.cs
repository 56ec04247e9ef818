namespace Witness.Cli.Tests;

/// <summary>The CLI's counts read as English: "1 event", "2 events", never "1 events".</summary>
public sealed class CountedTests
{
    [Theory]
    [InlineData(0, "event", null, "0 events")]
    [InlineData(1, "event", null, "1 event")]
    [InlineData(2, "event", null, "2 events")]
    [InlineData(1, "API key", null, "1 API key")]
    [InlineData(3000, "API key", null, "3000 API keys")]
    [InlineData(1, "console user", null, "1 console user")]
    [InlineData(2, "entry", "entries", "2 entries")]
    public void A_count_takes_the_singular_only_for_one(long count, string one, string? many, string expected) =>
        Assert.Equal(expected, Counted.Of(count, one, many));
}
